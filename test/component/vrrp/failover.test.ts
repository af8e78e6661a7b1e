/**
 * Operator failover in the VRRP runtime (src/vrrp/failover.ts) with a fake kernel and clock: a MASTER
 * that heard a peer yields with a priority-0 advert, drops its VIPs, stays BACKUP at priority 1 for the
 * hold while the peer is master, then preempts back with its own priority; refused without a heard
 * peer unless forced; a silent peer during the hold still gives the VIPs back to us. Also the status
 * snapshot (src/vrrp/control-snap.ts): priority reasons, last heard master, transitions, the hold.
 */
import { describe, expect, test } from "bun:test";
import { initialFsm, step } from "../../../src/vrrp/fsm.ts";
import { vrrpSnapshot } from "../../../src/vrrp/control-snap.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (extra = "") => `
vrrp_script chk {
  script "/bin/true"
  interval 1
  weight -20
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
${extra}
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const PEER = "192.0.2.2";
const VIP = ["192.0.2.100"];

/** Ours MASTER after preempting a lower-priority peer (so the peer was heard). */
function masterAfterPeer(h: Harness): void {
  h.start(conf());
  h.advert("eth0", 51, 100, PEER, VIP, 2); // the peer is master first
  h.sched.advance(5000); // lower priority: ignored, our Master_Down_Timer runs out
  expect(h.states().VI_1).toBe("MASTER");
}

describe("fsm yieldMaster", () => {
  test("MASTER: priority-0 advert, VIPs removed, BACKUP with a Master_Down_Timer; ignored in BACKUP", () => {
    const f = { ...initialFsm({ version: 3, advertIntervalCs: 100, primaryAddress: "192.0.2.1" }, 150), state: "MASTER" as const };
    const { next, actions } = step(f, { type: "yieldMaster" }, 1000);
    expect(next.state).toBe("BACKUP");
    expect(actions).toContainEqual({ type: "sendAdvert", priority: 0 });
    expect(actions).toContainEqual({ type: "removeVips" });
    expect(actions.some((a) => a.type === "setTimer" && a.timer === "Master_Down_Timer")).toBe(true);
    expect(actions.find((a) => a.type === "logTransition")).toMatchObject({ reason: "operator failover" });
    const b = step({ ...f, state: "BACKUP" }, { type: "yieldMaster" }, 1000);
    expect(b.next.state).toBe("BACKUP");
    expect(b.actions).toEqual([]);
  });
});

describe("VRRP failover", () => {
  test("yield, hold at priority 1 under the peer, then preempt back with our own priority", () => {
    const h = new Harness();
    masterAfterPeer(h);
    const sentBefore = h.sent.length;
    const r = h.rt.control({ op: "failover", instances: ["VI_1"], holdMs: 10_000, force: false });
    expect(r.ok).toBe(true);
    expect(h.sent.slice(sentBefore).map((a) => a.priority)).toEqual([0]);
    expect(h.states().VI_1).toBe("BACKUP");
    expect(h.kernel.addrsOn("eth0")).not.toContain("192.0.2.100");
    expect(h.rt.instances()[0]!.fsm.priority).toBe(1);
    // The peer takes over and advertises every second; we stay BACKUP through the hold.
    for (let t = 0; t < 9; t++) {
      h.advert("eth0", 51, 100, PEER, VIP, 2);
      h.sched.advance(1000);
      expect(h.states().VI_1).toBe("BACKUP");
    }
    h.sched.advance(1000); // hold over: priority 150 again
    expect(h.rt.instances()[0]!.fsm.priority).toBe(150);
    h.advert("eth0", 51, 100, PEER, VIP, 2); // lower than ours now: ignored, preempt after Master_Down
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.addrsOn("eth0")).toContain("192.0.2.100");
  });

  test("refused without a heard peer, unless forced; a silent peer still gives the VIPs back", () => {
    const h = new Harness();
    h.start(conf());
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    const no = h.rt.control({ op: "failover", instances: ["VI_1"], holdMs: 60_000, force: false });
    expect(no.ok).toBe(false);
    expect(no.message).toMatch(/no other router heard on VI_1/);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.rt.control({ op: "failover", instances: ["VI_1"], holdMs: 60_000, force: true }).ok).toBe(true);
    expect(h.states().VI_1).toBe("BACKUP");
    h.sched.advance(5000); // nobody took over: Master_Down_Timer at priority 1 (3 s + skew)
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.addrsOn("eth0")).toContain("192.0.2.100");
  });

  test("a sync group: every member yields with its own priority-0 advert, the group goes BACKUP", () => {
    const h = new Harness();
    const member = (name: string, vrid: number, vip: string) =>
      `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 150
  advert_int 1
  virtual_ipaddress {
    ${vip}/24
  }
}
`;
    h.start(`vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
}
${member("VI_1", 51, "192.0.2.100")}${member("VI_2", 52, "192.0.2.101")}`);
    h.advert("eth0", 51, 100, PEER, ["192.0.2.100"], 2);
    h.advert("eth0", 52, 100, PEER, ["192.0.2.101"], 2);
    h.sched.advance(5000);
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    const before = h.sent.length;
    expect(h.rt.control({ op: "failover", instances: ["VI_1", "VI_2"], holdMs: 10_000, force: false }).ok).toBe(true);
    expect(h.sent.slice(before).map((a) => `${a.vrid}:${a.priority}`).sort()).toEqual(["51:0", "52:0"]);
    expect(h.states()).toEqual({ VI_1: "BACKUP", VI_2: "BACKUP" });
    expect(h.rt.groups()).toEqual([{ name: "G1", state: "BACKUP", members: ["VI_1", "VI_2"] }]);
  });

  test("a hold replayed to a restarted child: priority 1 until its end, without a yield", () => {
    const h = new Harness();
    h.start(conf());
    const r = h.rt.control({ op: "hold", holds: { VI_1: Date.now() + 10_000, VI_9: Date.now() + 10_000, OLD: Date.now() - 1 } });
    expect(r).toEqual({ ok: true, message: "1 hold(s) resumed" });
    expect(h.rt.instances()[0]!.fsm.priority).toBe(1);
    expect(h.sent.filter((a) => a.priority === 0)).toEqual([]);
    h.sched.advance(10_001);
    expect(h.rt.instances()[0]!.fsm.priority).toBe(150);
  });

  test("refused when not MASTER or not running here", () => {
    const h = new Harness();
    h.start(conf());
    expect(h.rt.control({ op: "failover", instances: ["VI_1"], holdMs: 1000, force: true })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/not MASTER: VI_1 is BACKUP/),
    });
    expect(h.rt.control({ op: "failover", instances: ["VI_9"], holdMs: 1000, force: true })).toMatchObject({ ok: false, message: "not running here: VI_9" });
    expect(h.rt.control({ op: "logLevel", detail: true }).ok).toBe(false);
  });

  test("snapshot: priority reasons, last heard master, last transition, hold end", () => {
    const h = new Harness();
    masterAfterPeer(h);
    h.rt.control({ op: "failover", instances: ["VI_1"], holdMs: 30_000, force: false });
    const now = h.sched.now();
    const s = vrrpSnapshot(h.rt, now, 1_700_000_000_000, 0);
    const i = s.instances[0]!;
    expect(i).toMatchObject({ name: "VI_1", state: "BACKUP", priority: 150, effectivePriority: 1, interface: "eth0", vrid: 51, vips: VIP });
    expect(i.priorityReasons).toContain("failover hold: priority 1");
    expect(i.master).toMatchObject({ address: PEER, priority: 100 });
    expect(i.lastTransition).toMatchObject({ from: "MASTER", to: "BACKUP", reason: "operator failover", atMs: 1_700_000_000_000 });
    expect(i.holdUntilMs).toBe(1_700_000_000_000 + 30_000);
  });
});
