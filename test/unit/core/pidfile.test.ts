import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPidFile, PidFileError, readPidFile, removePidFile } from "../../../src/core/pidfile.ts";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync("/tmp/ka-pid-");
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("pid files", () => {
  test("creates, refuses a live owner, replaces a stale one, removes only its own", () => {
    const p = join(tmp(), "k.pid");
    createPidFile(p, process.pid);
    expect(readPidFile(p)).toBe(process.pid);
    expect(() => createPidFile(p, 999_999_999)).toThrow(/already running.*live pid/);
    writeFileSync(p, "999999998\n"); // stale: no such process
    createPidFile(p, process.pid);
    expect(readFileSync(p, "utf8")).toBe(`${process.pid}\n`);
    removePidFile(p, 12345);
    expect(existsSync(p)).toBe(true);
    removePidFile(p, process.pid);
    expect(existsSync(p)).toBe(false);
  });
  test("never follows a planted symlink", () => {
    const d = tmp();
    const target = join(d, "victim");
    writeFileSync(target, "keep me");
    const p = join(d, "k.pid");
    symlinkSync(target, p);
    expect(() => createPidFile(p, process.pid)).toThrow(PidFileError);
    expect(readFileSync(target, "utf8")).toBe("keep me");
  });
  test("an unwritable directory names the path", () => {
    const d = join(tmp(), "nodir");
    expect(() => createPidFile(join(d, "x.pid"))).toThrow(/cannot create pid file .*nodir\/x.pid: ENOENT/);
    mkdirSync(d);
  });
});
