import { describe, expect, test } from "bun:test";
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { nullLogger } from "../../../src/core/log.ts";
import { FifoReaders, NotifyFifo } from "../../../src/core/script.ts";
import { fifoLine, Notifier, type NotifyTargets } from "../../../src/vrrp/notify.ts";

const targets = (over: Partial<NotifyTargets> = {}): NotifyTargets => ({
  kind: "INSTANCE",
  name: "VI_1",
  master: null,
  backup: null,
  fault: null,
  stop: null,
  deleted: null,
  generic: null,
  ...over,
});

describe("notify", () => {
  test("FIFO line format is keepalived's", () => {
    expect(fifoLine("INSTANCE", "VI_1", "MASTER", 100)).toBe(`INSTANCE "VI_1" MASTER 100\n`);
    expect(fifoLine("GROUP", "G1", "BACKUP", 0)).toBe(`GROUP "G1" BACKUP 0\n`);
  });
  test("notify_priority_changes: one FIFO line STATE_PRIORITY, no script (keepalived 2.2.7)", () => {
    const d = mkdtempSync("/tmp/ka-fifo-");
    const path = join(d, "fifo");
    const f = new NotifyFifo(path, nullLogger);
    f.open();
    const rd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const calls: string[][] = [];
    const n = new Notifier(nullLogger, [f], async (argv) => {
      calls.push([...argv]);
      return { status: 0, signal: null, timedOut: false };
    });
    const s = { argv: ["/n.sh"], uid: 0, gid: 0 };
    n.priorityChanged(targets({ generic: s, backup: s }), "BACKUP", 95);
    n.priorityChanged(targets(), "MASTER", 107);
    const buf = Buffer.alloc(256);
    const len = readSync(rd, buf);
    expect(buf.subarray(0, len).toString()).toBe(`INSTANCE "VI_1" BACKUP_PRIORITY 95\nINSTANCE "VI_1" MASTER_PRIORITY 107\n`);
    expect(calls).toEqual([]);
    closeSync(rd);
    f.close();
    rmSync(d, { recursive: true, force: true });
  });
  test("runs the state script, then notify with TYPE NAME STATE PRIORITY", async () => {
    const calls: string[][] = [];
    const n = new Notifier(nullLogger, [], async (argv) => {
      calls.push([...argv]);
      return { status: 0, signal: null, timedOut: false };
    });
    const s = (cmd: string[]) => ({ argv: cmd, uid: 0, gid: 0 });
    await n.notify(targets({ master: s(["/m.sh", "a b"]), backup: s(["/b.sh"]), generic: s(["/n.sh", "x"]) }), "MASTER", 150);
    expect(calls).toEqual([["/m.sh", "a b"], ["/n.sh", "x", "INSTANCE", "VI_1", "MASTER", "150"]]);
    calls.length = 0;
    await n.notify(targets({ master: s(["/m.sh"]) }), "FAULT", 100);
    expect(calls).toEqual([]);
  });
  test("writes FIFO lines a reader receives, and a missing reader does not block", async () => {
    const d = mkdtempSync("/tmp/ka-fifo-");
    const path = join(d, "fifo");
    const f = new NotifyFifo(path, nullLogger);
    f.open();
    const n = new Notifier(nullLogger, [f], async () => ({ status: 0, signal: null, timedOut: false }));
    await n.notify(targets(), "BACKUP", 100); // nobody reading yet: must not block
    const rd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    await n.notify(targets({ kind: "GROUP", name: "G" }), "MASTER", 0);
    const buf = Buffer.alloc(256);
    const len = readSync(rd, buf);
    expect(buf.subarray(0, len).toString()).toBe(`INSTANCE "VI_1" BACKUP 100\nGROUP "G" MASTER 0\n`);
    closeSync(rd);
    f.close();
    rmSync(d, { recursive: true, force: true });
  });
  test("a FIFO reader script gets the path last, reads the lines, and is stopped by set([]) and stop()", async () => {
    const d = mkdtempSync("/tmp/ka-fifo-");
    const path = join(d, "fifo");
    const out = join(d, "out");
    const f = new NotifyFifo(path, nullLogger);
    f.open();
    const readers = new FifoReaders(nullLogger);
    const spec = { what: "vrrp_notify_fifo_script", path, script: { argv: ["/bin/sh", "-c", `exec cat "$0" > ${out}`], uid: 0, gid: 0 } };
    readers.set([spec]);
    f.write(`INSTANCE "VI_1" MASTER 100\n`);
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await Bun.sleep(10);
    };
    const text = () => (existsSync(out) ? readFileSync(out, "utf8") : "");
    await until(() => text().includes("MASTER"));
    expect(text()).toBe(`INSTANCE "VI_1" MASTER 100\n`);
    const [pid] = readers.pids();
    expect(pid).toBeGreaterThan(0);
    readers.set([spec]); // unchanged: the same process keeps running
    expect(readers.pids()).toEqual([pid!]);
    readers.set([]);
    await until(() => !alive(pid!));
    expect(alive(pid!)).toBe(false);
    readers.set([spec]);
    await until(() => readers.pids().length === 1);
    const [pid2] = readers.pids();
    readers.stop();
    await until(() => !alive(pid2!));
    expect(alive(pid2!)).toBe(false);
    f.close();
    rmSync(d, { recursive: true, force: true });
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return false;
  }
}
