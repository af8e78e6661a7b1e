/**
 * RxPump: a socket read through the reactor while datagrams come one at a time, on a timer while a read
 * finds a bunch, and back to the reactor when the bunch is over.
 */
import { describe, expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import type { FdWatcher } from "../../../src/ffi/reactor.ts";
import { RxPump } from "../../../src/core/rx-pump.ts";

function rig() {
  const sched = new FakeScheduler();
  const watched = new Map<number, () => void>();
  const log: string[] = [];
  const watcher: FdWatcher = {
    add: (fd, f) => {
      if (watched.has(fd)) throw new Error("already watched");
      watched.set(fd, f);
      log.push("add");
    },
    remove: (fd) => void (watched.delete(fd) && log.push("remove")),
    close: () => {},
  };
  let queued = 0;
  const reads: number[] = [];
  const drain = () => {
    reads.push(sched.now());
    const n = queued;
    queued = 0;
    return n;
  };
  const pump = new RxPump(5, drain, watcher, sched, 50);
  const arrive = (n: number) => {
    queued += n;
    watched.get(5)?.(); // the reactor wakes the child only while the fd is watched
  };
  return { sched, watched, log, reads, pump, arrive, queue: (n: number) => void (queued += n) };
}

describe("RxPump", () => {
  test("one datagram per read stays on the reactor", () => {
    const r = rig();
    for (let i = 0; i < 5; i++) {
      r.arrive(1);
      r.sched.advance(100);
    }
    expect(r.pump.polling).toBe(false);
    expect(r.log).toEqual(["add"]);
    expect(r.reads).toHaveLength(5);
  });

  test("a bunch moves the socket to a 50 ms timer; three quiet reads in a row move it back", () => {
    const r = rig();
    r.arrive(20);
    expect(r.pump.polling).toBe(true);
    expect(r.log).toEqual(["add", "remove"]);
    r.queue(30);
    r.sched.advance(50); // read on the timer
    expect(r.reads).toEqual([0, 50]);
    expect(r.pump.polling).toBe(true);
    r.queue(1);
    r.sched.advance(100); // one, then none: quiet twice (between two bursts), still polling
    expect(r.pump.polling).toBe(true);
    r.queue(40);
    r.sched.advance(50); // the next burst: the count starts again
    r.sched.advance(100);
    expect(r.pump.polling).toBe(true);
    r.sched.advance(50); // the third quiet read in a row: back to the reactor
    expect(r.pump.polling).toBe(false);
    expect(r.log).toEqual(["add", "remove", "add"]);
    r.sched.advance(500);
    expect(r.reads).toEqual([0, 50, 100, 150, 200, 250, 300, 350]); // no more timer reads
  });

  test("lone datagrams closer than half the period apart move the socket to the timer too (a watcher without a rate limit)", () => {
    const r = rig();
    r.arrive(1);
    r.sched.advance(30); // 30 ms later: not yet a second wake within 25 ms
    r.arrive(1);
    expect(r.pump.polling).toBe(false);
    r.sched.advance(10);
    r.arrive(1); // 10 ms after the last one
    expect(r.pump.polling).toBe(true);
    expect(r.log).toEqual(["add", "remove"]);
    for (let i = 0; i < 3; i++) r.sched.advance(50); // quiet polls: back, and the wake time starts again
    expect(r.pump.polling).toBe(false);
    r.sched.advance(5);
    r.arrive(1);
    expect(r.pump.polling).toBe(false);
  });

  test("readNow reads at once in either mode; close cancels the timer and the watch", () => {
    const r = rig();
    r.arrive(3);
    r.queue(2);
    r.pump.readNow();
    expect(r.reads).toEqual([0, 0]);
    r.pump.close();
    r.queue(5);
    r.sched.advance(200);
    r.pump.readNow();
    expect(r.reads).toEqual([0, 0]);
    const s = rig();
    s.pump.close();
    expect(s.watched.size).toBe(0);
  });

  test("an overflow (kernel drops grew) reads again at once, then polls 4x as often; quiet reads slow it back", () => {
    const sched = new FakeScheduler();
    const watched = new Map<number, () => void>();
    const watcher: FdWatcher = { add: (fd, f) => void watched.set(fd, f), remove: (fd) => void watched.delete(fd), close: () => {} };
    let drops = 0, queued = 0;
    const reads: number[] = [];
    const pump = new RxPump(
      5,
      () => {
        reads.push(sched.now());
        const n = queued;
        queued = 0;
        return n;
      },
      watcher,
      sched,
      50,
      () => drops,
    );
    queued = 1;
    drops = 40; // a lone datagram, but the kernel dropped 40 before it
    watched.get(5)!();
    expect(reads).toEqual([0, 0]); // read again at once
    expect(pump.overflows).toBe(1);
    expect(pump.polling).toBe(true);
    expect(pump.period).toBe(12.5);
    drops = 80;
    sched.advance(12.5);
    expect(pump.period).toBe(50 / 16);
    drops = 120;
    for (let i = 0; i < 3; i++) sched.advance(pump.period);
    expect(pump.period).toBe(1); // MIN_PERIOD_MS
    const before = reads.length;
    sched.advance(100); // no more drops: ~100 reads at 1 ms, then the period starts doubling
    expect(reads.length - before).toBeGreaterThan(50);
    sched.advance(20_000);
    expect(pump.period).toBe(50);
    expect(pump.polling).toBe(false); // quiet at the full period: back on the reactor
  });
});
