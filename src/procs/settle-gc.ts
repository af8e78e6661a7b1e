/**
 * A full collection once a burst of VRRP state changes has settled. Children run without Bun's GC timer
 * (tuning.ts), so what a burst of failovers allocated stays in the heap until allocation alone triggers a
 * collection, and the allocator's pages with it. In the soak (100 instances, 10 failing over every 5 s) a
 * collection after activity held the VRRP child ~2 MiB lower (bench/RESULTS.md, "2026-12-03, issue 12,
 * soak slope"). An idle child never collects here (one collection cost an idle 1-instance child ~7-10 ms
 * of CPU), and a busy one at most once per MIN_SPACING_MS (later-gc.ts).
 */
import type { Scheduler } from "../core/scheduler.ts";
import { LaterGc } from "./later-gc.ts";

/** Quiet time after the last state change before the collection, ms. */
export const SETTLE_MS = 2000;
/** At most one collection per this many ms, however often states change. */
export const MIN_SPACING_MS = 60_000;

/** Collects (`gc`) SETTLE_MS after the last `changed()`, no sooner than MIN_SPACING_MS after the last collection. */
export class SettleGc extends LaterGc {
  constructor(sched: Scheduler, gc?: () => void) {
    super(sched, { threshold: 1, delayMs: SETTLE_MS, settle: true, minGapMs: MIN_SPACING_MS }, gc);
  }

  /** A state changed: (re)arm the collection. */
  changed(): void {
    this.note(1);
  }

  /**
   * Work that recurs without changing a state (a tracked script's runs): arms the collection if none is
   * pending and never postpones one, so a script run every second still collects, once per MIN_SPACING_MS.
   */
  activity(): void {
    this.arm();
  }
}
