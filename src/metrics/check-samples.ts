/**
 * Sample names for the check child's metrics report, so the parent's /metrics and the docs agree:
 * per real server its checker latency and failures (the up/down state and weight the parent already
 * derives from rsState messages). Takes a structural view so it needs no checker import.
 */
import type { MetricSample } from "../core/ipc.ts";
import { counter, gauge } from "./exposition.ts";

/** One checker of one real server, as the check child sees it. */
export interface CheckerView {
  /** vsName(vs) from src/alert/names.ts. */
  readonly vs: string;
  /** rsName(vs, rs) from src/alert/names.ts. */
  readonly rs: string;
  /** Checker type, e.g. "TCP_CHECK", or a name that tells two checkers of one real server apart. */
  readonly checker: string;
  /** Duration of the last completed check in milliseconds; null before the first. */
  readonly lastLatencyMs: number | null;
  /** Checks run so far. */
  readonly checks: number;
  /** Checks that failed so far (each failed attempt, retries included). */
  readonly failures: number;
}

/** Samples for the given checkers. */
export function checkSamples(checkers: readonly CheckerView[]): MetricSample[] {
  const out: MetricSample[] = [];
  for (const c of checkers) {
    const l = { virtual_server: c.vs, real_server: c.rs, checker: c.checker };
    if (c.lastLatencyMs !== null) {
      out.push(
        gauge(
          "keepalived_check_latency_seconds",
          "Duration of the last completed health check",
          l,
          c.lastLatencyMs / 1000,
        ),
      );
    }
    out.push(
      counter("keepalived_check_runs_total", "Health checks run", l, c.checks),
      counter("keepalived_check_failures_total", "Health checks that failed", l, c.failures),
    );
  }
  return out;
}
