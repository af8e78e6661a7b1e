/**
 * fifo_write_vrrp_states_on_reload beside keepalived 2.2.7 (namespaces kvrf*): a lone router with a sync
 * group of one instance and an instance outside it writes its transitions to vrrp_notify_fifo; after a
 * reload (SIGHUP) both daemons write the same further lines (keepalived 2.2.7: the group's state only;
 * without a sync group it writes nothing, seen by hand).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, sh, waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvrf-");
const readers: ReturnType<typeof Bun.spawn>[] = [];
afterAll(async () => {
  for (const r of readers) r.kill();
  await destroyAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = (fifo: string, on: boolean) =>
  `global_defs {\n  vrrp_notify_fifo ${fifo}\n${on ? "  fifo_write_vrrp_states_on_reload\n" : ""}}\n` +
  `vrrp_sync_group G1 {\n  group {\n    VI_1\n  }\n}\n` +
  [[1, 150], [2, 90]].map(([n, prio]) =>
    `vrrp_instance VI_${n} {\n  state MASTER\n  interface veth0\n  virtual_router_id ${60 + n!}\n  priority ${prio}\n  advert_int 1\n` +
    `  virtual_ipaddress {\n    198.51.100.${140 + n!}/25\n  }\n}\n`
  ).join("");

async function side(bin: string, name: string) {
  const fifo = join(dir, `${name}.fifo`);
  sh(["mkfifo", fifo]);
  let text = "";
  // The reader holds the FIFO open for writing too: keepalived closes and reopens it on reload, and a
  // plain reader would see end-of-file there and miss what comes after.
  const r = Bun.spawn(["sh", "-c", `exec 3<>${fifo}; exec cat <&3`], { stdout: "pipe" });
  readers.push(r);
  void (async () => {
    for await (const chunk of r.stdout) text += new TextDecoder().decode(chunk);
  })();
  const s = await beside("kvrf", dir, bin, conf(fifo, true), ["vrrp"]);
  return { s, lines: () => text.split("\n").filter((l) => l.length > 0) };
}

describe("fifo_write_vrrp_states_on_reload beside keepalived 2.2.7", () => {
  test("after a reload the same lines again as keepalived writes", async () => {
    const bin = await ensureBinary();
    const sides = [await side(KEEPALIVED, "k"), await side(bin, "o")];
    const settled = (l: string[]) => l.includes('GROUP "G1" MASTER 0') && l.includes('INSTANCE "VI_2" MASTER 90');
    for (const x of sides) await waitFor("both MASTER", () => settled(x.lines()), 30_000);
    await holdsFor("settled", () => true, 1_000);
    const before = sides.map((x) => x.lines().length);
    for (const x of sides) x.s.ns.procs.at(-1)!.kill("SIGHUP");
    await waitFor("keepalived's reload lines", () => sides[0]!.lines().length > before[0]!, 15_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${sides[0]!.s.log().slice(-3000)}`);
    });
    await holdsFor("nothing more", () => true, 3_000);
    const after = sides.map((x, i) => x.lines().slice(before[i]));
    expect(after[0]).toEqual(['GROUP "G1" MASTER 0']);
    expect(after[1]).toEqual(after[0]!);
  }, 120_000);
});
