/**
 * src/core/dumpfile.ts: a symlink planted at the dump path is replaced, never followed (the file it
 * points to keeps its content), no temporary file is left behind, and the default paths follow TMPDIR.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dumpPath, writeDumpFile } from "../../../src/core/dumpfile.ts";

const dir = mkdtempSync("/tmp/kal-dump-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("writeDumpFile", () => {
  test("a planted symlink at the dump path is not followed", () => {
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    const path = join(dir, "keepalived.data");
    symlinkSync(victim, path);
    writeDumpFile(path, "dump text\n");
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("dump text\n");
    expect(lstatSync(path).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(readdirSync(dir).sort()).toEqual(["keepalived.data", "victim"]);
  });

  test("a dangling symlink does not create its target", () => {
    const path = join(dir, "keepalived.json");
    const target = join(dir, "created-through-link");
    symlinkSync(target, path);
    writeDumpFile(path, "[]\n");
    expect(readdirSync(dir)).not.toContain("created-through-link");
    expect(readFileSync(path, "utf8")).toBe("[]\n");
  });

  test("an unwritable directory is an error naming the path", () => {
    expect(() => writeDumpFile(join(dir, "no/such/dir/x.data"), "x")).toThrow();
  });

  test("default paths", () => {
    const old = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      expect(dumpPath("data", "vrrp", null)).toBe(join(dir, "keepalived.data"));
      expect(dumpPath("data", "parent", null)).toBe(join(dir, "keepalived_parent.data"));
      expect(dumpPath("stats", "vrrp", "/x/y.stats")).toBe("/x/y.stats");
    } finally {
      if (old === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = old;
    }
  });
});

describe("dump paths", () => {
  test("keepalived's defaults and per-process suffixes on a configured path", () => {
    const old = process.env.TMPDIR;
    delete process.env.TMPDIR;
    expect(dumpPath("data", "vrrp", null)).toBe("/tmp/keepalived.data");
    expect(dumpPath("data", "check", null)).toBe("/tmp/keepalived_check.data");
    expect(dumpPath("stats", "vrrp", null)).toBe("/tmp/keepalived.stats");
    expect(dumpPath("json", "vrrp", null)).toBe("/tmp/keepalived.json");
    expect(dumpPath("data", "bfd", "/var/run/ka/state.data")).toBe("/var/run/ka/state_bfd.data");
    expect(dumpPath("data", "parent", "/var/run/ka/state")).toBe("/var/run/ka/state_parent");
    expect(dumpPath("data", "vrrp", "/var/run/ka/state.data")).toBe("/var/run/ka/state.data");
    if (old !== undefined) process.env.TMPDIR = old;
  });
});
