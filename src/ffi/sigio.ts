/**
 * The fallback readiness source: SIGIO. Each registered fd gets O_ASYNC with this process as owner; on
 * SIGIO every registered callback runs (the signal does not say which fd is ready, and signals coalesce),
 * so callbacks must drain to EAGAIN. No extra thread: the parent and the BFD child use it (a handful of
 * fds each), and it is measured against the Worker reactor in bench/reactor.ts.
 */
import { rtGuard } from "../core/rt-guard.ts";
import { check, libc } from "./libc.ts";
import type { FdWatcher, ReadyCallback } from "./reactor.ts";

const F_SETOWN = 8, F_GETFL = 3, F_SETFL = 4, O_ASYNC = 0o20000;

/** SIGIO-driven FdWatcher. */
export class SigioWatcher implements FdWatcher {
  #callbacks = new Map<number, ReadyCallback>();
  #handler = () => {
    for (const cb of [...this.#callbacks.values()]) {
      cb();
      rtGuard.checkpoint();
    }
  };
  constructor() {
    // The handler must exist before any fd gets O_ASYNC: SIGIO's default action ends the process.
    process.on("SIGIO", this.#handler);
  }
  add(fd: number, onReady: ReadyCallback): void {
    this.#callbacks.set(fd, onReady);
    check("fcntl(F_SETOWN)", libc.fcntl(fd, F_SETOWN, process.pid));
    const fl = check("fcntl(F_GETFL)", libc.fcntl(fd, F_GETFL, 0));
    check("fcntl(F_SETFL)", libc.fcntl(fd, F_SETFL, fl | O_ASYNC));
    queueMicrotask(onReady);
  }
  remove(fd: number): void {
    if (!this.#callbacks.delete(fd)) return;
    const fl = libc.fcntl(fd, F_GETFL, 0);
    if (fl >= 0) libc.fcntl(fd, F_SETFL, fl & ~O_ASYNC);
  }
  close(): void {
    for (const fd of [...this.#callbacks.keys()]) this.remove(fd);
    process.off("SIGIO", this.#handler);
  }
}
