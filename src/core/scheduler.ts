/**
 * Timers on the monotonic clock. One real Bun timer is armed for the earliest deadline of a binary heap,
 * so a child with hundreds of VRRP instances or thousands of checkers costs one wake-up per deadline, and
 * tests swap in FakeScheduler to drive time by hand.
 */

/** A timer handle; cancel with Scheduler.cancel. */
export interface TimerHandle {
  readonly id: number;
}

/** Monotonic time and one-shot timers, in milliseconds. */
export interface Scheduler {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Runs `fn` once at or after `now() + delayMs`. */
  after(delayMs: number, fn: () => void): TimerHandle;
  /** Runs `fn` once at or after the absolute monotonic time `atMs`. */
  at(atMs: number, fn: () => void): TimerHandle;
  /**
   * Runs `fn` once as soon as the running callback, and the batch of due timers it belongs to, has
   * returned: before any later timer. For work that many callbacks of one batch ask for (one IPVS
   * update after a round of check results).
   */
  soon(fn: () => void): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  cancel(h: TimerHandle | undefined): void;
}

interface Entry {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/** Min-heap of timer entries ordered by deadline, then insertion. */
class TimerHeap {
  #a: Entry[] = [];
  #live = new Map<number, Entry>();

  get size(): number {
    return this.#live.size;
  }
  push(e: Entry): void {
    this.#live.set(e.id, e);
    const a = this.#a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  cancel(id: number): void {
    this.#live.delete(id);
  }
  /** Earliest live entry, discarding cancelled ones. */
  peek(): Entry | undefined {
    while (this.#a.length && !this.#live.has(this.#a[0]!.id)) this.#pop();
    return this.#a[0];
  }
  take(): Entry | undefined {
    const e = this.peek();
    if (e) {
      this.#pop();
      this.#live.delete(e.id);
    }
    return e;
  }
  #pop(): void {
    const a = this.#a;
    const last = a.pop()!;
    if (!a.length) return;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < a.length && less(a[l]!, a[m]!)) m = l;
      if (r < a.length && less(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}

function less(x: Entry, y: Entry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** Shared bookkeeping of the real and fake schedulers. */
abstract class HeapScheduler implements Scheduler {
  protected heap = new TimerHeap();
  protected nextId = 1;
  abstract now(): number;
  protected abstract rearm(): void;

  after(delayMs: number, fn: () => void): TimerHandle {
    return this.at(this.now() + Math.max(0, delayMs), fn);
  }
  at(atMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.heap.push({ id, at: atMs, seq: id, fn });
    this.rearm();
    return { id };
  }
  /** Ahead of every due timer, at the next run (the fake clock's next advance). */
  soon(fn: () => void): TimerHandle {
    return this.at(-Infinity, fn);
  }
  cancel(h: TimerHandle | undefined): void {
    if (h) this.heap.cancel(h.id);
  }
  /**
   * Runs the entries due at `now`, in deadline order; stops early once `budgetMs` of wall time went by
   * (the caller re-arms for the rest), so a loop with thousands of overdue timers still reads its fds
   * and messages between slices. Returns how many ran.
   */
  protected runDue(now: number, budgetMs = Infinity): number {
    let n = 0;
    const stopAt = budgetMs === Infinity ? Infinity : performance.now() + budgetMs;
    for (let e = this.heap.peek(); e && e.at <= now; e = this.heap.peek()) {
      this.heap.take();
      n++;
      e.fn();
      if ((n & 15) === 0 && performance.now() >= stopAt) break;
    }
    return n;
  }
}

/** Longest run of due timers in one go, ms (then fds, messages and `soon` work get their turn). */
const SLICE_MS = 10;

/** The production scheduler: performance.now() and one Bun timer. */
export class RealScheduler extends HeapScheduler {
  #armedAt = Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set instead of #timer when the next entry is already due (a cut slice): setImmediate, not a 1 ms timer. */
  #immediate: ReturnType<typeof setImmediate> | undefined;
  readonly #soon = new Set<number>();

  /**
   * `earlyMs`: when the timer fires, everything due within this many ms runs too. 0.5 ms absorbs Bun's
   * millisecond timers firing a fraction early; the check child uses more, so thousands of checkers
   * spread over a second cost a few dozen wakes instead of one each (a check may start that much early).
   */
  constructor(readonly earlyMs = 0.5) {
    super();
  }

  /** A microtask: it runs when the current callback (a whole slice of due timers) returns. */
  override soon(fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.#soon.add(id);
    queueMicrotask(() => {
      if (this.#soon.delete(id)) fn();
    });
    return { id };
  }
  override cancel(h: TimerHandle | undefined): void {
    if (!h) return;
    this.#soon.delete(h.id);
    super.cancel(h);
  }

  now(): number {
    return performance.now();
  }
  protected rearm(): void {
    const next = this.heap.peek();
    if (!next) {
      this.#disarm();
      this.#armedAt = Infinity;
      return;
    }
    if (next.at >= this.#armedAt && (this.#timer || this.#immediate)) return;
    this.#disarm();
    this.#armedAt = next.at;
    const wait = next.at - this.now();
    if (wait <= 0) this.#immediate = setImmediate(() => this.#fire());
    else this.#timer = setTimeout(() => this.#fire(), wait);
  }
  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
  #fire(): void {
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#armedAt = Infinity;
    this.runDue(this.now() + this.earlyMs, SLICE_MS);
    this.rearm();
  }
}

/** A scheduler whose clock moves only when a test says so. */
export class FakeScheduler extends HeapScheduler {
  #now: number;
  constructor(startMs = 0) {
    super();
    this.#now = startMs;
  }
  now(): number {
    return this.#now;
  }
  protected rearm(): void {}
  /** Moves the clock forward by `ms`, running timers in deadline order at their own times. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let e = this.heap.peek(); e && e.at <= end; e = this.heap.peek()) {
      this.#now = Math.max(this.#now, e.at);
      this.runDue(this.#now);
    }
    this.#now = end;
  }
  /** Number of pending timers. */
  get pending(): number {
    return this.heap.size;
  }
}
