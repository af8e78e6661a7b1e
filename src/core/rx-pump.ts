/**
 * Feeds one datagram socket to its drain function, for a child whose sockets can get busy (the VRRP
 * child's receive sockets: a Backup of 100 instances hears 1,000 adverts a second). While datagrams come
 * one at a time the reactor wakes the child for each, so a lone datagram is read at once. When a read
 * finds a bunch (the reactor's rate limit already held them back), the socket leaves the reactor and is
 * read on a scheduler timer every `periodMs` instead, until a read finds fewer again: a timer wake costs
 * the main thread alone, where a reactor wake also wakes the worker thread twice. A user whose timers
 * must not wait for the next read calls `readNow` first (VRRP's Master_Down_Timer does; its adverts also
 * carry the kernel's receive time).
 */
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { FdWatcher } from "../ffi/reactor.ts";

/** Datagrams in one read that mean "busy". */
const BUSY = 2;

export class RxPump {
  #polling = false;
  #closed = false;
  #timer: TimerHandle | undefined;
  readonly #onReady = () => this.#fromReactor();

  /** `drain` reads everything queued and returns how many datagrams it read (void: unknown, never poll). */
  constructor(readonly fd: number, readonly drain: () => number | void, readonly watcher: FdWatcher, readonly sched: Scheduler, readonly periodMs = 50) {
    watcher.add(fd, this.#onReady);
  }

  /** Whether the socket is read on the timer (for tests and dumps). */
  get polling(): boolean {
    return this.#polling;
  }

  /** Reads the socket now. */
  readNow(): void {
    if (!this.#closed) this.drain();
  }

  #fromReactor(): void {
    if (this.#closed) return;
    const n = this.drain() ?? 0;
    if (n < BUSY || this.#polling) return;
    this.#polling = true;
    this.watcher.remove(this.fd);
    this.#timer = this.sched.after(this.periodMs, () => this.#poll());
  }

  #poll(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    if ((this.drain() ?? 0) >= BUSY) {
      this.#timer = this.sched.after(this.periodMs, () => this.#poll());
      return;
    }
    this.#polling = false;
    this.watcher.add(this.fd, this.#onReady); // looks once at once (edge triggered), then on readiness
  }

  /** Stops reading (the caller closes the socket). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.sched.cancel(this.#timer);
    if (!this.#polling) this.watcher.remove(this.fd);
  }
}
