/**
 * A full collection some time after work that left garbage, for processes that run without Bun's GC timer
 * (tuning.ts): what the work allocated would otherwise stay until allocation alone triggers a collection,
 * and the allocator's pages with it. Something is counted (`note`); once `threshold` is reached a
 * collection is due `delayMs` later (with `settle`, `delayMs` after the last note: it runs once the notes
 * have stopped), never sooner than `minGapMs` after the previous one, and outside realtime. Nothing
 * counted, nothing run: an idle process never collects here (docs/design.md, An idle daemon stays
 * asleep). Two uses: the parent after what its children sent (inflow-gc.ts), the VRRP child after a burst
 * of state changes (settle-gc.ts).
 */
import { rtGuard } from "../core/rt-guard.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";

/** When a LaterGc collects. */
export interface LaterGcPolicy {
  /** What must be counted since the last collection before the next is due. */
  threshold: number;
  /** The wait after the note that made it due, ms. */
  delayMs: number;
  /** Every later note moves the collection to `delayMs` after it (else the note that made it due fixes it). */
  settle: boolean;
  /** At least this long after the previous collection, ms. */
  minGapMs: number;
}

/** A full collection, out of realtime scheduling (a few ms that have no place for checkpoints). */
const fullGc = () => rtGuard.outside(() => Bun.gc(true));

export class LaterGc {
  #count = 0;
  #timer: TimerHandle | undefined;
  #last = -Infinity;
  /** Collections run so far. */
  runs = 0;
  readonly #run = () => {
    this.#timer = undefined;
    this.#count = 0;
    this.#last = this.sched.now();
    this.runs++;
    this.gc();
  };

  constructor(readonly sched: Scheduler, readonly policy: LaterGcPolicy, readonly gc: () => void = fullGc) {}

  /** `n` more of what is counted. */
  readonly note = (n = 1): void => {
    this.#count += n;
    const p = this.policy;
    if (this.#count < p.threshold || (this.#timer && !p.settle)) return;
    const at = Math.max(this.sched.now() + p.delayMs, this.#last + p.minGapMs);
    if (!this.sched.reschedule(this.#timer, at)) this.#timer = this.sched.at(at, this.#run);
  };

  /**
   * Work that recurs without changing what `note` counts: arms the collection (at `delayMs`, no sooner than
   * `minGapMs` after the previous one) if none is pending, and never postpones one that is.
   */
  arm(): void {
    if (this.#timer) return;
    this.#timer = this.sched.at(Math.max(this.sched.now() + this.policy.delayMs, this.#last + this.policy.minGapMs), this.#run);
  }

  /** Drops a pending collection (the process stops). */
  stop(): void {
    this.sched.cancel(this.#timer);
    this.#timer = undefined;
  }
}
