/**
 * An fd watched with at most one delivery per `ms`, for event sockets that can get busy but whose events
 * should not wait long (the VRRP child's process connector: with ~1,000 process starts a second on the
 * host, SIGIO would wake the child for nearly every message). The first readiness after a quiet spell is
 * delivered at once; when it read something, the fd leaves the watcher (with SIGIO: O_ASYNC off) for `ms`
 * and then comes back with one look at once, so what arrived meanwhile is read in one go and nothing is
 * stranded. A look that reads nothing leaves the fd watched. The worker reactor's urgent fds had the same
 * limit (2 ms) inside the 50 ms window.
 */
import type { FdWatcher } from "../ffi/reactor.ts";

export class LimitedWatch {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #ready = () => this.#onReady();
  readonly #back = () => {
    this.#timer = undefined;
    if (!this.#closed) this.watcher.add(this.fd, this.#ready, true);
  };

  /** `read` drains the fd and says whether it found anything. */
  constructor(readonly watcher: FdWatcher, readonly fd: number, readonly read: () => boolean, readonly ms: number) {
    watcher.add(fd, this.#ready, true);
  }

  /** Whether the fd is out of the watcher now (for tests). */
  get holding(): boolean {
    return this.#timer !== undefined;
  }

  #onReady(): void {
    if (this.#closed || this.#timer) return;
    if (!this.read()) return;
    this.watcher.remove(this.fd);
    this.#timer = setTimeout(this.#back, this.ms);
  }

  /** Stops watching (the caller closes the fd). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    else this.watcher.remove(this.fd);
    this.#timer = undefined;
  }
}
