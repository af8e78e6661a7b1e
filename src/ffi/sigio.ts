/**
 * Readiness from SIGIO, with no extra thread. Each watched fd gets O_ASYNC with this process as owner, so
 * the kernel raises SIGIO when input arrives on it; the signal does not say which fd, and signals
 * coalesce, so on each one a single poll(2) with a zero timeout over the watched fds picks the ready ones
 * and only their callbacks run (a callback must drain its fd: a signal comes for new input, not for input
 * left queued). `remove` clears O_ASYNC, so an fd that is not watched raises nothing: an RxPump takes a
 * busy socket out this way and reads it on a timer, which is the VRRP child's rate limit. `add` sets
 * O_ASYNC and then looks at the fd once, so input queued while it was not watched is not stranded. Every
 * watched fd is delivered at once (`urgent` changes nothing here). The parent, the VRRP and the BFD
 * children use it; bench/reactor.ts measures it against the Worker reactor (docs/design.md).
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
  /** pollfd array over the watched fds, rebuilt on the first signal after a change. */
  #pfds = new Int32Array(0);
  #fds: number[] = [];
  #stale = true;
  /** Signals handled and callbacks run (for tests and dumps). */
  signals = 0;
  wakes = 0;
  readonly #handler = () => this.#ready();

  constructor() {
    // The handler must exist before any fd gets O_ASYNC: SIGIO's default action ends the process.
    process.on("SIGIO", this.#handler);
  }

  add(fd: number, onReady: ReadyCallback): void {
    this.#callbacks.set(fd, onReady); // a second add of one fd replaces its callback
    this.#stale = true;
    check("fcntl(F_SETOWN)", libc.fcntl(fd, F_SETOWN, process.pid));
    setAsync(fd, true);
    // Input that arrived before O_ASYNC was set raised no signal: look once.
    queueMicrotask(() => {
      if (this.#callbacks.get(fd) === onReady) onReady();
    });
  }

  remove(fd: number): void {
    if (!this.#callbacks.delete(fd)) return;
    this.#stale = true;
    setAsync(fd, false);
  }

  /** Whether `fd` raises SIGIO now (O_ASYNC set), for tests. */
  static raises(fd: number): boolean {
    return (check("fcntl(F_GETFL)", libc.fcntl(fd, F_GETFL, 0)) & O_ASYNC) !== 0;
  }

  close(): void {
    for (const fd of [...this.#callbacks.keys()]) this.remove(fd);
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
    if (this.#stale) this.#rebuild();
    const n = this.#fds.length;
    if (!n) return;
    const pfds = this.#pfds;
    for (let i = 0; i < n; i++) pfds[i * 2 + 1] = POLLIN;
    if (libc.poll(pfds, n, 0) <= 0) return; // EINTR or nothing: the next signal looks again
    for (let i = 0; i < n; i++) {
      const revents = pfds[i * 2 + 1]! >>> 16;
      if (revents === 0 || revents === POLLNVAL) continue;
      const cb = this.#callbacks.get(this.#fds[i]!); // a callback before this one may have removed it
      if (!cb) continue;
      this.wakes++;
      cb();
      rtGuard.checkpoint();
    }
  }
}

function setAsync(fd: number, on: boolean): void {
  const fl = libc.fcntl(fd, F_GETFL, 0);
  if (fl < 0) return; // closed already: nothing to raise
  libc.fcntl(fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC);
}
