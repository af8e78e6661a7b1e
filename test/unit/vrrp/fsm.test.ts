import { describe, expect, test } from "bun:test";
import {
  initialFsm,
  masterDownIntervalMs,
  skewTimeMs,
  STATE_NAMES,
  step,
  type TimerKind,
  transitionLogLine,
  type VrrpAction,
  type VrrpEvent,
  type VrrpFsm,
  type VrrpFsmConfig,
} from "../../../src/vrrp/fsm.ts";

const A = "192.0.2.1";
const B = "192.0.2.2";
const advert = (
  priority: number,
  srcAddress = B,
  advertIntervalCs = 100,
  addressListMatches = true,
): VrrpEvent => ({
  type: "advertReceived",
  priority,
  advertIntervalCs,
  srcAddress,
  addressListMatches,
});
const mk = (priority: number, cfg: Partial<VrrpFsmConfig> = {}) => initialFsm({ version: 3, advertIntervalCs: 100, primaryAddress: A, ...cfg }, priority);

/** Runs events in order; returns the final machine and all actions. */
function run(f: VrrpFsm, events: [number, VrrpEvent][]) {
  const all: VrrpAction[] = [];
  for (const [t, e] of events) {
    const r = step(f, e, t);
    f = r.next;
    all.push(...r.actions);
  }
  return { f, actions: all };
}
const timerAt = (actions: VrrpAction[], kind: TimerKind) =>
  actions.filter((a) => a.type === "setTimer" && a.timer === kind).map((a) => (a as { atMs: number }).atMs)
    .at(-1);
const types = (actions: VrrpAction[]) => actions.map((a) => a.type);

describe("RFC timer formulas", () => {
  test("v3 Skew_Time and Master_Down_Interval (RFC 5798 §6.1)", () => {
    expect(skewTimeMs(3, 128, 100)).toBe(500);
    expect(masterDownIntervalMs(mk(128))).toBe(3500); // keepalived.conf(5): "wait 3.5 seconds"
    expect(masterDownIntervalMs({ ...mk(100), masterAdverIntervalCs: 50 })).toBe(1500 + 304);
  });
  test("v2 Skew_Time is (256 - Priority) / 256 seconds (RFC 3768 §6.1)", () => {
    expect(skewTimeMs(2, 100, 300)).toBe(609);
    expect(masterDownIntervalMs(mk(100, { version: 2, advertIntervalCs: 300 }))).toBe(9609);
  });
});

describe("single-instance transitions (table)", () => {
  type Row = {
    name: string;
    prio: number;
    cfg?: Partial<VrrpFsmConfig>;
    events: [number, VrrpEvent][];
    state: string;
    expect?: (a: VrrpAction[], f: VrrpFsm) => void;
  };
  const rows: Row[] = [
    {
      name: "startup -> BACKUP waiting Master_Down_Interval",
      prio: 100,
      events: [[0, { type: "startup" }]],
      state: "BACKUP",
      expect: (a) => expect(timerAt(a, "Master_Down_Timer")).toBe(3000 + 609),
    },
    {
      name: "no master: Master_Down_Timer expiry -> MASTER, advert, VIPs, GARP, Adver_Timer",
      prio: 100,
      events: [[0, { type: "startup" }], [3609, { type: "masterDownTimerExpired" }]],
      state: "MASTER",
      expect: (a) => {
        expect(types(a).slice(-8)).toEqual([
          "logTransition",
          "cancelTimer",
          "cancelTimer",
          "sendAdvert",
          "addVips",
          "sendGratuitous",
          "setTimer",
          "notify",
        ]);
        expect(timerAt(a, "Adver_Timer")).toBe(4609);
      },
    },
    {
      name: "MASTER sends an advert on every Adver_Timer",
      prio: 100,
      events: [[0, { type: "startup" }], [3609, { type: "masterDownTimerExpired" }], [4609, {
        type: "adverTimerExpired",
      }]],
      state: "MASTER",
      expect: (a) => {
        expect(a.slice(-2)).toEqual([{ type: "sendAdvert", priority: 100 }, {
          type: "setTimer",
          timer: "Adver_Timer",
          atMs: 5609,
        }]);
      },
    },
    {
      name: "owner with state MASTER goes MASTER at startup",
      prio: 255,
      cfg: { initialStateMaster: true },
      events: [[0, { type: "startup" }]],
      state: "MASTER",
      expect: (a) => expect(a).toContainEqual({ type: "addVips", accept: true }),
    },
    {
      name: "owner with state BACKUP waits like keepalived",
      prio: 255,
      events: [[0, { type: "startup" }]],
      state: "BACKUP",
    },
    {
      name: "state MASTER without priority 255 waits",
      prio: 200,
      cfg: { initialStateMaster: true },
      events: [[0, { type: "startup" }]],
      state: "BACKUP",
    },
    {
      name: "backup: priority 0 advert sets Master_Down_Timer to Skew_Time",
      prio: 100,
      events: [[0, { type: "startup" }], [1000, advert(0)]],
      state: "BACKUP",
      expect: (a) => expect(timerAt(a, "Master_Down_Timer")).toBe(1000 + 609),
    },
    {
      name: "backup: higher advert resets Master_Down_Timer",
      prio: 100,
      events: [[0, { type: "startup" }], [2000, advert(150)]],
      state: "BACKUP",
      expect: (a) => expect(timerAt(a, "Master_Down_Timer")).toBe(5609),
    },
    {
      name: "backup v3 learns the master's advert interval",
      prio: 100,
      events: [[0, { type: "startup" }], [2000, advert(150, B, 50)]],
      state: "BACKUP",
      expect: (a, f) => {
        expect(f.masterAdverIntervalCs).toBe(50);
        expect(timerAt(a, "Master_Down_Timer")).toBe(2000 + 1500 + 304);
      },
    },
    {
      name: "address list mismatch from a non-owner is dropped",
      prio: 100,
      events: [[0, { type: "startup" }], [2000, advert(150, B, 100, false)]],
      state: "BACKUP",
      expect: (a) =>
        expect(a.at(-1)).toEqual({
          type: "dropAdvert",
          reason: "address-list",
          detail: "address list does not match and sender is not the owner",
          srcAddress: B,
        }),
    },
    {
      name: "backup with preempt ignores a lower-priority master (timer keeps running)",
      prio: 150,
      events: [[0, { type: "startup" }], [2000, advert(100)]],
      state: "BACKUP",
      expect: (a) => expect(timerAt(a, "Master_Down_Timer")).toBe(3000 + 414),
    },
    {
      name: "nopreempt: backup accepts a lower-priority master",
      prio: 150,
      cfg: { preempt: false },
      events: [[0, { type: "startup" }], [2000, advert(100)]],
      state: "BACKUP",
      expect: (a) => expect(timerAt(a, "Master_Down_Timer")).toBe(2000 + 3414),
    },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const { f, actions } = run(mk(r.prio, r.cfg), r.events);
      expect(f.state).toBe(r.state as VrrpFsm["state"]);
      r.expect?.(actions, f);
    });
  }
});

describe("master receiving adverts", () => {
  const master = (prio = 100, cfg: Partial<VrrpFsmConfig> = {}) => run(mk(prio, cfg), [[0, { type: "startup" }], [3609, { type: "masterDownTimerExpired" }]]).f;
  test("higher priority -> BACKUP, VIPs removed, interval learned", () => {
    const r = step(master(), advert(150, B, 200), 5000);
    expect(r.next.state).toBe("BACKUP");
    expect(r.next.masterAdverIntervalCs).toBe(200);
    expect(r.actions).toContainEqual({ type: "removeVips" });
    expect(r.actions).toContainEqual({ type: "cancelTimer", timer: "Adver_Timer" });
    expect(r.actions).toContainEqual({
      type: "setTimer",
      timer: "Master_Down_Timer",
      atMs: 5000 + 6000 + 1218,
    });
  });
  test("equal priority from a higher address -> BACKUP; from a lower address -> stay", () => {
    expect(step(master(), advert(100, "192.0.2.9"), 5000).next.state).toBe("BACKUP");
    const r = step(master(), advert(100, "192.0.2.0"), 5000);
    expect(r.next.state).toBe("MASTER");
  });
  test("equal priority tie-break compares addresses numerically, not as text", () => {
    const m = master(100, { primaryAddress: "192.0.2.10" });
    expect(step(m, advert(100, "192.0.2.9"), 5000).next.state).toBe("MASTER");
    expect(step(m, advert(100, "192.0.2.100"), 5000).next.state).toBe("BACKUP");
  });
  test("lower priority -> advert at once, Adver_Timer reset, GARPs again (keepalived 2.2.7 observed)", () => {
    const r = step(master(), advert(50), 5000);
    expect(r.next.state).toBe("MASTER");
    expect(r.actions).toEqual([
      { type: "masterRxLowerPri", priority: 50, srcAddress: B },
      { type: "sendAdvert", priority: 100 },
      { type: "setTimer", timer: "Adver_Timer", atMs: 6000 },
      { type: "sendGratuitous", reason: "lowerPriority" },
    ]);
  });
  test("lower priority with lower_prio_no_advert -> no advert", () => {
    const r = step(master(100, { lowerPrioNoAdvert: true }), advert(50), 5000);
    expect(types(r.actions)).toEqual(["masterRxLowerPri", "sendGratuitous"]);
  });
  test("priority 0 from another master -> advertise at once", () => {
    const r = step(master(), advert(0), 5000);
    expect(r.actions).toEqual([{ type: "sendAdvert", priority: 100 }, {
      type: "setTimer",
      timer: "Adver_Timer",
      atMs: 6000,
    }]);
  });
});

describe("shutdown, fault and priority", () => {
  const master = () => run(mk(100), [[0, { type: "startup" }], [3609, { type: "masterDownTimerExpired" }]]).f;
  test("MASTER shutdown sends priority 0 and removes VIPs", () => {
    const r = step(master(), { type: "shutdown" }, 9000);
    expect(r.next.state).toBe("STOP");
    expect(r.actions).toContainEqual({ type: "sendAdvert", priority: 0 });
    expect(r.actions).toContainEqual({ type: "removeVips" });
    expect(r.actions.at(-1)).toEqual({ type: "notify", state: "STOP" });
  });
  test("STOP ignores everything", () => {
    const s = step(master(), { type: "shutdown" }, 9000).next;
    expect(step(s, { type: "adverTimerExpired" }, 9100).actions).toEqual([]);
  });
  test("fault in from MASTER: priority 0, VIPs removed; fault out -> BACKUP then MASTER", () => {
    const r1 = step(master(), { type: "faultChanged", fault: true }, 5000);
    expect(r1.next.state).toBe("FAULT");
    expect(r1.actions).toContainEqual({ type: "sendAdvert", priority: 0 });
    expect(step(r1.next, advert(50), 5500).actions).toEqual([]);
    const r2 = step(r1.next, { type: "faultChanged", fault: false }, 7000);
    expect(r2.next.state).toBe("BACKUP");
    expect(timerAt(r2.actions, "Master_Down_Timer")).toBe(7000 + 3609);
    expect(step(r2.next, { type: "masterDownTimerExpired" }, 10609).next.state).toBe("MASTER");
  });
  test("an owner leaving FAULT also goes through BACKUP (keepalived 2.2.7)", () => {
    const owner = run(mk(255, { initialStateMaster: true }), [[0, { type: "startup" }], [100, {
      type: "faultChanged",
      fault: true,
    }]]).f;
    expect(owner.state).toBe("FAULT");
    expect(step(owner, { type: "faultChanged", fault: false }, 200).next.state).toBe("BACKUP");
  });
  test("fault before startup -> startup enters FAULT", () => {
    const { f } = run(mk(100), [[0, { type: "faultChanged", fault: true }], [1, { type: "startup" }]]);
    expect(f.state).toBe("FAULT");
  });
  test("priorityChanged updates the advertised priority", () => {
    const m = step(master(), { type: "priorityChanged", priority: 90 }, 4000).next;
    expect(step(m, { type: "adverTimerExpired" }, 4609).actions[0]).toEqual({
      type: "sendAdvert",
      priority: 90,
    });
  });
  test("stale timer events are ignored", () => {
    expect(step(master(), { type: "masterDownTimerExpired" }, 5000).actions).toEqual([]);
    expect(step(mk(100), { type: "adverTimerExpired" }, 5000).actions).toEqual([]);
  });
});

describe("preempt_delay", () => {
  test("startup Master_Down_Timer includes preempt_delay", () => {
    const { actions } = run(mk(128, { preemptDelayMs: 2000 }), [[0, { type: "startup" }]]);
    expect(timerAt(actions, "Master_Down_Timer")).toBe(5500); // keepalived.conf(5): "approximately 5.5 seconds"
  });
  test("lower-priority master: wait preempt_delay, then take over", () => {
    const cfg = { preemptDelayMs: 2000 };
    const { f, actions } = run(mk(150, cfg), [[0, { type: "startup" }], [1000, advert(100)], [
      2000,
      advert(100),
    ]]);
    expect(f.state).toBe("BACKUP");
    expect(actions.filter((a) => a.type === "setTimer" && a.timer === "Preempt_Delay_Timer")).toEqual([
      { type: "setTimer", timer: "Preempt_Delay_Timer", atMs: 3000 },
    ]);
    expect(step(f, { type: "preemptDelayExpired" }, 3000).next.state).toBe("MASTER");
  });
  test("a higher-priority advert during the delay cancels it", () => {
    const { f, actions } = run(mk(150, { preemptDelayMs: 2000 }), [[0, { type: "startup" }], [
      1000,
      advert(100),
    ], [1500, advert(200)]]);
    expect(actions.at(-1)).toEqual({ type: "cancelTimer", timer: "Preempt_Delay_Timer" });
    expect(step(f, { type: "preemptDelayExpired" }, 3000).next.state).toBe("BACKUP");
  });
});

/** Two routers on one link with a fake clock: adverts are delivered instantly to the other side. */
function simulate(
  cfgs: { prio: number; addr: string; cfg?: Partial<VrrpFsmConfig>; startAt: number }[],
  untilMs: number,
) {
  const nodes = cfgs.map((c) => ({
    f: initialFsm({ version: 3, advertIntervalCs: 100, primaryAddress: c.addr, ...c.cfg }, c.prio),
    timers: new Map<TimerKind, number>(),
    started: false,
    startAt: c.startAt,
    masterAt: [] as number[],
  }));
  const inbox: { to: number; e: VrrpEvent }[] = [];
  const apply = (i: number, e: VrrpEvent, t: number) => {
    const n = nodes[i]!;
    const r = step(n.f, e, t);
    if (r.next.state === "MASTER" && n.f.state !== "MASTER") n.masterAt.push(t);
    n.f = r.next;
    for (const a of r.actions) {
      if (a.type === "setTimer") n.timers.set(a.timer, a.atMs);
      if (a.type === "cancelTimer") n.timers.delete(a.timer);
      if (a.type === "sendAdvert") {
        nodes.forEach((_, j) => j !== i && inbox.push({ to: j, e: advert(a.priority, n.f.config.primaryAddress) }));
      }
    }
  };
  const timerEvent: Record<TimerKind, VrrpEvent> = {
    Adver_Timer: { type: "adverTimerExpired" },
    Master_Down_Timer: { type: "masterDownTimerExpired" },
    Preempt_Delay_Timer: { type: "preemptDelayExpired" },
  };
  for (let t = 0; t <= untilMs; t++) {
    nodes.forEach((n, i) => {
      if (!n.started && t >= n.startAt) {
        n.started = true;
        apply(i, { type: "startup" }, t);
      }
      for (const [k, at] of [...n.timers]) {
        if (at <= t) {
          n.timers.delete(k);
          apply(i, timerEvent[k], t);
        }
      }
    });
    while (inbox.length) {
      const m = inbox.shift()!;
      apply(m.to, m.e, t);
    }
  }
  return nodes;
}

describe("two-router election on a fake clock", () => {
  test("election: higher priority wins when both start together", () => {
    const [a, b] = simulate([{ prio: 100, addr: A, startAt: 0 }, { prio: 200, addr: B, startAt: 0 }], 20000);
    expect(b!.f.state).toBe("MASTER");
    expect(a!.f.state).toBe("BACKUP");
    expect(b!.masterAt).toEqual([3000 + 218]);
  });
  test("preemption: a higher-priority router started later takes over", () => {
    const [a, b] = simulate(
      [{ prio: 100, addr: A, startAt: 0 }, { prio: 200, addr: B, startAt: 10000 }],
      30000,
    );
    expect(a!.masterAt).toEqual([3609]);
    expect(b!.f.state).toBe("MASTER");
    expect(a!.f.state).toBe("BACKUP");
  });
  test("nopreempt: the later higher-priority router stays BACKUP", () => {
    const [a, b] = simulate([{ prio: 100, addr: A, startAt: 0 }, {
      prio: 200,
      addr: B,
      startAt: 10000,
      cfg: { preempt: false },
    }], 30000);
    expect(a!.f.state).toBe("MASTER");
    expect(b!.f.state).toBe("BACKUP");
    expect(b!.masterAt).toEqual([]);
  });
  test("equal priority: the higher primary address ends up MASTER", () => {
    const [a, b] = simulate([{ prio: 100, addr: A, startAt: 0 }, { prio: 100, addr: B, startAt: 0 }], 20000);
    expect(b!.f.state).toBe("MASTER");
    expect(a!.f.state).toBe("BACKUP");
  });
});

describe("log names", () => {
  test("keepalived-style lines", () => {
    expect(STATE_NAMES).toEqual(["INIT", "BACKUP", "MASTER", "FAULT", "STOP"]);
    expect(transitionLogLine("VI_1", "MASTER")).toBe("(VI_1) Entering MASTER STATE");
    expect(transitionLogLine("VI_1", "BACKUP", "startup")).toBe("(VI_1) Entering BACKUP STATE (init)");
  });
});
