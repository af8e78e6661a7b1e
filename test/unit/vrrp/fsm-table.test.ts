/**
 * The state machine held against the next-state table in src/vrrp/fsm.ts's header: every state x event
 * (advert variants included) gives the next state and the reason the header says; every change of state
 * is logged once, first, and notified last; under -D the runner adds one reason line per transition in
 * one format, beside keepalived's "(VI_1) Entering MASTER STATE" and its -D "Receive advertisement timeout".
 */
import { describe, expect, test } from "bun:test";
import { Logger } from "../../../src/core/log.ts";
import { initialFsm, step, transitionDebugLine, type TransitionReason, type VrrpEvent, type VrrpFsm, type VrrpState } from "../../../src/vrrp/fsm.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const ME = "192.0.2.1";
const PEER = "192.0.2.2";
const advert = (priority: number, srcAddress = PEER): VrrpEvent => ({
  type: "advertReceived",
  priority,
  advertIntervalCs: 100,
  srcAddress,
  addressListMatches: true,
});

/** The events of the table, by the names its rows use. */
const EVENTS = {
  startup: { type: "startup" },
  shutdown: { type: "shutdown" },
  adverTimer: { type: "adverTimerExpired" },
  masterDown: { type: "masterDownTimerExpired" },
  preemptDelay: { type: "preemptDelayExpired" },
  advertHigher: advert(200),
  advertLower: advert(50),
  advertZero: advert(0),
  fault: { type: "faultChanged", fault: true },
  recovered: { type: "faultChanged", fault: false },
  priority: { type: "priorityChanged", priority: 90 },
  yield: { type: "yieldMaster" },
  vipDeleted: { type: "vipDeleted" },
  syncMaster: { type: "syncGroup", state: "MASTER" },
  syncBackup: { type: "syncGroup", state: "BACKUP" },
  syncFault: { type: "syncGroup", state: "FAULT" },
} as const satisfies Record<string, VrrpEvent>;
type EventName = keyof typeof EVENTS;

/** A machine (priority 100, preempt, no delay) driven into each state. */
function machineIn(state: VrrpState): VrrpFsm {
  const go = (f: VrrpFsm, e: VrrpEvent) => step(f, e, 0).next;
  const init = initialFsm({ version: 3, advertIntervalCs: 100, primaryAddress: ME }, 100);
  const backup = go(init, EVENTS.startup);
  const states: Record<VrrpState, () => VrrpFsm> = {
    INIT: () => init,
    BACKUP: () => backup,
    MASTER: () => go(backup, EVENTS.masterDown),
    FAULT: () => go(backup, EVENTS.fault),
    STOP: () => go(backup, EVENTS.shutdown),
  };
  const f = states[state]();
  expect(f.state).toBe(state);
  return f;
}

type Cell = VrrpState | [VrrpState, TransitionReason];
/** Only the cells that change state; every other state x event stays where it is. */
const CHANGES: Record<VrrpState, Partial<Record<EventName, Cell>>> = {
  INIT: { startup: ["BACKUP", "startup"], shutdown: ["STOP", "shutdown"] },
  BACKUP: {
    masterDown: ["MASTER", "Master_Down_Timer expired"],
    shutdown: ["STOP", "shutdown"],
    fault: ["FAULT", "tracker failed"],
    syncMaster: ["MASTER", "sync group"],
    syncFault: ["FAULT", "sync group"],
  },
  MASTER: {
    advertHigher: ["BACKUP", "higher priority advert"],
    yield: ["BACKUP", "operator failover"],
    vipDeleted: ["BACKUP", "tracked VIP deleted"],
    shutdown: ["STOP", "shutdown"],
    fault: ["FAULT", "tracker failed"],
    syncBackup: ["BACKUP", "sync group"],
    syncFault: ["FAULT", "sync group"],
  },
  FAULT: { recovered: ["BACKUP", "trackers recovered"], shutdown: ["STOP", "shutdown"] },
  STOP: {},
};

describe("state x event -> next state (fsm.ts header)", () => {
  for (const state of ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"] as const) {
    for (const name of Object.keys(EVENTS) as EventName[]) {
      const cell = CHANGES[state][name];
      const [next, reason] = Array.isArray(cell) ? cell : [state, undefined];
      test(`${state} + ${name} -> ${next}`, () => {
        const r = step(machineIn(state), EVENTS[name], 1000);
        expect(r.next.state).toBe(next);
        const logs = r.actions.filter((a) => a.type === "logTransition");
        if (next === state) return expect(logs).toEqual([]);
        expect(r.actions[0]).toMatchObject({ type: "logTransition", from: state, to: next, reason });
        expect(logs.length).toBe(1);
        expect(r.actions.at(-1)).toEqual({ type: "notify", state: next });
      });
    }
  }

  test("a tracked VIP deleted while MASTER: priority 0, VIPs dropped, Master_Down_Timer at Skew_Time only", () => {
    const r = step(machineIn("MASTER"), EVENTS.vipDeleted, 1000);
    expect(r.actions).toContainEqual({ type: "sendAdvert", priority: 0 });
    expect(r.actions).toContainEqual({ type: "removeVips" });
    expect(r.actions).toContainEqual({ type: "cancelTimer", timer: "Adver_Timer" });
    // v3, priority 100, 1 s: Skew_Time = (256 - 100) * 100 / 256 cs = 609 ms.
    expect(r.actions).toContainEqual({ type: "setTimer", timer: "Master_Down_Timer", atMs: 1609 });
    const back = step(r.next, EVENTS.masterDown, 1609);
    expect(back.next.state).toBe("MASTER");
    expect(back.actions).toContainEqual({ type: "addVips", accept: true });
  });

  test("in FAULT for the sync group: the group's BACKUP ends it, the member's own recovery does not", () => {
    const byGroup = step(machineIn("BACKUP"), EVENTS.syncFault, 0).next;
    expect(byGroup).toMatchObject({ state: "FAULT", groupFault: true, fault: false });
    expect(step(byGroup, EVENTS.recovered, 10).next.state).toBe("FAULT");
    expect(step(byGroup, EVENTS.syncMaster, 10).next).toMatchObject({ state: "FAULT", groupFault: false });
    const back = step(byGroup, EVENTS.syncBackup, 10);
    expect(back.next.state).toBe("BACKUP");
    expect(back.actions[0]).toMatchObject({ type: "logTransition", from: "FAULT", to: "BACKUP", reason: "sync group" });
  });

  test("the preempt delay and the sync group's consent, in BACKUP", () => {
    const delayed = initialFsm({
      version: 3,
      advertIntervalCs: 100,
      primaryAddress: ME,
      preemptDelayMs: 5000,
    }, 150);
    let f = step(delayed, EVENTS.startup, 0).next;
    f = step(f, EVENTS.advertLower, 100).next;
    expect(f.preemptPending).toBe(true);
    const r = step(f, EVENTS.preemptDelay, 5100);
    expect(r.next.state).toBe("MASTER");
    expect(r.actions[0]).toMatchObject({ type: "logTransition", reason: "Preempt_Delay_Timer expired" });
    const member = initialFsm(
      { version: 3, advertIntervalCs: 100, primaryAddress: ME, syncGroup: true },
      100,
    );
    const asks = step(step(member, EVENTS.startup, 0).next, EVENTS.masterDown, 4000);
    expect(asks.next.state).toBe("BACKUP");
    expect(asks.actions[0]).toEqual({ type: "syncWantMaster" });
  });

  test("an equal-priority advert from a higher address: the advert's sender rides with the reason", () => {
    const master = machineIn("MASTER");
    const r = step(master, advert(100, "192.0.2.200"), 1000);
    const log = r.actions[0];
    expect(log).toEqual({
      type: "logTransition",
      from: "MASTER",
      to: "BACKUP",
      reason: "equal priority advert from higher address",
      peer: "192.0.2.200",
    });
    if (log?.type !== "logTransition") throw new Error("no transition");
    expect(transitionDebugLine("VI_1", log)).toBe(
      "(VI_1) MASTER -> BACKUP: equal priority advert from higher address from 192.0.2.200",
    );
  });
});

describe("transition log lines", () => {
  const conf = `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
  function linesWith(detail: boolean): string[] {
    const lines: string[] = [];
    const log = new Logger({
      ident: "t",
      console: false,
      syslog: true,
      facility: 3,
      detail,
      syslogSend: (l) => lines.push(l),
    });
    const h = new Harness(log);
    h.start(conf);
    h.sched.advance(5000); // Master_Down_Interval 3 s + Skew_Time
    expect(h.states()).toEqual({ VI_1: "MASTER" });
    return lines.map((l) => l.replace(/^.*?\]: /, ""));
  }

  test("keepalived's lines at normal level; -D adds one reason line per transition", () => {
    // As keepalived 2.2.7 logs them (run side by side in namespaces, with and without -D).
    const vi = (lines: string[]) => lines.filter((l) => l.startsWith("(VI_1) ") && !/VIPs|ARP|advert to/.test(l));
    expect(vi(linesWith(false))).toEqual(["(VI_1) Entering BACKUP STATE (init)", "(VI_1) Entering MASTER STATE"]);
    expect(vi(linesWith(true))).toEqual([
      "(VI_1) Entering BACKUP STATE (init)",
      "(VI_1) INIT -> BACKUP: startup",
      "(VI_1) Receive advertisement timeout",
      "(VI_1) Entering MASTER STATE",
      "(VI_1) BACKUP -> MASTER: Master_Down_Timer expired",
    ]);
  });
});
