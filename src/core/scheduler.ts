/**
 * Timers on the monotonic clock. One real Bun timer is armed for the earliest deadline of a binary heap,
 * so a child with hundreds of VRRP instances or thousands of checkers costs one wake-up per deadline, and
 * tests swap in FakeScheduler to drive time by hand.
 */

import { rtGuard } from "./rt-guard.ts";

/** A timer handle; cancel with Scheduler.cancel. */
export interface TimerHandle {
  readonly id: number;
}

/** How exact a timer must be (RealScheduler); absent: as exact as the scheduler can make it. */
export interface TimerOpts {
  /**
   * It may run up to this many ms before its deadline when another timer wakes the loop anyway (a
   * MASTER's adverts share the wake of one due a few ms before them). It never wakes the loop early.
   */
  slackMs?: number;
  /** Millisecond precision is enough (a poll): Bun's timer alone, never FineTiming's sleep. */
  coarse?: boolean;
}

/** Monotonic time and one-shot timers, in milliseconds. */
export interface Scheduler {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Runs `fn` once at or after `now() + delayMs` (earlier only as `opts` allow). */
  after(delayMs: number, fn: () => void, opts?: TimerOpts): TimerHandle;
  /** Runs `fn` once at or after the absolute monotonic time `atMs` (earlier only as `opts` allow). */
  at(atMs: number, fn: () => void, opts?: TimerOpts): TimerHandle;
  /**
   * Runs `fn` once as soon as the running callback, and the batch of due timers it belongs to, has
   * returned: before any later timer. For work that many callbacks of one batch ask for (one IPVS
   * update after a round of check results).
   */
  soon(fn: () => void): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  cancel(h: TimerHandle | undefined): void;
  /**
   * Moves a pending timer to the absolute time `atMs` (earlier or later) and returns true; returns false
   * for a timer that already fired or was cancelled (arm a new one then).
   */
  reschedule(h: TimerHandle | undefined, atMs: number): boolean;
  /**
   * Arms a handle made by `at`/`after` again at `atMs`, with its function and options, whether it fired,
   * was cancelled or is still pending (then it moves): a timer re-armed on every advert makes no new
   * handle. Not for `soon` handles.
   */
  again(h: TimerHandle, atMs: number): void;
}

interface Entry {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
  /** Position in the heap array; -1 once fired or cancelled. */
  idx: number;
  /** TimerOpts.slackMs (0: none). */
  slack: number;
  coarse: boolean;
}

/**
 * Min-heap of timer entries ordered by deadline, then insertion. Each entry knows its index, so a cancel
 * removes it at once and a moved deadline sifts it in place: no dead entries pile up when a Backup moves
 * its Master_Down_Timer on every advert.
 */
class TimerHeap {
  #a: Entry[] = [];

  get size(): number {
    return this.#a.length;
  }
  push(e: Entry): void {
    e.idx = this.#a.length;
    this.#a.push(e);
    this.#up(e.idx);
  }
  remove(e: Entry): void {
    const i = e.idx;
    if (!(i >= 0)) return;
    e.idx = -1;
    const a = this.#a;
    const last = a.pop()!;
    if (last === e) return;
    a[i] = last;
    last.idx = i;
    this.#down(i);
    this.#up(last.idx);
  }
  move(e: Entry, at: number, seq: number): void {
    e.at = at;
    e.seq = seq;
    this.#down(e.idx);
    this.#up(e.idx);
  }
  peek(): Entry | undefined {
    return this.#a[0];
  }
  take(): Entry | undefined {
    const e = this.#a[0];
    if (e) this.remove(e);
    return e;
  }
  /**
   * The entries whose slack reaches `now` (at - slack <= now), in deadline order. Walks only the part of
   * the heap due before `now + maxSlack`: a subtree whose root is later holds nothing later entries could
   * be.
   */
  slackDue(now: number, maxSlack: number, out: Entry[]): Entry[] {
    const a = this.#a, stack = this.#stack;
    out.length = 0;
    stack.length = 0;
    if (a.length) stack.push(0);
    while (stack.length) {
      const i = stack.pop()!, e = a[i]!;
      if (e.at > now + maxSlack) continue;
      if (e.slack > 0 && e.at - e.slack <= now) out.push(e);
      if (2 * i + 1 < a.length) stack.push(2 * i + 1);
      if (2 * i + 2 < a.length) stack.push(2 * i + 2);
    }
    return out.sort(byDeadline);
  }
  /** slackDue's walk (kept: a wake allocates nothing). */
  readonly #stack: number[] = [];
  /** Moves the entry at `i` towards the root while it is earlier than its parent. */
  #up(i: number): void {
    const a = this.#a;
    const e = a[i]!;
    for (let p = (i - 1) >> 1; i > 0 && less(e, a[p]!); i = p, p = (i - 1) >> 1) this.#put(a[p]!, i);
    this.#put(e, i);
  }
  /** Moves the entry at `i` towards the leaves while a child is earlier. */
  #down(i: number): void {
    const a = this.#a;
    const e = a[i]!;
    for (;;) {
      const l = 2 * i + 1;
      const c = l + 1 < a.length && less(a[l + 1]!, a[l]!) ? l + 1 : l;
      if (c >= a.length || !less(a[c]!, e)) break;
      this.#put(a[c]!, i);
      i = c;
    }
    this.#put(e, i);
  }
  #put(e: Entry, i: number): void {
    this.#a[i] = e;
    e.idx = i;
  }
}

function less(x: Entry, y: Entry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

function byDeadline(x: Entry, y: Entry): number {
  return less(x, y) ? -1 : 1;
}

/** Shared bookkeeping of the real and fake schedulers. */
abstract class HeapScheduler implements Scheduler {
  protected heap = new TimerHeap();
  protected nextId = 1;
  /**
   * Told when the earliest due timer runs more than `thresholdMs` after its deadline: the process was
   * not scheduled in time (keepalived's min_auto_priority_delay; src/procs/sched.ts raises the priority).
   */
  lateness: { thresholdMs: number; onLate(lateMs: number): void } | undefined;
  /** The largest slackMs ever asked for (bounds the walk for entries that may run early). */
  #maxSlack = 0;
  /** The entries one wake runs early (runDue; kept so a wake allocates no array). */
  readonly #slackDue: Entry[] = [];
  abstract now(): number;
  protected abstract rearm(): void;

  after(delayMs: number, fn: () => void, opts?: TimerOpts): TimerHandle {
    return this.at(this.now() + Math.max(0, delayMs), fn, opts);
  }
  at(atMs: number, fn: () => void, opts?: TimerOpts): TimerHandle {
    const id = this.nextId++;
    const slack = Math.max(0, opts?.slackMs ?? 0);
    if (slack > this.#maxSlack) this.#maxSlack = slack;
    const e: Entry = { id, at: atMs, seq: id, fn, idx: -1, slack, coarse: opts?.coarse ?? false };
    this.heap.push(e);
    this.rearm();
    return e; // the entry is the handle: cancel and reschedule find it without a lookup
  }
  reschedule(h: TimerHandle | undefined, atMs: number): boolean {
    const e = h as Entry | undefined;
    if (!e || !(e.idx >= 0)) return false;
    this.heap.move(e, atMs, this.nextId++);
    this.moved(e);
    return true;
  }
  again(h: TimerHandle, atMs: number): void {
    const e = h as Entry;
    if (e.idx >= 0) {
      this.reschedule(e, atMs);
      return;
    }
    e.at = atMs;
    e.seq = this.nextId++;
    this.heap.push(e);
    this.rearm();
  }
  /** An entry's deadline moved (the real scheduler may have to move its timer). */
  protected moved(_e: TimerHandle): void {
    this.rearm();
  }
  /** Ahead of every due timer, at the next run (the fake clock's next advance). */
  soon(fn: () => void): TimerHandle {
    return this.at(-Infinity, fn);
  }
  cancel(h: TimerHandle | undefined): void {
    if (h) this.heap.remove(h as Entry);
  }
  /**
   * Runs the entries due at `now` (`coarseNow` for coarse ones at the head), in deadline order; stops
   * early once `budgetMs` of wall time went by (the caller re-arms for the rest), so a loop with
   * thousands of overdue timers still reads its fds and messages between slices. When something ran,
   * the entries whose slack reaches `now` run too (they share this wake instead of making their own).
   * Returns how many ran.
   */
  protected runDue(now: number, budgetMs = Infinity, coarseNow = now): number {
    const head = this.heap.peek();
    if (this.lateness && head && Number.isFinite(head.at)) {
      const late = this.now() - head.at;
      if (late > this.lateness.thresholdMs) this.lateness.onLate(late);
    }
    let n = 0;
    const stopAt = budgetMs === Infinity ? Infinity : performance.now() + budgetMs;
    for (let e = this.heap.peek(); e && (e.at <= now || (e.coarse && e.at <= coarseNow)); e = this.heap.peek()) {
      this.heap.take();
      n++;
      e.fn();
      rtGuard.checkpoint();
      if ((n & 15) === 0 && performance.now() >= stopAt) return n;
    }
    if (n === 0 || this.#maxSlack === 0) return n;
    const due = this.heap.slackDue(now, this.#maxSlack, this.#slackDue);
    for (let i = 0; i < due.length; i++) {
      const e = due[i]!;
      // An earlier one may have cancelled or moved it.
      if (!(e.idx >= 0) || e.at - e.slack > now) continue;
      this.heap.remove(e);
      n++;
      e.fn();
      rtGuard.checkpoint();
    }
    due.length = 0;
    return n;
  }
}

/** Longest run of due timers in one go, ms (then fds, messages and `soon` work get their turn). */
const SLICE_MS = 10;
/** How early Bun's millisecond timer can fire (its delay is truncated): a coarse timer runs then. */
const COARSE_EARLY_MS = 1;

/**
 * Sub-millisecond deadlines. Bun's timers count whole milliseconds from when they are armed (the delay is
 * truncated) and fire ~0.15 ms after that: a deadline 0.7 ms into a millisecond ran 0.6 ms early, or,
 * outside earlyMs, a second 1 ms timer later, 0.4 ms late. With FineTiming a Bun timer that fires more
 * than earlyMs before the earliest deadline sleeps the rest on the main thread (`sleep`, nanosleep(2))
 * instead of arming another timer; a deadline under `horizonMs` after a batch is reached through
 * setImmediate (after the batch's microtasks, its queued sends, ran) and the same sleep. A coarse timer
 * (TimerOpts.coarse: a socket poll) is left to Bun's timer alone and runs when it fires, up to
 * COARSE_EARLY_MS early: the sleep is a context switch more per wake, for precision a poll does not need.
 */
export interface FineTiming {
  /** Gaps shorter than this are slept instead of waiting for a Bun timer, ms. */
  horizonMs: number;
  /** Blocks the thread for `ms`. */
  sleep(ms: number): void;
}

/** The production scheduler: performance.now() and one Bun timer. */
export class RealScheduler extends HeapScheduler {
  #armedAt = Infinity;
  /** The entry the Bun timer is armed for: cancelling it re-arms for the next one, not a wasted wake. */
  #armedId = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set instead of #timer when the next entry is already due (a cut slice): setImmediate, not a 1 ms timer. */
  #immediate: ReturnType<typeof setImmediate> | undefined;
  readonly #soon = new Set<number>();

  /**
   * `earlyMs`: when the timer fires, everything due within this many ms runs too. 0.5 ms absorbs Bun's
   * millisecond timers firing a fraction early; the check child uses more, so thousands of checkers
   * spread over a second cost a few dozen wakes instead of one each (a check may start that much early).
   */
  constructor(readonly earlyMs = 0.5, readonly fine?: FineTiming) {
    super();
  }

  /** A microtask: it runs when the current callback (a whole slice of due timers) returns. */
  override soon(fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.#soon.add(id);
    queueMicrotask(() => {
      if (this.#soon.delete(id)) {
        fn();
        rtGuard.checkpoint();
      }
    });
    return { id };
  }
  override cancel(h: TimerHandle | undefined): void {
    if (!h) return;
    this.#soon.delete(h.id);
    super.cancel(h);
    this.moved(h);
  }
  protected override moved(h: TimerHandle): void {
    if (h.id === this.#armedId && this.#timer) this.#armedStale = true;
    this.rearm();
  }

  now(): number {
    return performance.now();
  }
  /**
   * Re-arming waits for the running callback to return: a drain of twenty adverts that each move a
   * timer (cancel, insert) then touches Bun's timer once, not twenty times.
   */
  protected rearm(): void {
    if (this.#rearmQueued) return;
    this.#rearmQueued = true;
    queueMicrotask(this.#rearmTask);
  }
  readonly #rearmTask = (): void => {
    this.#rearmQueued = false;
    this.#rearmNow();
  };
  #rearmQueued = false;
  /** The armed entry was cancelled: the Bun timer must move. */
  #armedStale = false;

  #rearmNow(): void {
    if (this.#armedStale) {
      this.#armedStale = false;
      this.#disarm();
    }
    const next = this.heap.peek();
    if (!next) {
      this.#disarm();
      this.#armedAt = Infinity;
      this.#armedId = 0;
      return;
    }
    if (next.at >= this.#armedAt && (this.#timer || this.#immediate)) return;
    this.#disarm();
    this.#armedAt = next.at;
    this.#armedId = next.id;
    const wait = next.at - this.now();
    if (wait <= 0 || (this.fine && !next.coarse && wait < this.fine.horizonMs)) this.#immediate = setImmediate(this.#fireTask);
    else this.#timer = setTimeout(this.#fireTask, wait);
  }
  readonly #fireTask = (): void => this.#fire();
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
    this.#armedId = 0;
    this.#armedStale = false;
    const head = this.fine && this.heap.peek();
    if (head && !head.coarse) {
      const rest = head.at - this.now();
      if (rest > this.earlyMs && rest < this.fine!.horizonMs) this.fine!.sleep(rest);
    }
    const now = this.now();
    this.runDue(now + this.earlyMs, SLICE_MS, now + COARSE_EARLY_MS);
    this.#rearmNow();
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
  /** Moves the clock forward by `ms` without running anything (a process that was not scheduled). */
  stall(ms: number): void {
    this.#now += ms;
  }
  /** Number of pending timers. */
  get pending(): number {
    return this.heap.size;
  }
}
