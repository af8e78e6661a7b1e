/**
 * The RFC timers of one instance (Adver_Timer, Master_Down_Timer, Preempt_Delay_Timer) on the child's
 * scheduler. Each kind has one scheduler handle and one callback for the instance's life, re-armed with
 * Scheduler.again: a MASTER re-arms its Adver_Timer with every advert (10 a second at advert_int 0.1), a
 * Backup moves its Master_Down_Timer with every advert it hears, and neither makes a closure or a
 * handle for it.
 */
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { TimerKind } from "./fsm-types.ts";

interface Slot {
  readonly kind: TimerKind;
  h: TimerHandle | undefined;
  /** TimerOpts.slackMs the handle was made with. */
  slack: number;
  /** The deadline it is (or was last) armed for, scheduler ms. */
  at: number;
  /** Armed and not yet fired or cancelled. */
  active: boolean;
}

export class InstanceTimers {
  readonly #slots = new Map<TimerKind, Slot>();

  /** `fire(kind, atMs)`: a timer ran out; `atMs` is the deadline it was armed for. */
  constructor(readonly sched: Scheduler, readonly fire: (kind: TimerKind, atMs: number) => void) {}

  /** Whether `kind` is armed. */
  has(kind: TimerKind): boolean {
    return this.#slots.get(kind)?.active === true;
  }

  /** Arms `kind` at `atMs` (moves it when armed); `slackMs`: TimerOpts.slackMs. */
  set(kind: TimerKind, atMs: number, slackMs = 0): void {
    let s = this.#slots.get(kind);
    if (!s) this.#slots.set(kind, s = { kind, h: undefined, slack: slackMs, at: atMs, active: false });
    s.at = atMs;
    if (s.h && s.slack === slackMs) {
      this.sched.again(s.h, atMs);
    } else {
      this.sched.cancel(s.h);
      const slot = s;
      s.slack = slackMs;
      s.h = this.sched.at(atMs, () => this.#expired(slot), slackMs > 0 ? { slackMs } : undefined);
    }
    s.active = true;
  }

  /** Moves an armed `kind` to `atMs` and returns true; false when it is not armed. */
  move(kind: TimerKind, atMs: number): boolean {
    const s = this.#slots.get(kind);
    if (!s?.active || !this.sched.reschedule(s.h, atMs)) return false;
    s.at = atMs;
    return true;
  }

  /** Disarms `kind` (nothing when it is not armed). */
  cancel(kind: TimerKind): void {
    const s = this.#slots.get(kind);
    if (!s?.active) return;
    s.active = false;
    this.sched.cancel(s.h);
  }

  /** Disarms every timer. */
  cancelAll(): void {
    for (const s of this.#slots.values()) this.cancel(s.kind);
  }

  #expired(s: Slot): void {
    if (!s.active) return;
    s.active = false;
    this.fire(s.kind, s.at);
  }
}
