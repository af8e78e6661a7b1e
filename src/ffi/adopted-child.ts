/**
 * A child process this runtime did not spawn: the VRRP child that the first process of `keepalived -n`
 * started before it re-executed itself with the idle settings (src/procs/prespawn.ts). The child stays
 * ours across the execve (same parent pid), but the new runtime knows nothing of it, so its exit is read
 * here: on every SIGCHLD, waitid(P_PID, pid, WEXITED | WNOHANG) reaps that pid and no other (Bun waits
 * for the children it spawned itself by their own pid, so neither takes the other's).
 */
import { errno, libc } from "./libc.ts";

/** What supervision uses of a child process: Bun's Subprocess has it, and so does an AdoptedChild. */
export interface ChildProcess {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signalCode: string | number | null;
  /** Resolves once the child is reaped: its exit status, or 128 + the signal that killed it. */
  readonly exited: Promise<number>;
  kill(signal?: NodeJS.Signals | number): void;
}

const P_PID = 1, WEXITED = 4, WNOHANG = 1, CLD_EXITED = 1, ECHILD = 10;

// Linux's numbers 1-31, the same on x86-64 and arm64 (node:os is not loaded for this in the first process).
const SIGNALS =
  "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS"
    .split(" ");

/** The name of signal `n` (SIGKILL), as Bun's Subprocess gives it. */
export function signalName(n: number): string {
  return `SIG${SIGNALS[n - 1] ?? n}`;
}

/**
 * A child of ours, by pid; `onExit` runs once when it is reaped (status, or the name of the killing
 * signal; status 255 when the pid turns out not to be our child, ECHILD).
 */
export class AdoptedChild implements ChildProcess {
  exitCode: number | null = null;
  signalCode: string | null = null;
  readonly exited: Promise<number>;
  readonly #info = new Int32Array(32); // siginfo_t: si_code at [2], si_pid at [4], si_status at [6]
  readonly #onSigchld = (): void => this.#poll();
  #resolve: (n: number) => void = () => {};

  constructor(readonly pid: number, readonly onExit: (status: number | null, signal: string | null) => void) {
    this.exited = new Promise((r) => (this.#resolve = r));
    process.on("SIGCHLD", this.#onSigchld);
    this.#poll(); // it may have exited before the handler was there
  }

  kill(signal: NodeJS.Signals | number = "SIGTERM"): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    try {
      process.kill(this.pid, signal);
    } catch { /* not reaped yet, so the pid is still this child's: it can only be exiting */ }
  }

  #poll(): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.#info.fill(0);
    const rc = libc.waitid(P_PID, this.pid, this.#info, WEXITED | WNOHANG);
    const gone = rc !== 0 && errno() === ECHILD; // not (or no longer) our child: nothing to wait for
    if (!gone && (rc !== 0 || this.#info[4] !== this.pid)) return;
    process.off("SIGCHLD", this.#onSigchld);
    const status = gone ? 255 : this.#info[6]!;
    if (gone || this.#info[2] === CLD_EXITED) this.exitCode = status;
    else this.signalCode = signalName(status);
    this.onExit(this.exitCode, this.signalCode);
    this.#resolve(this.exitCode ?? 128 + status);
  }
}
