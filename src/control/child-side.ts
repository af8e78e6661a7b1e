/**
 * The child half of control commands (docs/control.md): `logLevel` (the logger's detail switch, as -D)
 * and `snapshot` (push one now) are the same in every child; the others go to the role's runtime. Also
 * the snapshot reporter a child uses to push its status (src/core/control-state.ts) to the parent soon
 * after a change, and when the parent finds the last one old.
 */
import type { ChildCommand } from "../core/control-proto.ts";
import type { ChildSnap } from "../core/control-state.ts";
import type { Message, Role } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";

/** Runs one command in a child; never throws (a failure is a refusal with the error's text). */
export function runControl(
  log: Logger,
  rt: { control?(cmd: ChildCommand): { ok: boolean; message: string }; snapshot?: SnapshotReporter },
  cmd: ChildCommand,
): { ok: boolean; message: string } {
  const snapshot = rt.snapshot;
  try {
    if (cmd.op === "snapshot") {
      if (!snapshot) return { ok: false, message: "this child keeps no status snapshot" };
      snapshot.push();
      return { ok: true, message: "snapshot sent" };
    }
    if (cmd.op === "logLevel") {
      log.opts.detail = cmd.detail;
      log.info(`log level set to ${cmd.detail ? "debug" : "info"} by keepalived ctl`);
      return { ok: true, message: cmd.detail ? "debug" : "info" };
    }
    if (!rt.control) return { ok: false, message: `this child takes no ${cmd.op} command` };
    return rt.control(cmd);
  } catch (e) {
    log.error(`control ${cmd.op}: ${(e as Error).stack ?? e}`);
    return { ok: false, message: `${cmd.op} failed: ${(e as Error).message}` };
  }
}

/** Options of a SnapshotReporter. */
export interface SnapshotReporterOptions {
  role: Role;
  send: (msg: Message) => void;
  sched: Scheduler;
  collect: () => ChildSnap;
  /** Periodic push, ms; 0: only on change and when asked (what every child uses). */
  intervalMs: number;
  /** A change is pushed this long after `changed()`, or later after a costly push (SPACING). @default 100 */
  debounceMs?: number;
  /** Measures what a push costs, ms (tests pass a fake). @default performance.now */
  clock?: () => number;
}

/**
 * After a push that took T ms (collecting, and serialising in send), the next change waits at least
 * SPACING x T from that push: at most ~5% of the child's time goes to snapshots, and the parent parses
 * that much less. A check child with 10,000 real servers built a 2.5 MB snapshot every 100 ms while its
 * first checks changed states: 14 in 10 s (35 MB the parent parsed; docs/design.md, Footprint).
 */
export const SPACING = 20;

/**
 * Pushes the child's snapshot while the parent has a control socket (`control_socket` not `none`):
 * nothing is built or sent otherwise.
 */
export class SnapshotReporter {
  #periodic: TimerHandle | undefined;
  #soon: TimerHandle | undefined;
  #running = false;
  /** When the last push ended (scheduler time) and what it cost (clock ms). */
  #lastAt = -Infinity;
  #lastCost = 0;

  constructor(readonly opts: SnapshotReporterOptions) {}

  /**
   * Starts or stops pushing; call after each configuration. Starting pushes at once unless `pushNow` is
   * false: the parent then has no snapshot until a change or until it asks (it asks for one older than 5 s
   * when a client wants the status).
   */
  enable(on: boolean, pushNow = true): void {
    if (on && !this.#running) {
      this.#running = true;
      if (pushNow) this.push();
    } else if (!on) this.stop();
  }

  /** Something changed: push within the debounce time. */
  changed(): void {
    if (!this.#running || this.#soon) return;
    const spaced = this.#lastAt + this.#lastCost * SPACING - this.opts.sched.now();
    this.#soon = this.opts.sched.after(Math.max(this.opts.debounceMs ?? 100, spaced), () => {
      this.#soon = undefined;
      this.push();
    });
  }

  /** Pushes now and restarts the periodic timer. */
  push(): void {
    if (!this.#running) return;
    this.opts.sched.cancel(this.#periodic);
    if (this.opts.intervalMs > 0) this.#periodic = this.opts.sched.after(this.opts.intervalMs, () => this.push());
    const clock = this.opts.clock ?? (() => performance.now());
    const t0 = clock();
    let snapshot: ChildSnap;
    try {
      snapshot = this.opts.collect();
    } catch {
      return; // a collector bug must not end the child; the next push tries again
    }
    this.opts.send({ type: "ctlSnapshot", role: this.opts.role, snapshot });
    this.#lastCost = clock() - t0;
    this.#lastAt = this.opts.sched.now();
  }

  /** Stops pushing. */
  stop(): void {
    this.#running = false;
    this.opts.sched.cancel(this.#periodic);
    this.opts.sched.cancel(this.#soon);
    this.#periodic = this.#soon = undefined;
  }
}
