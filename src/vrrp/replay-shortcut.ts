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
