/**
 * The per-child scheduling state (src/procs/sched.ts) against a fake kernel: what keepalived 2.2.7 sets
 * at start, what a reload undoes, and the automatic realtime priority.
 */
import { describe, expect, test } from "bun:test";
import type { ProcessSchedule } from "../../../src/config/model.ts";
import { RtGuard } from "../../../src/core/rt-guard.ts";
import { isWorkThread, ProcessTuner, type SchedOs, type TuningSettings } from "../../../src/procs/sched.ts";
import { captureLogger } from "../../support/alert/log-capture.ts";

const PID = 100;

/** A kernel with three threads: main, the reactor's Worker and a JIT helper. */
function fakeOs(fail: Partial<Record<keyof SchedOs, boolean>> = {}) {
  const nice = new Map<number, number>([[PID, 0], [101, 0], [102, 0]]);
  const rt = new Map<number, number>([[PID, 0], [101, 0], [102, 0]]);
  const cpus = new Map<number, readonly number[]>();
  const calls: string[] = [];
  const state = { locked: false, rlimit: { soft: -1n, hard: -1n } };
  const switches = { n: 0 };
  const guard = (k: keyof SchedOs) => {
    if (fail[k]) throw new Error(`${k}: EPERM`);
  };
  const os: SchedOs = {
    threads: () => [{ tid: PID, comm: "keepalived" }, { tid: 101, comm: "Worker" }, { tid: 102, comm: "JITWorker" }],
    getNice: (t) => nice.get(t)!,
    setNice: (t, n) => (guard("setNice"), calls.push(`nice ${t} ${n}`), nice.set(t, n)),
    setRealtime: (t, p) => (guard("setRealtime"), calls.push(`rt ${t} ${p}`), rt.set(t, p)),
    setAffinity: (t, c) => (guard("setAffinity"), cpus.set(t, c)),
    getRtTimeLimit: () => state.rlimit,
    setRtTimeLimit: (soft, hard) => (calls.push(`rlimit ${soft}/${hard}`), state.rlimit = { soft, hard }),
    lockMemory: () => (guard("lockMemory"), state.locked = true),
    unlockMemory: () => void (state.locked = false),
    voluntarySwitches: () => switches.n,
    nap: () => (calls.push("nap"), switches.n++),
    rtGuard: new RtGuard(),
  };
  return { os, nice, rt, cpus, calls, state, switches };
}

const sched = (s: Partial<ProcessSchedule>): ProcessSchedule => ({
  priority: null,
  noSwap: false,
  rtPriority: null,
  cpuAffinity: [],
  rlimitRttimeUs: null,
  ...s,
});
const settings = (s: Partial<ProcessSchedule>, auto: Partial<TuningSettings> = {}): TuningSettings => ({
  sched: sched(s),
  maxAutoPriority: null,
  minAutoPriorityDelayUs: null,
  ...auto,
});

describe("ProcessTuner at start", () => {
  test("a nice value goes to the main and Worker threads, not the runtime's helpers", () => {
    const k = fakeOs();
    new ProcessTuner(k.os, captureLogger().log, "vrrp", PID).apply(settings({ priority: -5 }), false);
    expect([k.nice.get(PID), k.nice.get(101), k.nice.get(102)]).toEqual([-5, -5, 0]);
  });
  test("a realtime priority: SCHED_RR, RLIMIT_RTTIME half / whole (at least 200 ms), and the nice value is not used", () => {
    const k = fakeOs();
    const t = new ProcessTuner(k.os, captureLogger().log, "vrrp", PID);
    t.apply(settings({ priority: -5, rtPriority: 20, rlimitRttimeUs: 300_000 }), false);
    expect([k.rt.get(PID), k.rt.get(101), k.rt.get(102)]).toEqual([20, 20, 0]);
    expect(k.state.rlimit).toEqual({ soft: 150_000n, hard: 300_000n });
    expect(k.nice.get(PID)).toBe(0);
    expect(t.realtimePriority).toBe(20);
  });
  test("the default RLIMIT_RTTIME with a realtime priority is 10000 us: soft 5000, hard raised to the 200 ms floor", () => {
    const k = fakeOs();
    new ProcessTuner(k.os, captureLogger().log, "bfd", PID).apply(settings({ rtPriority: 15 }), false);
    expect(k.state.rlimit).toEqual({ soft: 5000n, hard: 200_000n });
  });
  test("no_swap locks memory; the CPU affinity reaches every thread", () => {
    const k = fakeOs();
    new ProcessTuner(k.os, captureLogger().log, "vrrp", PID).apply(settings({ noSwap: true, cpuAffinity: [1] }), false);
    expect(k.state.locked).toBe(true);
    expect([...k.cpus.keys()]).toEqual([PID, 101, 102]);
    expect(k.cpus.get(102)).toEqual([1]);
  });
  test("nothing configured: no call at all", () => {
    const k = fakeOs();
    new ProcessTuner(k.os, captureLogger().log, "vrrp", PID).apply(settings({}), false);
    expect(k.calls).toEqual([]);
    expect(k.state.locked).toBe(false);
  });
  test("a refusal is logged as keepalived does and the rest still applies", () => {
    const k = fakeOs({ setRealtime: true });
    const { log, lines } = captureLogger();
    new ProcessTuner(k.os, log, "vrrp", PID).apply(settings({ rtPriority: 10, noSwap: true }), false);
    expect(lines.some((l) => l.includes("vrrp process: cannot set realtime priority 10"))).toBe(true);
    expect(k.state.rlimit.hard).toBe(-1n); // no rlimit without SCHED_RR
    expect(k.state.locked).toBe(true);
  });
});

describe("ProcessTuner at reload", () => {
  test("removed settings are undone: SCHED_OTHER, original rlimit, unlocked; the affinity stays", () => {
    const k = fakeOs();
    const t = new ProcessTuner(k.os, captureLogger().log, "vrrp", PID);
    t.apply(settings({ rtPriority: 20, noSwap: true, cpuAffinity: [1] }), false);
    t.apply(settings({}), true);
    expect([k.rt.get(PID), k.rt.get(101)]).toEqual([0, 0]);
    expect(k.state.rlimit).toEqual({ soft: -1n, hard: -1n });
    expect(k.state.locked).toBe(false);
    expect(k.cpus.get(PID)).toEqual([1]);
  });
  test("a nice value goes back to the original; a new one replaces it", () => {
    const k = fakeOs();
    const t = new ProcessTuner(k.os, captureLogger().log, "vrrp", PID);
    t.apply(settings({ priority: 5 }), false);
    t.apply(settings({ priority: -3 }), true);
    expect(k.nice.get(PID)).toBe(-3);
    t.apply(settings({}), true);
    expect([k.nice.get(PID), k.nice.get(101)]).toEqual([0, 0]);
  });
});

describe("the RLIMIT_RTTIME guard follows the realtime policy", () => {
  test("on with SCHED_RR (budget an eighth of the hard limit), off again when a reload drops it", () => {
    const k = fakeOs();
    const t = new ProcessTuner(k.os, captureLogger().log, "vrrp", PID);
    t.apply(settings({ priority: -5 }), false);
    expect(k.os.rtGuard.budgetMs).toBe(0);
    t.apply(settings({ rtPriority: 20, rlimitRttimeUs: 40_000 }), true);
    expect(k.os.rtGuard.budgetMs).toBe(5);
    k.calls.length = 0;
    k.os.rtGuard.outside(() => k.calls.push("work"));
    expect(k.calls).toEqual([`rt ${PID} 0`, "work", `rt ${PID} 20`]); // the main thread only, and back
    t.apply(settings({}), true);
    expect(k.os.rtGuard.budgetMs).toBe(0);
  });
  test("the automatic priority turns it on with the default limit", () => {
    const k = fakeOs();
    const t = new ProcessTuner(k.os, captureLogger().log, "vrrp", PID);
    t.apply(settings({}, { maxAutoPriority: 5 }), false);
    expect(k.os.rtGuard.budgetMs).toBe(0);
    t.onLate(2000);
    expect(k.os.rtGuard.budgetMs).toBe(1.25);
  });
});

describe("automatic realtime priority (max_auto_priority)", () => {
  test("off by default and with 0 or -1", () => {
    for (const max of [null, 0, -1]) {
      const t = new ProcessTuner(fakeOs().os, captureLogger().log, "vrrp", PID);
      t.apply(settings({}, { maxAutoPriority: max }), false);
      expect(t.lateThresholdMs).toBeUndefined();
    }
  });
  test("each late timer raises SCHED_RR by one from 1 up to the maximum, with the default rlimit once", () => {
    const k = fakeOs();
    const { log, lines } = captureLogger();
    const t = new ProcessTuner(k.os, log, "vrrp", PID);
    t.apply(settings({ rlimitRttimeUs: 40_000 }, { maxAutoPriority: 2, minAutoPriorityDelayUs: 500_000 }), false);
    expect(t.lateThresholdMs).toBe(500);
    for (let i = 0; i < 4; i++) t.onLate(800);
    expect(t.realtimePriority).toBe(2);
    expect(k.calls.filter((c) => c.startsWith("rt 100"))).toEqual(["rt 100 1", "rt 100 2"]);
    expect(k.calls.filter((c) => c.startsWith("rlimit"))).toEqual(["rlimit 20000/200000"]);
    expect(lines.filter((l) => l.includes("Set realtime priority"))).toHaveLength(2);
    expect(lines.some((l) => l.includes("A thread timer expired 0.800000 seconds ago"))).toBe(true);
  });
  test("the default delay is 1 s; a configured realtime priority is the starting point", () => {
    const k = fakeOs();
    const t = new ProcessTuner(k.os, captureLogger().log, "vrrp", PID);
    t.apply(settings({ rtPriority: 5 }, { maxAutoPriority: 99 }), false);
    expect(t.lateThresholdMs).toBe(1000);
    t.onLate(2000);
    expect(t.realtimePriority).toBe(6);
  });
});

test("work threads: the main thread and Bun's Worker threads", () => {
  expect(isWorkThread({ tid: 7, comm: "anything" }, 7)).toBe(true);
  expect(isWorkThread({ tid: 8, comm: "Worker" }, 7)).toBe(true);
  expect(isWorkThread({ tid: 9, comm: "HeapHelper" }, 7)).toBe(false);
});
