import { describe, expect, test } from "bun:test";
import { initialFsm, masterDownIntervalMs, step, type VrrpEvent, type VrrpFsm } from "../../../src/vrrp/fsm.ts";
import { ADVER_TICK, AdverShortcut, ReplayShortcut } from "../../../src/vrrp/replay-shortcut.ts";

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

describe("AdverShortcut", () => {
  const master = (priority: number) => step(start(priority), { type: "masterDownTimerExpired" }, 1000).next;

  test("a MASTER's tick: the advert at its priority and the next deadline one interval on, at any time", () => {
    const m = master(200);
    expect(m.state).toBe("MASTER");
    const s = new AdverShortcut();
    expect(s.deadline(m, 1100)).toBeUndefined(); // nothing learned yet
    s.learn(m, 1100);
    for (const now of [1200, 98_765.4321]) {
      expect(s.deadline(m, now)).toBe(now + 100);
      expect(s.priority).toBe(200);
      // What the state machine does for the same tick.
      const r = step(m, ADVER_TICK, now);
      expect(r.next).toBe(m);
      expect(r.actions).toEqual([{ type: "sendAdvert", priority: 200 }, { type: "setTimer", timer: "Adver_Timer", atMs: now + 100 }]);
    }
    // A new state object (a priority change): through the state machine again, which then sends the new priority.
    const p = step(m, { type: "priorityChanged", priority: 180 }, 1300).next;
    expect(p).not.toBe(m);
    expect(s.deadline(p, 1400)).toBeUndefined();
    s.learn(p, 1400);
    expect(s.deadline(p, 1500)).toBe(1600);
    expect(s.priority).toBe(180);
    expect(s.deadline(m, 1500)).toBeUndefined();
  });

  test("a tick that does anything else is not kept", () => {
    const s = new AdverShortcut();
    const b = start(100); // BACKUP: a stale Adver_Timer does nothing
    s.learn(b, 10);
    expect(s.deadline(b, 20)).toBeUndefined();
  });
});
