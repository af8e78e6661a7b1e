/**
 * The checker scheduler (keepalived.conf(5) generic checker options): one CheckerRunner per
 * real server x checker. It runs one attempt at a time on the injected Scheduler: the first
 * after a random delay up to `warmup`, then every `delay_loop`; a failed attempt is retried
 * `retry` times, `delay_before_retry` apart, before the checker goes DOWN (keepalived's rule:
 * the checker changes state only once the retries are used up; a success goes UP at once).
 * `alpha` starts the checker DOWN. Push checkers (FILE_CHECK, BFD_CHECK) have no timer: their
 * watcher reports results, which take effect at once.
 */
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { CheckResult, RunCheck } from "./checkers/types.ts";
import { failureSentence, type SentenceNames, successSentence } from "./sentences.ts";

/** Timing and logging knobs of one checker, all times in ms. */
export interface CheckerTiming {
  /** Interval between attempts (delay_loop). */
  delayLoopMs: number;
  /** Retries before DOWN (retry). */
  retry: number;
  /** Pause before a retry (delay_before_retry). */
  delayBeforeRetryMs: number;
  /** The first attempt runs after a random delay in [0, warmupMs] (warmup; 0 = at once). */
  warmupMs: number;
  /** Start DOWN (alpha). */
  alpha: boolean;
  /** Log every failed attempt, not only state changes (log_all_failures / checker_log_all_failures). */
  logAllFailures: boolean;
}

/** A checker's view as the topology sees it. */
export interface CheckerStatus {
  /** Passing (UP) or failing (DOWN). */
  readonly up: boolean;
  /** Weight change this checker asks for (misc_dynamic, FILE_CHECK); 0 when none. */
  readonly weightDelta: number;
  /** Whether at least one result arrived. */
  readonly hasRun: boolean;
  /** Reason of the last result. */
  readonly lastReason: string;
}

/** Called when `up` or `weightDelta` changed; `result` is the attempt that changed it. */
export type CheckerChange = (status: CheckerStatus, result: CheckResult) => void;

/** How a result's weight becomes a weight delta (misc_dynamic sets, FILE_CHECK adds). */
export type WeightOf = (r: CheckResult) => number;

/** Options of a runner. */
export interface CheckerRunnerOptions {
  /** Text naming the checker in logs: "TCP_CHECK on [192.0.2.2]:tcp:80". */
  name: string;
  timing: CheckerTiming;
  /** One attempt (polling checkers); undefined for push checkers. */
  run?: RunCheck;
  sched: Scheduler;
  log: Logger;
  onChange: CheckerChange;
  /** @default result.weight ?? 0 */
  weightOf?: WeightOf;
  /** Random number in [0, 1). @default Math.random */
  random?: () => number;
  /**
   * keepalived's own sentences for this checker, which operators grep for: `kind` as in "TCP_CHECK on
   * service …" (TCP, HTTP, SSL, …) and `service`, the real server as keepalived names it.
   */
  sentences?: SentenceNames;
  /**
   * HTTP_GET / SSL_GET pacing of a failed url (keepalived's check_http.c): once the checker is down a
   * failure is not retried, and after the failure that took it down or kept it down the next attempt
   * is max(delay_before_retry, delay_loop) later. Other checkers retry while down and wait delay_loop.
   */
  failedUrlPacing?: boolean;
}

export { successSentence } from "./sentences.ts";

/** One checker's state and timers. */
export class CheckerRunner implements CheckerStatus {
  up: boolean;
  weightDelta = 0;
  hasRun = false;
  lastReason = "not run yet";
  /** Failed attempts since the last success or state change. */
  retries = 0;
  /** Attempts started, for the dump and metrics. */
  attempts = 0;
  /** Attempts that failed (retries included), for metrics. */
  failures = 0;
  /** Wall time (ms) the last attempt started, and the last result's exit status (MISC_CHECK), for the dump. */
  lastRanMs: number | null = null;
  lastStatus: number | null = null;
  /** Duration of the last completed attempt in ms; null before the first. */
  lastLatencyMs: number | null = null;
  #timer: TimerHandle | undefined;
  /** The attempt running now (an AbortController, or the canceller of a callback attempt). */
  #inFlight: { abort(): void } | undefined;
  #running = false;
  #suspended = false;

  constructor(readonly o: CheckerRunnerOptions) {
    this.up = !o.timing.alpha;
    o.run?.bind?.(this);
  }

  /** Whether an attempt is running now. */
  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  /** Starts polling (first attempt after the warmup delay). Push checkers just become live. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (!this.o.run) return;
    const w = this.o.timing.warmupMs;
    this.#arm(w > 0 ? Math.floor((this.o.random ?? Math.random)() * w) : 0);
  }

  /** Stops timers and aborts an attempt in flight; no further changes are reported. */
  stop(): void {
    this.#running = false;
    this.o.sched.cancel(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#inFlight = undefined;
  }

  /** ha_suspend: no attempts while suspended; the state is kept. */
  suspend(): void {
    if (this.#suspended) return;
    this.#suspended = true;
    this.o.sched.cancel(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#inFlight = undefined;
  }

  /** Ends a suspension: the next attempt runs at once. */
  resume(): void {
    if (!this.#suspended) return;
    this.#suspended = false;
    if (this.#running && this.o.run) this.#arm(0);
  }

  /** A push checker's new result (FILE_CHECK value, BFD state); takes effect at once, no retries. */
  report(r: CheckResult): void {
    if (!this.#running) return;
    this.#apply(r.ok, r);
  }

  #arm(delayMs: number): void {
    this.o.sched.cancel(this.#timer);
    this.#timer = this.o.sched.after(delayMs, () => {
      this.#timer = undefined;
      this.#attempt();
    });
  }

  #attempt(): void {
    const run = this.o.run;
    if (!run || !this.#running || this.#suspended || this.#inFlight) return;
    this.attempts++;
    this.lastRanMs = Date.now();
    const started = this.o.sched.now();
    if (run.start) {
      const token = { abort: (): void => {} };
      this.#inFlight = token;
      try {
        const cancel = run.start((r) => this.#settle(token, started, r));
        if (this.#inFlight === token) token.abort = cancel;
      } catch (e) {
        this.#settle(token, started, { ok: false, reason: `internal error: ${(e as Error).message}` });
      }
      return;
    }
    const ac = new AbortController();
    this.#inFlight = ac;
    let p: Promise<CheckResult>;
    try {
      p = run(ac.signal);
    } catch (e) {
      p = Promise.resolve({ ok: false, reason: `internal error: ${(e as Error).message}` });
    }
    p.then(
      (r) => this.#settle(ac, started, r),
      (e: unknown) => this.#settle(ac, started, { ok: false, reason: `internal error: ${String(e)}` }),
    );
  }

  #settle(attempt: { abort(): void }, started: number, r: CheckResult): void {
    if (this.#inFlight !== attempt) return; // stopped, suspended or replaced meanwhile
    this.#inFlight = undefined;
    this.lastLatencyMs = this.o.sched.now() - started;
    if (r.status !== undefined) this.lastStatus = r.status;
    if (!r.ok) this.failures++;
    this.#onResult(r);
  }

  #onResult(r: CheckResult): void {
    const t = this.o.timing;
    const k = this.o.sentences;
    if (r.ok && r.urlSuccess && k) this.o.log.info(`${r.urlSuccess.what} success to ${k.service} url(${r.urlSuccess.path})`);
    if (r.ok && r.stepDelayMs !== undefined) {
      // One url of several passed: no verdict until the last (http-steps.ts).
      this.retries = 0;
      this.lastReason = r.reason;
      this.#arm(r.stepDelayMs);
      return;
    }
    if (r.ok) {
      this.retries = 0;
      this.#apply(true, r);
      this.#arm(t.delayLoopMs);
      return;
    }
    // keepalived does not retry a checker's very first attempt: a server down at start is down at once.
    const paced = this.o.failedUrlPacing === true;
    if (this.retries < t.retry && this.hasRun && !(paced && !this.up)) {
      this.retries++;
      const line = `${this.o.name} failed (${r.reason}); retry ${this.retries} of ${t.retry}`;
      if (t.logAllFailures && this.up) this.o.log.info(line);
      else this.o.log.debug(line);
      this.lastReason = r.reason;
      this.#arm(t.delayBeforeRetryMs);
      return;
    }
    const said = k && (this.up || !this.hasRun) ? failureSentence(k, this.retries, r.reason, this.hasRun) : undefined;
    if (said) this.o.log.info(said);
    else if (k && (this.up || !this.hasRun)) { /* keepalived says nothing for this type (SMTP) */ }
    else if (t.retry > 0 && this.up) this.o.log.info(`${this.o.name} failed after ${t.retry} retries`);
    this.retries = 0;
    this.#apply(false, r);
    this.#arm(paced ? Math.max(t.delayBeforeRetryMs, t.delayLoopMs) : t.delayLoopMs);
  }

  #apply(ok: boolean, r: CheckResult): void {
    const first = !this.hasRun;
    const k = this.o.sentences;
    const said = k && ok && (first || !this.up) ? successSentence(k.kind, k.service, k) : undefined;
    if (said) this.o.log.info(said);
    this.hasRun = true;
    this.lastReason = r.reason;
    const delta = ok ? (this.o.weightOf ?? ((x) => x.weight ?? 0))(r) : this.weightDelta;
    const changed = ok !== this.up || delta !== this.weightDelta;
    if (!ok && !changed && this.o.timing.logAllFailures) {
      this.o.log.info(`${this.o.name} still failing: ${r.reason}`);
    }
    this.up = ok;
    this.weightDelta = delta;
    if (changed || first) this.o.onChange(this, r);
  }
}
