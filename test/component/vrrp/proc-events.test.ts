/**
 * vrrp_track_process from process events: the table follows forks (a thread is not a process), execs,
 * comm changes and exits; trackers count from the events and rescan after an overflow; and the real
 * connector (root) reports a process we start and end.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, test } from "bun:test";
import { nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler, RealScheduler } from "../../../src/core/scheduler.ts";
import { type FdWatcher, Reactor } from "../../../src/ffi/reactor.ts";
import type { ProcEvent } from "../../../src/proto/proc-connector.ts";
import { ProcConnector, ProcTable } from "../../../src/vrrp/proc-events.ts";
import type { ProcInfo } from "../../../src/vrrp/track-process.ts";
import { TrackerSet } from "../../../src/vrrp/tracker-set.ts";
import { loadText } from "../../support/config/helpers.ts";

const p = (pid: number, comm: string, argv = [comm]): ProcInfo => ({ pid, comm, argv });

describe("ProcTable", () => {
  test("fork copies the parent, a new thread changes nothing, exec re-reads, comm renames, exit removes", () => {
    const disk = new Map<number, ProcInfo>([[11, p(11, "nginx", ["nginx", "-g", "daemon off;"])]]);
    const t = new ProcTable((pid) => disk.get(pid));
    t.load([p(10, "sh")]);
    expect(t.apply({ kind: "fork", parentTgid: 10, childPid: 11, childTgid: 11 })).toEqual({ before: undefined, after: p(11, "sh") });
    expect(t.apply({ kind: "fork", parentTgid: 10, childPid: 12, childTgid: 10 })).toBeUndefined();
    expect(t.apply({ kind: "exec", pid: 11, tgid: 11 })!.after).toEqual(disk.get(11));
    expect(t.apply({ kind: "comm", pid: 11, tgid: 11, comm: "worker" })!.after!.comm).toBe("worker");
    expect(t.apply({ kind: "exit", pid: 13, tgid: 11 })).toBeUndefined(); // a thread of 11 exits
    expect(t.apply({ kind: "exit", pid: 11, tgid: 11 })).toEqual({ before: { ...disk.get(11)!, comm: "worker" }, after: undefined });
    expect(t.apply({ kind: "exit", pid: 99, tgid: 99 })).toBeUndefined();
    expect([...t.procs.keys()]).toEqual([10]);
  });
});

describe("TrackerSet with process events", () => {
  const conf = `vrrp_track_process nginx {\n  process nginx\n  quorum 2\n}\n` +
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  track_process {\n    nginx\n  }\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n`;

  test("counts follow the events without scans; an overflow counts again from a scan", () => {
    const sched = new FakeScheduler(1_000_000);
    let emit: (e: ProcEvent[]) => void = () => {};
    let overflow = () => {};
    let scans = 0, closed = 0;
    let disk: ProcInfo[] = [p(1, "init"), p(20, "nginx")];
    const set = new TrackerSet({
      log: nullLogger,
      sched,
      files: { watch: () => () => {} },
      resolve: () => null,
      changed: () => {},
      scan: () => (scans++, disk),
      procEvents: (on, ov) => {
        emit = on, overflow = ov;
        return { close: () => void closed++ };
      },
    });
    const r = loadText(conf, {}, {}, ["eth0"]);
    set.apply(r.config);
    const t = set.processes.get("nginx")!.tracker;
    expect([t.count, t.up, scans]).toEqual([1, false, 1]);
    disk = [...disk, p(21, "nginx")];
    emit([{ kind: "fork", parentTgid: 20, childPid: 21, childTgid: 21 }]);
    expect(t.count).toBe(2);
    sched.advance(10);
    expect(t.up).toBe(true);
    emit([{ kind: "exit", pid: 21, tgid: 21 }, { kind: "exit", pid: 20, tgid: 20 }]);
    expect(t.count).toBe(0);
    sched.advance(5000);
    expect(scans).toBe(1); // no periodic scan while events come
    disk = [p(1, "init"), p(30, "nginx"), p(31, "nginx"), p(32, "nginx")];
    overflow();
    expect([t.count, scans]).toEqual([3, 2]);
    set.stop();
    expect(closed).toBe(1);
  });

  test("without a connector it scans /proc once a second", () => {
    const sched = new FakeScheduler(1_000_000);
    let scans = 0;
    const set = new TrackerSet({
      log: nullLogger,
      sched,
      files: { watch: () => () => {} },
      resolve: () => null,
      changed: () => {},
      scan: () => (scans++, [p(20, "nginx")]),
      procEvents: () => {
        throw new Error("EPROTONOSUPPORT");
      },
    });
    set.apply(loadText(conf, {}, {}, ["eth0"]).config);
    sched.advance(3500);
    expect(scans).toBe(4);
    set.stop();
  });
});

describe("the kernel's process connector (root)", () => {
  const reactor = new Reactor();
  const sched = new RealScheduler();
  afterAll(() => reactor.close());

  test("a process we start and end is seen as exec and exit", async () => {
    const seen: ProcEvent[] = [];
    const c = new ProcConnector(reactor, sched, (e) => void seen.push(...e), () => {});
    try {
      const child = Bun.spawn(["sleep", "30"]);
      const pid = child.pid;
      const until = async (f: () => boolean) => {
        for (let i = 0; i < 200 && !f(); i++) await Bun.sleep(25);
        return f();
      };
      expect(await until(() => seen.some((e) => e.kind === "exec" && e.tgid === pid))).toBe(true);
      child.kill("SIGKILL");
      await child.exited;
      expect(await until(() => seen.some((e) => e.kind === "exit" && e.tgid === pid))).toBe(true);
    } finally {
      c.close();
    }
  });
  test("process_monitor_rcv_bufs: the socket's buffer as configured (the kernel keeps twice the value)", () => {
    const c = new ProcConnector(reactor, sched, () => {}, () => {}, { bytes: 300_000, force: false });
    try {
      expect(c.rcvBuf()).toBe(600_000);
      // Past net.core.rmem_max: only SO_RCVBUFFORCE (CAP_NET_ADMIN) gets it.
      const big = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8")) + (1 << 20);
      c.setRcvBuf({ bytes: big, force: true });
      expect(c.rcvBuf()).toBe(2 * big);
      c.setRcvBuf({ bytes: 1 << 20, force: false }); // our default again
      expect(c.rcvBuf()).toBe(2 << 20);
    } finally {
      c.close();
    }
  });
  test("a burst of events is read on the scheduler's timer, then the socket is watched again", async () => {
    const watched = new Map<number, () => void>();
    const log: string[] = [];
    const watcher: FdWatcher = {
      add: (fd, f) => void (watched.set(fd, f), log.push("add")),
      remove: (fd) => void (watched.delete(fd) && log.push("remove")),
      close: () => {},
    };
    const fake = new FakeScheduler();
    const seen: ProcEvent[] = [];
    const c = new ProcConnector(watcher, fake, (e) => void seen.push(...e), () => {});
    try {
      const fd = [...watched.keys()][0]!;
      const kids = Array.from({ length: 3 }, () => Bun.spawn(["true"]));
      await Promise.all(kids.map((k) => k.exited));
      watched.get(fd)!(); // one readiness for the whole burst: read at once, then polled
      for (const k of kids) expect(seen.some((e) => e.kind === "exit" && e.tgid === k.pid)).toBe(true);
      expect(log).toEqual(["add", "remove"]);
      const later = Bun.spawn(["true"]); // arrives while the socket is out of the watcher
      await later.exited;
      for (let i = 0; i < 1000 && !watched.has(fd); i++) fake.advance(2); // the host's own churn may keep it busy a while
      expect(seen.some((e) => e.kind === "exit" && e.tgid === later.pid)).toBe(true);
      expect(watched.has(fd)).toBe(true);
    } finally {
      c.close();
    }
  });
});
