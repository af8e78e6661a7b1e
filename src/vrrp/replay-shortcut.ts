/**
 * A Backup hearing its master replays the same advert verdict 10 times a second per instance
 * (VrrpInstanceRunner.replay); for 100 instances at advert_int 0.1 that is 1,000 runs of the state
 * machine a second, each allocating a step result and an action list only to move the
 * Master_Down_Timer to "receive time + Master_Down_Interval". The state machine is pure (src/vrrp/fsm.ts):
 * when one step of an event leaves the state object as it was and its only action is that timer move,
 * every later step of the same event from the same state object does the same at another time. This
 * keeps the move's offset so such a replay is one timer move; any change of the state (a new object)
 * or of the event sends it through the state machine again.
 */
import { step, type VrrpEvent, type VrrpFsm } from "./fsm.ts";

export class ReplayShortcut {
  #fsm: VrrpFsm | undefined;
  #event: VrrpEvent | undefined;
  /** Master_Down_Timer deadline minus the advert's receive time. */
  #delta = 0;

  /**
   * The Master_Down_Timer deadline that `event` received at `now` sets from `fsm`, when that is all it
   * does (learned by `learn`); undefined otherwise.
   */
  deadline(fsm: VrrpFsm, event: VrrpEvent, now: number): number | undefined {
    return fsm === this.#fsm && event === this.#event ? now + this.#delta : undefined;
  }

  /**
   * Looks at what `event` at `now` does from `fsm` (without doing it) and keeps the shortcut when the
   * step leaves `fsm` as it is and only moves the Master_Down_Timer, by the same offset at another time.
   */
  learn(fsm: VrrpFsm, event: VrrpEvent, now: number): void {
    this.#fsm = this.#event = undefined;
    const a = moveOnly(fsm, event, now), b = moveOnly(fsm, event, now + 1000);
    if (a === undefined || b === undefined || Math.abs(b - a - 1000) > 1e-6) return;
    this.#fsm = fsm;
    this.#event = event;
    this.#delta = a - now;
  }
}

/** The Master_Down_Timer deadline when a step of `event` changes nothing else, else undefined. */
function moveOnly(fsm: VrrpFsm, event: VrrpEvent, now: number): number | undefined {
  const { next, actions } = step(fsm, event, now);
  const a = actions[0];
  if (next !== fsm || actions.length !== 1 || a?.type !== "setTimer" || a.timer !== "Master_Down_Timer") return undefined;
  return a.atMs;
}

/** The Adver_Timer's event: one object for every advert (the state machine only reads its type). */
export const ADVER_TICK: VrrpEvent = Object.freeze({ type: "adverTimerExpired" });

/**
 * The same for a MASTER's Adver_Timer, 10 times a second per instance at advert_int 0.1: when a step of
 * ADVER_TICK leaves the state object as it was and its only actions are an advert at one priority and
 * the Adver_Timer one interval on, every later tick from that state object does the same at another
 * time, so it needs no step result, action list or action objects. Any change of the state (a new
 * object: priority, fault, a transition) sends the tick through the state machine again.
 */
export class AdverShortcut {
  #fsm: VrrpFsm | undefined;
  /** Priority of the advert a tick sends. */
  priority = 0;
  /** Adver_Timer deadline minus the tick's time. */
  #delta = 0;

  /** The next Adver_Timer deadline of a tick at `now` from `fsm`, when learned (send at `priority`); else undefined. */
  deadline(fsm: VrrpFsm, now: number): number | undefined {
    return fsm === this.#fsm ? now + this.#delta : undefined;
  }

  /** Looks at what a tick at `now` does from `fsm` (without doing it) and keeps the shortcut when it can stand for it. */
  learn(fsm: VrrpFsm, now: number): void {
    this.#fsm = undefined;
    const a = tickOnly(fsm, now), b = tickOnly(fsm, now + 1000);
    if (a === undefined || b === undefined || a[0] !== b[0] || Math.abs(b[1] - a[1] - 1000) > 1e-6) return;
    this.#fsm = fsm;
    this.priority = a[0];
    this.#delta = a[1] - now;
  }
}

/** [priority, next Adver_Timer deadline] when a tick only sends an advert and re-arms the timer, else undefined. */
function tickOnly(fsm: VrrpFsm, now: number): [number, number] | undefined {
  const { next, actions } = step(fsm, ADVER_TICK, now);
  const [send, timer] = actions;
  if (next !== fsm || actions.length !== 2 || send?.type !== "sendAdvert" || send.priority <= 0) return undefined;
  if (timer?.type !== "setTimer" || timer.timer !== "Adver_Timer") return undefined;
  return [send.priority, timer.atMs];
}
