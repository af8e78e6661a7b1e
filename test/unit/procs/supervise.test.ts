/**
 * src/procs/supervise.ts, the watchdog's restart rule on an injected clock: deaths sooner than
 * CRASH_LOOP_MS after a start back off 0, 0.5 s, 1 s, 2 s ... up to 30 s; one run longer than that
 * resets the count, so the next death restarts at once. (test/component/procs/supervise.test.ts runs the
 * same rule with real processes.)
 */
import { describe, expect, test } from "bun:test";
import { CRASH_LOOP_MS, restartDelayMs, RestartPolicy } from "../../../src/procs/supervise.ts";

/** A clock the test moves by hand. */
function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Starts and kills the child `runs.length` times, each after running runs[i] ms; the delays before each restart. */
function delays(p: RestartPolicy, c: ReturnType<typeof clock>, runs: number[]): number[] {
  return runs.map((ms) => {
    p.started();
    c.advance(ms);
    const d = p.died().delayMs;
    c.advance(d);
    return d;
  });
}

describe("watchdog restart policy", () => {
  test("the backoff table: 0, 0.5 s, 1 s, 2 s ... capped at 30 s", () => {
    expect([0, 1, 2, 3, 4, 7, 8, 20].map(restartDelayMs)).toEqual([0, 0, 500, 1000, 2000, 16_000, 30_000, 30_000]);
  });

  test("a child dying at once backs off, doubling up to the cap", () => {
    const c = clock();
    expect(delays(new RestartPolicy(c.now), c, Array(9).fill(10))).toEqual([0, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  test("a run of CRASH_LOOP_MS resets the count: the next death restarts at once, and a new loop starts from 0", () => {
    const c = clock();
    const p = new RestartPolicy(c.now);
    expect(delays(p, c, [10, 10, 10, 10])).toEqual([0, 500, 1000, 2000]);
    expect(delays(p, c, [CRASH_LOOP_MS])).toEqual([0]);
    expect(delays(p, c, [10, 10])).toEqual([500, 1000]);
  });

  test("just short of CRASH_LOOP_MS is still a crash loop", () => {
    const c = clock();
    expect(delays(new RestartPolicy(c.now), c, [10, CRASH_LOOP_MS - 1, CRASH_LOOP_MS - 1])).toEqual([0, 500, 1000]);
  });

  test("the restart number counts within the loop and starts again after a long run", () => {
    const c = clock();
    const p = new RestartPolicy(c.now);
    const ns = [10, 10, 10, CRASH_LOOP_MS + 5, 10].map((ms) => {
      p.started();
      c.advance(ms);
      return p.died().n;
    });
    expect(ns).toEqual([1, 2, 3, 1, 2]);
  });
});
