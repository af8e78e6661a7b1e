import { expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { dropExecutablePages, droppableMappings, parseSmaps } from "../../../src/ffi/resident.ts";

const SMAPS = `00200000-01a39000 r--p 00000000 fe:00 2171603                            /opt/ka
Rss:                4096 kB
Anonymous:             0 kB
01a40000-0684a000 r-xp 01838000 fe:00 2171603                            /opt/ka
Rss:               15432 kB
Anonymous:             0 kB
0684a000-0685f000 rw-p 06641000 fe:00 2171603                            /opt/ka
Anonymous:            44 kB
0685f000-06867000 r--p 06656000 fe:00 2171603                            /opt/ka
Anonymous:            12 kB
7f0000000000-7f0000001000 r-xp 00000000 fe:00 11                         /usr/lib/libc.so.6
Anonymous:             0 kB
7f0000100000-7f0000200000 rw-p 00000000 00:00 0
Anonymous:           512 kB
`;

test("parseSmaps reads ranges, permissions, paths and anonymous KiB", () => {
  const m = parseSmaps(SMAPS);
  expect(m.length).toBe(6);
  expect(m[0]).toEqual({ start: 0x200000, end: 0x1a39000, perms: "r--p", path: "/opt/ka", anon: 0 });
  expect(m[3]!.anon).toBe(12);
  expect(m[5]!.path).toBe("");
});

test("only the executable's read-only mappings without a copied page are droppable", () => {
  const d = droppableMappings(parseSmaps(SMAPS), "/opt/ka");
  // not the writable one, not the read-only one JavaScriptCore wrote before freezing it, not libc
  expect(d.map((x) => x.start)).toEqual([0x200000, 0x1a40000]);
});

test("dropping this process's executable pages leaves it running", () => {
  const exe = readlinkSync("/proc/self/exe");
  const before = droppableMappings(parseSmaps(readFileSync("/proc/self/smaps", "utf8")), exe);
  expect(before.length).toBeGreaterThan(0);
  const kib = dropExecutablePages();
  expect(kib).toBe(before.reduce((a, m) => a + (m.end - m.start) / 1024, 0));
  // the code runs on: pages come back from the page cache when touched
  expect([1, 2, 3].map((x) => x * 2)).toEqual([2, 4, 6]);
  expect(dropExecutablePages()).toBe(kib);
});
