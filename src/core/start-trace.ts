/**
 * Start-up phase marks for the benchmark: with KA_START_TRACE=FILE every process appends one line per
 * milestone, `PID ROLE WHAT MS` (MS: wall-clock milliseconds, performance.timeOrigin + now()), plus an
 * `origin` line with its runtime's time origin at its first mark. Unset (always, outside bench/startup.ts
 * BENCH_STARTUP_TRACE=1), a mark is one environment lookup.
 */
import { appendFileSync } from "node:fs";

let origin = false;

/** Records that this process (`role`) reached `what`. */
export function startMark(role: string, what: string): void {
  const f = process.env.KA_START_TRACE;
  if (!f) return;
  let s = "";
  if (!origin) {
    origin = true;
    s = `${process.pid} ${role} origin ${performance.timeOrigin.toFixed(2)}\n`;
  }
  appendFileSync(f, `${s}${process.pid} ${role} ${what} ${(performance.timeOrigin + performance.now()).toFixed(2)}\n`);
}
