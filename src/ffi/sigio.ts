/**
 * Readiness from SIGIO, with no extra thread. Each watched fd gets O_ASYNC with this process as owner, so
 * the kernel raises SIGIO when input arrives on it; the signal does not say which fd, and signals
 * coalesce, so on each one a single poll(2) with a zero timeout over the watched fds picks the ready ones
 * and only their callbacks run (a callback must drain its fd: a signal comes for new input, not for input
 * left queued). `remove` clears O_ASYNC, so an fd that is not watched raises nothing: an RxPump takes a
 * busy socket out this way and reads it on a timer, which is the VRRP child's rate limit. `add` sets
 * O_ASYNC and then looks at the fd once, so input queued while it was not watched is not stranded. Every
 * watched fd is delivered at once. The parent, the VRRP and the BFD children use it; bench/reactor.ts
 * measures it against the Worker reactor (docs/design.md).
 *
 * `holdMs` (the check child: many short-lived PING_CHECK sockets, which a role cannot pump one by one) is a
 * rate limit for the fds not added as `urgent`: when they bring input twice within `holdMs`, the watcher
 * clears O_ASYNC on all of them and polls them every `holdMs` instead, until a poll finds none ready; then
 * it sets O_ASYNC again and looks once more. Busy, they cost one wake per `holdMs`, not one signal per
 * datagram; urgent fds (the parent channel) keep raising SIGIO and are delivered at once throughout.
 */
import { rtGuard } from "../core/rt-guard.ts";
import { check, libc } from "./libc.ts";
import type { FdWatcher, ReadyCallback } from "./reactor.ts";

const F_SETOWN = 8, F_GETFL = 3, F_SETFL = 4, O_ASYNC = 0o20000;
const POLLIN = 1, POLLNVAL = 0x20;
/** struct pollfd: int fd; short events; short revents. */
const POLLFD = 8;

/** SIGIO-driven FdWatcher. */
export class SigioWatcher implements FdWatcher {
  readonly #callbacks = new Map<number, ReadyCallback>();
  /** Fds added as urgent: never held. */
  readonly #urgent = new Set<number>();
  /** Non-urgent fds are held: O_ASYNC off, read by the hold timer. */
  #held = false;
  #holdTimer: Timer | undefined;
  /** performance.now() of the last delivery of a non-urgent fd. */
  #lastInput = -Infinity;
  /** pollfd array over the watched fds, rebuilt on the first signal after a change. */
  #pfds = new Int32Array(0);
  #fds: number[] = [];
  #stale = true;
  /** Signals handled and callbacks run (for tests and dumps). */
  signals = 0;
  wakes = 0;
  /** Holds started (for tests and dumps). */
  holds = 0;
  readonly #handler = () => this.#ready();

  /** `holdMs`: the rate limit of non-urgent fds (above); 0 = none, every fd raises SIGIO always. */
  constructor(readonly holdMs = 0) {
    // The handler must exist before any fd gets O_ASYNC: SIGIO's default action ends the process.
    process.on("SIGIO", this.#handler);
  }

  add(fd: number, onReady: ReadyCallback, urgent = false): void {
    this.#callbacks.set(fd, onReady); // a second add of one fd replaces its callback
    if (urgent) this.#urgent.add(fd);
    else this.#urgent.delete(fd);
    this.#stale = true;
    check("fcntl(F_SETOWN)", libc.fcntl(fd, F_SETOWN, process.pid));
    setAsync(fd, urgent || !this.#held); // held: the hold timer polls it
    // Input that arrived before O_ASYNC was set raised no signal: look once.
    queueMicrotask(() => {
      if (this.#callbacks.get(fd) === onReady) onReady();
    });
  }

  remove(fd: number): void {
    if (!this.#callbacks.delete(fd)) return;
    const urgent = this.#urgent.delete(fd);
    this.#stale = true;
    if (urgent || !this.#held) setAsync(fd, false);
  }

  /** Whether `fd` raises SIGIO now (O_ASYNC set), for tests. */
  static raises(fd: number): boolean {
    return (check("fcntl(F_GETFL)", libc.fcntl(fd, F_GETFL, 0)) & O_ASYNC) !== 0;
  }

  close(): void {
    clearTimeout(this.#holdTimer);
    for (const fd of [...this.#callbacks.keys()]) this.remove(fd);
    this.#held = false;
    process.off("SIGIO", this.#handler);
  }

  #rebuild(): void {
    this.#fds = [...this.#callbacks.keys()];
    this.#pfds = new Int32Array(this.#fds.length * (POLLFD / 4));
    this.#fds.forEach((fd, i) => {
      this.#pfds[i * 2] = fd;
      this.#pfds[i * 2 + 1] = POLLIN; // events in the low half, revents (0) in the high half
    });
    this.#stale = false;
  }

  #ready(): void {
    this.signals++;
    const input = this.#poll();
    if (!input || this.holdMs <= 0 || this.#held) return;
    const now = performance.now();
    if (now - this.#lastInput < this.holdMs) this.#hold();
    this.#lastInput = now;
  }

  /** One poll(2) over every watched fd; runs the ready ones. Returns how many non-urgent ones ran. */
  #poll(): number {
    if (this.#stale) this.#rebuild();
    const n = this.#fds.length;
    if (!n) return 0;
    const pfds = this.#pfds;
    for (let i = 0; i < n; i++) pfds[i * 2 + 1] = POLLIN;
    if (libc.poll(pfds, n, 0) <= 0) return 0; // EINTR or nothing: the next signal looks again
    let input = 0;
    for (let i = 0; i < n; i++) {
      const revents = pfds[i * 2 + 1]! >>> 16;
      if (revents === 0 || revents === POLLNVAL) continue;
      const fd = this.#fds[i]!;
      const cb = this.#callbacks.get(fd); // a callback before this one may have removed it
      if (!cb) continue;
      if (!this.#urgent.has(fd)) input++;
      this.wakes++;
      cb();
      rtGuard.checkpoint();
    }
    return input;
  }

  /** Non-urgent fds stop raising SIGIO; the hold timer reads them. */
  #hold(): void {
    this.#held = true;
    this.holds++;
    for (const fd of this.#callbacks.keys()) if (!this.#urgent.has(fd)) setAsync(fd, false);
    this.#holdTimer = setTimeout(this.#onHold, this.holdMs);
  }

  readonly #onHold = (): void => {
    this.#holdTimer = undefined;
    if (this.#poll() > 0) {
      this.#holdTimer = setTimeout(this.#onHold, this.holdMs);
      return;
    }
    // Calm: raise again, then look once, for input that came between the poll and O_ASYNC.
    this.#held = false;
    for (const fd of this.#callbacks.keys()) if (!this.#urgent.has(fd)) setAsync(fd, true);
    this.#lastInput = performance.now();
    this.#poll();
  };
}

function setAsync(fd: number, on: boolean): void {
  const fl = libc.fcntl(fd, F_GETFL, 0);
  if (fl < 0) return; // closed already: nothing to raise
  libc.fcntl(fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC);
}
