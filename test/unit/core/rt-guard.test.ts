/**
 * The RLIMIT_RTTIME guard (src/core/rt-guard.ts) against a fake clock and switch counter: it sleeps only
 * when a budget of wall time passed with no voluntary context switch, and never while off.
 */
import { describe, expect, test } from "bun:test";
import { RtGuard, type RtGuardOs } from "../../../src/core/rt-guard.ts";

function fake(napSleeps = true) {
  const k = { now: 0, switches: 0, naps: 0, reads: 0, policy: [] as string[] };
  const os: RtGuardOs = {
    now: () => k.now,
    voluntarySwitches: () => (k.reads++, k.switches),
    nap: () => {
      k.naps++;
      if (napSleeps) k.switches++;
    },
    demote: () => void k.policy.push("other"),
    restore: () => void k.policy.push("rr"),
  };
  return { k, os };
}

describe("RtGuard", () => {
  test("off: a checkpoint reads nothing and never sleeps", () => {
    const { k, os } = fake();
    const g = new RtGuard();
    g.on(0, os); // a limit of 0 is off
    k.now = 100;
    g.checkpoint();
    expect([k.naps, g.budgetMs]).toEqual([0, 0]);
    g.on(10_000, os);
    g.off();
    k.reads = 0;
    k.now = 200;
    g.checkpoint();
    expect([k.naps, k.reads]).toEqual([0, 0]);
  });

  test("continuous work: one nap per budget of wall time, none before it", () => {
    const { k, os } = fake();
    const g = new RtGuard();
    g.on(10_000, os); // budget 1.25 ms
    for (let t = 0; t <= 10; t += 0.25) {
      k.now = t;
      g.checkpoint();
    }
    // 10 ms of work at checkpoints every 0.25 ms: a nap at 1.25, 2.5, ... 10.
    expect(k.naps).toBe(8);
    expect(g.naps).toBe(8);
  });

  test("a wait in between (a voluntary switch) is as good as a nap", () => {
    const { k, os } = fake();
    const g = new RtGuard();
    g.on(10_000, os);
    for (let t = 0; t <= 10; t += 0.25) {
      k.now = t;
      k.switches++; // the thread slept in epoll_wait before this unit
      g.checkpoint();
    }
    expect(k.naps).toBe(0);
  });

  test("a nap that did not take the thread off the CPU is tried again, at most three times", () => {
    const { k, os } = fake(false);
    const g = new RtGuard();
    g.on(10_000, os);
    k.now = 2;
    g.checkpoint();
    expect(k.naps).toBe(3);
    expect(g.naps).toBe(1);
  });

  test("outside(): the work runs out of SCHED_RR and the count starts again after it", () => {
    const { k, os } = fake();
    const g = new RtGuard();
    expect(g.outside(() => 7)).toBe(7); // off: just runs it
    expect(k.policy).toEqual([]);
    expect(g.active).toBe(false);
    g.on(10_000, os);
    expect(g.active).toBe(true);
    const seen: string[] = [];
    expect(() =>
      g.outside(() => {
        seen.push(k.policy.join());
        k.now += 50; // a long piece of work
        throw new Error("boom");
      })
    ).toThrow("boom");
    expect(seen).toEqual(["other"]);
    expect(k.policy).toEqual(["other", "rr"]); // restored even when it throws
    g.checkpoint(); // the 50 ms ran outside: no nap is owed for them
    expect(k.naps).toBe(0);
  });
});
