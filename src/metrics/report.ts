/**
 * The child side of /metrics: a child hands its current samples to the parent in a `metrics` message
 * (src/core/ipc.ts) every few seconds and soon after a change. The whole set is sent each time (it
 * replaces the previous snapshot), so a lost message or a parent restart never leaves a counter wrong.
 *
 * Wiring in a child (a few lines):
 *   const reporter = new MetricsReporter({ role: "vrrp", send: ctx.send, sched: ctx.scheduler,
 *     collect: () => vrrpSamples(rt.instances()) });
 *   reporter.reportIf(global.metricsListen !== null);   // after each apply()
 *   reporter.changed();          // after a transition or any counter the operator watches closely
 *   reporter.stop();             // in stop()
 */
import type { Message, MetricSample, Role } from "../core/ipc.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";

/** Reporter options. */
export interface ReporterOptions {
  role: Role;
  /** The child's send-to-parent (ChildContext.send). */
  send: (msg: Message) => void;
  /** Returns the child's current samples; called at each report. */
  collect: () => MetricSample[];
  /** The child's scheduler (ChildContext.scheduler). */
  sched: Scheduler;
  /** Periodic report. @default 5000 */
  intervalMs?: number;
  /** A change is reported at most this long after `changed()`; changes in between are coalesced. @default 100 */
  debounceMs?: number;
}

/** Sends a child's samples to the parent periodically and on change. */
export class MetricsReporter {
  #periodic: TimerHandle | undefined;
  #soon: TimerHandle | undefined;
  #running = false;
  readonly #interval: number;
  readonly #debounce: number;
  /** Reports sent so far. */
  sent = 0;

  constructor(readonly opts: ReporterOptions) {
    this.#interval = opts.intervalMs ?? 5000;
    this.#debounce = opts.debounceMs ?? 100;
  }

  /** Sends a report now and then every interval. Calling it again is harmless. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.report();
  }

  /** Something changed: report within the debounce time. */
  changed(): void {
    if (!this.#running || this.#soon) return;
    this.#soon = this.opts.sched.after(this.#debounce, () => {
      this.#soon = undefined;
      this.report();
    });
  }

  /** Sends a report now and restarts the periodic timer. */
  report(): void {
    if (!this.#running) return;
    const s = this.opts.sched;
    s.cancel(this.#periodic);
    this.#periodic = s.after(this.#interval, () => this.report());
    let samples: MetricSample[];
    try {
      samples = this.opts.collect();
    } catch {
      return; // a collector bug must not take the child down; the next report tries again
    }
    this.opts.send({ type: "metrics", role: this.opts.role, samples });
    this.sent++;
  }

  /**
   * Reports only while the parent serves /metrics (`metrics_listen` is set): the whole sample set of
   * 10,000 checkers is megabytes of JSON every few seconds, for nobody when nothing is served.
   */
  reportIf(served: boolean): void {
    if (served) this.start();
    else this.stop();
  }

  /** Stops reporting. */
  stop(): void {
    this.#running = false;
    this.opts.sched.cancel(this.#periodic);
    this.opts.sched.cancel(this.#soon);
    this.#periodic = this.#soon = undefined;
  }
}
