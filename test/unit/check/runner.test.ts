/** CheckerRunner on a FakeScheduler: warmup, delay_loop, retry, delay_before_retry, alpha, one attempt in flight. */
import { describe, expect, test } from "bun:test";
import { type CheckResult, fail, pass, type RunCheck } from "../../../src/check/checkers/types.ts";
import { CheckerRunner, type CheckerTiming } from "../../../src/check/runner.ts";
import { Logger, nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";

const T: CheckerTiming = {
  delayLoopMs: 10_000,
  retry: 2,
  delayBeforeRetryMs: 1000,
  warmupMs: 0,
  alpha: false,
  logAllFailures: false,
};

/** A checker whose results are scripted; records when each attempt started. */
function scripted(results: (boolean | "hang")[], sched: FakeScheduler) {
  const starts: number[] = [];
  let i = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const run = (signal: AbortSignal): Promise<CheckResult> => {
    starts.push(sched.now());
    const r = results[Math.min(i++, results.length - 1)];
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (r === "hang") {
      return new Promise((res) =>
        signal.addEventListener("abort", () => {
          inFlight--;
          res(fail("aborted"));
        })
      );
    }
    inFlight--;
    return Promise.resolve(r ? pass("ok") : fail("refused"));
  };
  return {
    run,
    starts,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** Runs due timers and settles their attempts, then moves the clock in 250 ms steps doing the same. */
async function tick(s: FakeScheduler, ms: number): Promise<void> {
  s.advance(0);
  for (let k = 0; k < 20; k++) await Promise.resolve();
  for (let t = 0; t < ms; t += 250) {
    s.advance(Math.min(250, ms - t));
    for (let k = 0; k < 20; k++) await Promise.resolve();
  }
}

describe("CheckerRunner", () => {
  test("goes DOWN only after retry failures, delay_before_retry apart; UP at the first success", async () => {
    const s = new FakeScheduler();
    const c = scripted([true, false, false, false, false, true], s);
    const changes: boolean[] = [];
    const r = new CheckerRunner({
      name: "t",
      timing: T,
      run: c.run,
      sched: s,
      log: nullLogger,
      onChange: (st) => changes.push(st.up),
    });
    r.start();
    await tick(s, 0);
    expect(c.starts).toEqual([0]);
    expect(r.up).toBe(true);
    await tick(s, 10_000); // the next attempt fails: retried, still UP
    expect(c.starts).toEqual([0, 10_000]);
    expect(r.up).toBe(true);
    await tick(s, 2000);
    expect(c.starts).toEqual([0, 10_000, 11_000, 12_000]); // two retries
    expect(r.up).toBe(false);
    expect(changes).toEqual([true, false]);
    await tick(s, 10_000); // next attempt a delay_loop later: fails, stays down
    expect(c.starts).toEqual([0, 10_000, 11_000, 12_000, 22_000]);
    await tick(s, 1000); // retry passes: UP at once
    expect(c.starts.at(-1)).toBe(23_000);
    expect(r.up).toBe(true);
    expect(changes).toEqual([true, false, true]);
  });

  test("the very first attempt is not retried: a server down at start is DOWN at once (keepalived 2.2.7)", async () => {
    const s = new FakeScheduler();
    const c = scripted([false, true], s);
    const lines: string[] = [];
    class Capture extends Logger {
      override info(m: string): void {
        lines.push(m);
      }
    }
    const log = new Capture({ ident: "t", console: false, syslog: false, facility: 3, detail: false });
    const r = new CheckerRunner({
      name: "t",
      timing: T,
      run: c.run,
      sched: s,
      log,
      onChange: () => {},
      sentences: { kind: "TCP", service: "[192.0.2.2]:tcp:80" },
    });
    r.start();
    await tick(s, 0);
    expect(r.up).toBe(false);
    expect(c.starts).toEqual([0]);
    expect(lines).toEqual(["TCP_CHECK on service [192.0.2.2]:tcp:80 failed."]);
    await tick(s, 10_000);
    expect(r.up).toBe(true);
    expect(lines.at(-1)).toBe("TCP connection to [192.0.2.2]:tcp:80 success.");
  });

  test("retry 0 goes DOWN at the first failure", async () => {
    const s = new FakeScheduler();
    const c = scripted([false], s);
    const r = new CheckerRunner({
      name: "t",
      timing: { ...T, retry: 0 },
      run: c.run,
      sched: s,
      log: nullLogger,
      onChange: () => {},
    });
    r.start();
    await tick(s, 1);
    expect(r.up).toBe(false);
  });

  test("alpha starts DOWN; a success brings it UP", async () => {
    const s = new FakeScheduler();
    const c = scripted([true], s);
    const r = new CheckerRunner({
      name: "t",
      timing: { ...T, alpha: true },
      run: c.run,
      sched: s,
      log: nullLogger,
      onChange: () => {},
    });
    expect(r.up).toBe(false);
    r.start();
    await tick(s, 1);
    expect(r.up).toBe(true);
  });

  test("warmup delays the first attempt by a random share of warmup", async () => {
    const s = new FakeScheduler();
    const c = scripted([true], s);
    const r = new CheckerRunner({
      name: "t",
      timing: { ...T, warmupMs: 8000 },
      run: c.run,
      sched: s,
      log: nullLogger,
      onChange: () => {},
      random: () => 0.5,
    });
    r.start();
    await tick(s, 3999);
    expect(c.starts).toEqual([]);
    await tick(s, 1);
    expect(c.starts).toEqual([4000]);
  });

  test("never more than one attempt in flight; stop aborts it", async () => {
    const s = new FakeScheduler();
    const c = scripted(["hang"], s);
    const r = new CheckerRunner({
      name: "t",
      timing: { ...T, delayLoopMs: 100 },
      run: c.run,
      sched: s,
      log: nullLogger,
      onChange: () => {},
    });
    r.start();
    await tick(s, 5000);
    expect(c.starts).toEqual([0]);
    expect(r.busy).toBe(true);
    r.stop();
    await tick(s, 1);
    expect(r.busy).toBe(false);
    expect(c.maxInFlight).toBe(1);
  });

  test("callback attempts (RunCheck.start): synchronous and later results count, stop cancels one in flight", () => {
    const s = new FakeScheduler();
    const results: (boolean | "later" | "hang")[] = [true, false, false, false, "later", "hang"];
    const starts: number[] = [];
    let i = 0, cancelled = 0;
    let pending: ((r: CheckResult) => void) | undefined;
    const run: RunCheck = Object.assign(() => Promise.reject(new Error("the promise form must not be used")), {
      start: (done: (r: CheckResult) => void) => {
        starts.push(s.now());
        const r = results[Math.min(i++, results.length - 1)];
        if (r === "later") {
          s.after(300, () => done(pass("ok")));
        } else if (r === "hang") {
          pending = done;
        } else done(r ? pass("ok") : fail("refused")); // before start returns
        return () => cancelled++;
      },
    });
    const changes: boolean[] = [];
    const r = new CheckerRunner({ name: "t", timing: T, run, sched: s, log: nullLogger, onChange: (c) => changes.push(c.up) });
    r.start();
    s.advance(0); // the first attempt passes
    s.advance(10_000);
    s.advance(2000); // fails, two retries 1 s apart, then DOWN
    expect(starts).toEqual([0, 10_000, 11_000, 12_000]);
    expect(changes).toEqual([true, false]);
    expect(r.failures).toBe(3);
    s.advance(10_000); // delay_loop: the next attempt answers 300 ms later
    expect(r.busy).toBe(true);
    s.advance(300);
    expect(changes).toEqual([true, false, true]);
    expect(r.busy).toBe(false);
    s.advance(10_000);
    expect(r.busy).toBe(true);
    r.stop();
    expect(cancelled).toBe(1); // only the attempt in flight is cancelled
    pending?.(pass("too late"));
    expect(changes).toEqual([true, false, true]);
  });

  test("suspend keeps the state and skips attempts; resume checks at once", async () => {
    const s = new FakeScheduler();
    const c = scripted([true], s);
    const r = new CheckerRunner({
      name: "t",
      timing: T,
      run: c.run,
      sched: s,
      log: nullLogger,
      onChange: () => {},
    });
    r.start();
    await tick(s, 0);
    r.suspend();
    await tick(s, 50_000);
    expect(c.starts).toEqual([0]);
    r.resume();
    await tick(s, 0);
    expect(c.starts).toEqual([0, 50000]);
  });

  test("push checkers change at once and carry a weight delta", () => {
    const s = new FakeScheduler();
    const seen: [boolean, number][] = [];
    const r = new CheckerRunner({
      name: "f",
      timing: T,
      sched: s,
      log: nullLogger,
      onChange: (st) => seen.push([st.up, st.weightDelta]),
    });
    r.start();
    r.report(pass("v", 5));
    r.report(pass("v", 5));
    r.report(fail("x"));
    expect(seen).toEqual([[true, 5], [false, 5]]);
    expect(s.pending).toBe(0);
  });

  test("a misc_dynamic weight change is reported without a state change", async () => {
    const s = new FakeScheduler();
    const results = [pass("a", 10), pass("b", 20)];
    let i = 0;
    const seen: number[] = [];
    const r = new CheckerRunner({
      name: "m",
      timing: T,
      sched: s,
      log: nullLogger,
      run: async () => results[Math.min(i++, 1)]!,
      weightOf: (x) => (x.weight ?? 0) - 1,
      onChange: (st) => seen.push(st.weightDelta),
    });
    r.start();
    await tick(s, 10_000);
    expect(seen).toEqual([9, 19]);
  });
});
