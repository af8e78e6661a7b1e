import { describe, expect, test } from "bun:test";
import { initialFsm, masterDownIntervalMs, step, type VrrpEvent, type VrrpFsm } from "../../../src/vrrp/fsm.ts";
import { ReplayShortcut } from "../../../src/vrrp/replay-shortcut.ts";

const advert = (priority: number, advertIntervalCs = 10): VrrpEvent => ({
  type: "advertReceived",
  priority,
  advertIntervalCs,
  srcAddress: "192.0.2.2",
  addressListMatches: true,
});
const start = (priority: number): VrrpFsm =>
  step(initialFsm({ version: 3, advertIntervalCs: 10, primaryAddress: "192.0.2.1" }, priority), { type: "startup" }, 0).next;

describe("ReplayShortcut", () => {
  test("a Backup hearing a higher-priority master: the Master_Down_Timer move, at any receive time", () => {
    const f = step(start(100), advert(150), 0).next; // learns the master's interval: a new state object
    const e = advert(150);
    const s = new ReplayShortcut();
    expect(s.deadline(f, e, 50)).toBeUndefined(); // nothing learned yet
    s.learn(f, e, 50);
    for (const now of [100, 12_345.678]) {
      expect(s.deadline(f, e, now)).toBe(now + masterDownIntervalMs(f));
      const r = step(f, e, now);
      expect(r.next).toBe(f);
      expect(r.actions).toEqual([{ type: "setTimer", timer: "Master_Down_Timer", atMs: now + masterDownIntervalMs(f) }]);
    }
    // Another state object (a priority change, a transition) or another event: through the state machine again.
    expect(s.deadline({ ...f }, e, 100)).toBeUndefined();
    expect(s.deadline(f, advert(150), 100)).toBeUndefined();
  });

  test("steps that do more than move the timer are not kept", () => {
    const s = new ReplayShortcut();
    // A Backup learning another advert interval: the state changes.
    const b = step(start(100), advert(150), 0).next;
    s.learn(b, advert(150, 20), 10);
    expect(s.deadline(b, advert(150, 20), 20)).toBeUndefined();
    // A Master hearing a lower priority answers with an advert.
    const m = step(start(200), { type: "masterDownTimerExpired" }, 1000).next;
    expect(m.state).toBe("MASTER");
    const low = advert(100);
    s.learn(m, low, 10);
    expect(s.deadline(m, low, 20)).toBeUndefined();
  });
});
