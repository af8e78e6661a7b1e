/**
 * Waiting for a libc non-blocking connect (src/ffi/bound-socket.ts) without an event-loop watcher: look
 * with connect(2) at once, then after 1 ms doubling to 50 ms, until it completes or fails. Used by
 * TCP_CHECK (which closes the socket then) and by the stream checkers with bind_if / fwmark (which hand
 * the connected fd to Bun).
 */
import type { Scheduler } from "../../core/scheduler.ts";
import { connectProgress, type PendingConnect } from "../../ffi/bound-socket.ts";

/** Runs `fn` after `ms`; returns the canceller. */
export type Later = (ms: number, fn: () => void) => () => void;

/** Later on Bun's own timers. */
export const bunLater: Later = (ms, fn) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/** One Later per scheduler: 10,000 TCP_CHECKs share it rather than hold a closure each. */
const laters = new WeakMap<Scheduler, Later>();

/** Later on a child's scheduler (batched with the checker timers due at the same time). */
export function schedLater(sched: Scheduler): Later {
  let l = laters.get(sched);
  if (!l) {
    l = (ms, fn) => {
      const h = sched.after(ms, fn);
      return () => sched.cancel(h);
    };
    laters.set(sched, l);
  }
  return l;
}

/** Longest wait between two looks, ms. */
const MAX_POLL_MS = 50;

/**
 * Calls `done` once with "connected", the errno name of the failure (ECONNREFUSED…), or "timeout" when
 * `deadlineMs` (performance.now() time) passes first. The first look is immediate. Returns a canceller;
 * the caller owns and closes the fd.
 */
export function waitConnect(p: PendingConnect, deadlineMs: number, later: Later, done: (st: string) => void): () => void {
  let cancel: (() => void) | undefined;
  let cancelled = false;
  const look = (waitMs: number): void => {
    if (cancelled) return;
    const st = connectProgress(p);
    if (st !== "pending") return done(st);
    const left = deadlineMs - performance.now();
    if (left <= 0) return done("timeout");
    cancel = later(Math.min(waitMs, left), () => look(Math.min(waitMs * 2, MAX_POLL_MS)));
  };
  look(1);
  return () => {
    cancelled = true;
    cancel?.();
  };
}
