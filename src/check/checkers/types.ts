/**
 * Common shapes shared by every health checker (keepalived.conf(5), "CHECKER_TYPE" generic
 * connection options: connect_ip, connect_port, bindto, bind_port, bind_if, fwmark,
 * connect_timeout). A checker makes one attempt per call; retry, delay_loop and rise/fall
 * live in the scheduler.
 */

/** Outcome of one check attempt; `reason` names the step that failed (or "ok"). */
export interface CheckResult {
  ok: boolean;
  reason: string;
  /** Dynamic weight (MISC_CHECK misc_dynamic exit status 2-255 gives status-2). */
  weight?: number;
  /** MISC_CHECK: the script's exit status (for the dump's `Last status`). */
  status?: number;
  /**
   * A step of a multi-step check passed (one HTTP url of several, src/check/checkers/http-steps.ts): no
   * verdict yet; the next step runs after this many ms.
   */
  stepDelayMs?: number;
  /** keepalived's per-url sentence for a passing url while the checker is down ("HTTP status code success to … url(/)"). */
  urlSuccess?: { what: string; path: string };
}

/** What a stateful check may read of its runner (CheckerRunner). */
export interface RunnerStatus {
  readonly up: boolean;
  readonly hasRun: boolean;
}

/** Where a checker connects to and, optionally, where it originates from. */
export interface Endpoint {
  /** Destination IPv4/IPv6 literal (connect_ip, else the real server address). */
  address: string;
  /** Destination port (connect_port, else the real server port). */
  port: number;
  /** Source address (bindto). */
  bindTo?: string;
  /** Source port (bind_port). */
  bindPort?: number;
  /** Source interface (bind_if): SO_BINDTODEVICE on a libc socket (src/ffi/bound-socket.ts). */
  bindIf?: string;
  /** Firewall mark for outgoing packets (fwmark): SO_MARK on a libc socket. */
  fwmark?: number;
}

/** One attempt; must settle within the checker's connect timeout and never reject. */
export type RunCheck = ((signal: AbortSignal) => Promise<CheckResult>) & {
  /**
   * The same attempt reporting through a callback (which may run before `start` returns) and returning
   * its canceller: no Promise and no AbortController per attempt. The runner prefers it; TCP_CHECK,
   * run 10,000 times a second with as many real servers, has it.
   */
  start?: (done: (r: CheckResult) => void) => () => void;
  /** Called once by the runner with its status, for checks whose steps depend on it (HTTP urls). */
  bind?: (status: RunnerStatus) => void;
};

/** A passing result. */
export function pass(reason = "ok", weight?: number): CheckResult {
  return weight === undefined ? { ok: true, reason } : { ok: true, reason, weight };
}

/** A failing result with the failed step named in `reason`. */
export function fail(reason: string): CheckResult {
  return { ok: false, reason };
}

/** Short text for an unknown thrown value: its errno code if it has one, else its message. */
export function errorText(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === "string" && e.code !== "") return e.code;
    if (typeof e.message === "string" && e.message !== "") return e.message;
  }
  return String(err);
}

/** Formats an address and port the way URLs and logs do ([v6]:port). */
export function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
