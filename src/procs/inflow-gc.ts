/**
 * The parent's collection after what its children sent. The parent runs without Bun's GC timer
 * (tuning.ts), so what parsing the children's messages leaves behind (control snapshots above all: 2.5 MB
 * of JSON each from a check child with 10,000 real servers, ~11 KB/s from a VRRP child with 100 instances
 * failing over) stayed until the allocator's own threshold was met: the parent's anonymous memory rose and
 * fell by several MiB with no live object behind it (bench/RESULTS.md, "2026-12-03, issue 12, the parent's
 * memory"). After INFLOW_BYTES have arrived since the last collection, a full collection runs shortly after
 * (the rest of a burst is read first), at most once per INFLOW_MIN_GAP_MS (later-gc.ts). An idle parent
 * receives nothing and so never collects (docs/design.md, An idle daemon stays asleep).
 */
import { RealScheduler, type Scheduler } from "../core/scheduler.ts";
import { LaterGc } from "./later-gc.ts";

/** Bytes received from children after which the parent collects. */
export const INFLOW_BYTES = 1 << 20;
/** A collection waits this long after the threshold is crossed, so the rest of a burst is read first. */
export const INFLOW_DELAY_MS = 50;
/** And at least this long after the previous one. */
export const INFLOW_MIN_GAP_MS = 1000;

/** Counts bytes read from the children's channels (`note`) and collects after every INFLOW_BYTES. */
export class InflowCollector extends LaterGc {
  constructor(sched: Scheduler = new RealScheduler(), threshold = INFLOW_BYTES, gc?: () => void) {
    super(sched, { threshold, delayMs: INFLOW_DELAY_MS, settle: false, minGapMs: INFLOW_MIN_GAP_MS }, gc);
  }
}
