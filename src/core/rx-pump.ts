/**
 * Feeds one datagram socket to its drain function, for a child whose sockets can get busy (the VRRP
 * child's receive sockets: a Backup of 100 instances hears 1,000 adverts a second). While datagrams come
 * one at a time the watcher wakes the child for each, so a lone datagram is read at once. When a read
 * finds a bunch, or a second wake with input comes within half of `periodMs` of the one before (datagrams spread out, one
 * per wake: with SIGIO, which has no rate limit of its own, that would be a wake per datagram), the
 * socket leaves the watcher (with SIGIO: O_ASYNC off) and is read on a scheduler timer every `periodMs`
 * instead, until QUIET_POLLS reads in a row find fewer; then it goes back (O_ASYNC on, and one look at
 * once, so nothing that came in between is stranded). A user whose timers
 * must not wait for the next read calls `readNow` first (VRRP's Master_Down_Timer does; its adverts also
 * carry the kernel's receive time).
 * A socket whose queue overflowed (the kernel dropped datagrams: `drops` grew, from SO_RXQ_OVFL) is read
 * again at once and then polled four times as often per overflow, down to every MIN_PERIOD_MS; after
 * QUIET_READS reads without a drop the period doubles back towards `periodMs`. So a flood costs more
 * wakes, but the few datagrams that matter (a master's adverts) are not lost among those dropped.
 */
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { FdWatcher } from "../ffi/reactor.ts";

/** Datagrams in one read that mean "busy". */
const BUSY = 2;
/** The shortest polling period after overflows, ms. */
export const MIN_PERIOD_MS = 1;
/** Reads without a drop before the period doubles again. */
const QUIET_READS = 50;
/**
 * Polls in a row that find fewer than BUSY before the socket goes back to the reactor. Adverts come in
 * bursts (a master's instances share wakes), so one poll can fall between two bursts; going back at the
 * first cost a reactor wake (and one of the worker thread) at the next burst, 5-10 a second for a Backup
 * of 100 instances at 0.1 s.
 */
const QUIET_POLLS = 3;
/** A poll needs no sub-millisecond timing (the adverts carry their receive time): no fine sleep for it. */
const COARSE = { coarse: true };

export class RxPump {
  #polling = false;
  #closed = false;
  #timer: TimerHandle | undefined;
  #period: number;
  #quiet = 0;
  /** Polls in a row that found the socket quiet. */
  #idlePolls = 0;
  #dropsSeen = 0;
  /** When the watcher last woke us with input on this socket (-Infinity: not since it came back). */
  #lastWake = -Infinity;
  /** Overflows seen (for dumps and tests). */
  overflows = 0;
  readonly #onReady = () => this.#fromReactor();
  readonly #pollTask = () => this.#poll();

  /**
   * `drain` reads everything queued and returns how many datagrams it read (void: unknown, never poll);
   * `drops` counts the datagrams the kernel has dropped on the socket so far.
   */
  constructor(
    readonly fd: number,
    readonly drain: () => number | void,
    readonly watcher: FdWatcher,
    readonly sched: Scheduler,
    public periodMs = 50,
    readonly drops?: () => number,
  ) {
    this.#period = periodMs;
    watcher.add(fd, this.#onReady);
  }

  /** Changes the polling period (a sped-up one after overflows stays, unless slower than the new one). */
  setPeriod(ms: number): void {
    if (ms === this.periodMs) return;
    if (this.#period === this.periodMs || this.#period > ms) this.#period = ms;
    this.periodMs = ms;
  }

  /** The polling period now, ms (shorter than `periodMs` after overflows). */
  get period(): number {
    return this.#period;
  }

  /** One drain, again at once if the queue overflowed; returns the datagrams read, and adapts the period. */
  #read(): number {
    let n = this.drain() ?? 0;
    const drops = this.drops?.() ?? 0;
    const overflowed = drops > this.#dropsSeen;
    this.#dropsSeen = drops;
    if (!overflowed) {
      if (this.#period < this.periodMs && ++this.#quiet >= QUIET_READS) {
        this.#period = Math.min(this.periodMs, this.#period * 2);
        this.#quiet = 0;
      }
      return n;
    }
    this.overflows++;
    this.#quiet = 0;
    this.#period = Math.max(MIN_PERIOD_MS, this.#period / 4);
    n += this.drain() ?? 0;
    return Math.max(n, BUSY);
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
    const n = this.#read();
    const now = this.sched.now(), last = this.#lastWake;
    if (n > 0) this.#lastWake = now; // a look that found nothing (after add) is not a wake for input
    if ((n < BUSY && now - last >= this.#period / 2) || this.#polling) return;
    this.#polling = true;
    this.watcher.remove(this.fd);
    this.#arm();
  }

  /** The next poll in `#period` ms: one scheduler handle for the pump's life (Scheduler.again). */
  #arm(): void {
    const at = this.sched.now() + this.#period;
    if (this.#timer) this.sched.again(this.#timer, at);
    else this.#timer = this.sched.at(at, this.#pollTask, COARSE);
  }

  #poll(): void {
    if (this.#closed) return;
    const busy = this.#read() >= BUSY;
    this.#idlePolls = busy ? 0 : this.#idlePolls + 1;
    if (this.#idlePolls < QUIET_POLLS || this.#period < this.periodMs) return this.#arm();
    this.#idlePolls = 0;
    this.#polling = false;
    this.#lastWake = -Infinity;
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
