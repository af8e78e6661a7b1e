/**
 * vrrp_sync_group on the runtime with a fake kernel and clock, following what keepalived 2.2.7 did in
 * namespaces: a member that sees a master keeps the whole group BACKUP (the other member keeps timing
 * out), losing that master takes both MASTER, its return takes both BACKUP, a tracked interface of one
 * member takes both to FAULT and back; group notifications `GROUP G1 STATE 0` follow the members'.
 */
import { describe, expect, test } from "bun:test";
import { initialFsm, step } from "../../../src/vrrp/fsm.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const CONF = `
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify /n.sh
  notify_master "/gm.sh"
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 81
  priority 100
  advert_int 1
  version 3
  track_interface {
    eth1
  }
  notify /n.sh
  virtual_ipaddress {
    192.0.2.101/24
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 82
  priority 100
  advert_int 1
  version 3
  virtual_ipaddress {
    192.0.2.102/24
  }
}
`;

const groupLines = (h: Harness) => h.scripts.filter((a) => a[0] === "/n.sh" && a[1] === "GROUP").map((a) => a.slice(1).join(" "));

describe("vrrp_sync_group", () => {
  test("FSM: a sync member asks the group instead of becoming MASTER", () => {
    const f0 = initialFsm({ version: 3, advertIntervalCs: 100, primaryAddress: "192.0.2.1", syncGroup: true }, 100);
    const b = step(f0, { type: "startup" }, 0).next;
    const r = step(b, { type: "masterDownTimerExpired" }, 4000);
    expect(r.next.state).toBe("BACKUP");
    expect(r.next.wantMaster).toBe(true);
    expect(r.actions.map((a) => a.type)).toEqual(["syncWantMaster", "setTimer"]);
    const m = step(r.next, { type: "syncGroup", state: "MASTER" }, 4001);
    expect(m.next.state).toBe("MASTER");
    expect(m.next.wantMaster).toBe(false);
    const f = step(m.next, { type: "syncGroup", state: "FAULT" }, 4002);
    expect(f.next.state).toBe("FAULT");
    expect(f.actions).toContainEqual({ type: "sendAdvert", priority: 0 });
    // Own trackers recover while the group is still FAULT: stay.
    const g = step({ ...f.next, fault: true }, { type: "faultChanged", fault: false }, 4003);
    expect(g.next.state).toBe("FAULT");
    expect(step(g.next, { type: "syncGroup", state: "BACKUP" }, 4004).next.state).toBe("BACKUP");
  });

  test("members move together, with group notifications", () => {
    const h = new Harness();
    h.start(CONF);
    const master = () => h.advert("eth0", 81, 150, "192.0.2.2", ["192.0.2.101"]);
    for (let i = 0; i < 10; i++) {
      master();
      h.sched.advance(1000);
    }
    expect(h.states()).toEqual({ VI_1: "BACKUP", VI_2: "BACKUP" });
    expect(h.rt.instances().find((r) => r.cfg.name === "VI_2")!.fsm.wantMaster).toBe(true);
    expect(h.kernel.addrsOn("eth0")).not.toContain("192.0.2.102");
    expect(groupLines(h)).toEqual(["GROUP G1 BACKUP 0"]);

    h.sched.advance(5000); // the master is gone
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    expect(h.kernel.addrsOn("eth0")).toEqual(expect.arrayContaining(["192.0.2.101", "192.0.2.102"]));
    expect(groupLines(h)).toEqual(["GROUP G1 BACKUP 0", "GROUP G1 MASTER 0"]);
    expect(h.scripts).toContainEqual(["/gm.sh"]);

    master(); // it is back with a higher priority
    expect(h.states()).toEqual({ VI_1: "BACKUP", VI_2: "BACKUP" });
    expect(h.kernel.addrsOn("eth0")).not.toContain("192.0.2.102");
    expect(groupLines(h).at(-1)).toBe("GROUP G1 BACKUP 0");

    h.kernel.setLink("eth1", false);
    expect(h.states()).toEqual({ VI_1: "FAULT", VI_2: "FAULT" });
    expect(groupLines(h).at(-1)).toBe("GROUP G1 FAULT 0");
    h.sched.advance(10_000);
    expect(h.states()).toEqual({ VI_1: "FAULT", VI_2: "FAULT" });
    h.kernel.setLink("eth1", true);
    expect(h.states()).toEqual({ VI_1: "BACKUP", VI_2: "BACKUP" });
    expect(groupLines(h).at(-1)).toBe("GROUP G1 BACKUP 0");
    // The instances' own notify lines come before the group's.
    const all = h.scripts.filter((a) => a[0] === "/n.sh").map((a) => `${a[1]} ${a[2]} ${a[3]}`);
    expect(all.slice(-2)).toEqual(["INSTANCE VI_1 BACKUP", "GROUP G1 BACKUP"]);
  });

  test("a tracked VIP of one member deleted: every member resigns with priority 0, then both are MASTER again", () => {
    const h = new Harness();
    h.start(CONF);
    h.sched.advance(10_000);
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    const before = h.sent.length;
    h.kernel.delAddr({ index: 2, address: "192.0.2.101", prefixLen: 24 });
    h.kernel.emit({ kind: "addr", op: "del", addr: { index: 2, family: "ipv4", address: "192.0.2.101", prefixLen: 24, scope: 0, flags: 0 } });
    expect(h.states()).toEqual({ VI_1: "BACKUP", VI_2: "BACKUP" });
    expect(h.sent.slice(before).map((a) => `${a.vrid}:${a.priority}`).sort()).toEqual(["81:0", "82:0"]);
    expect(h.kernel.addrsOn("eth0")).not.toContain("192.0.2.102");
    expect(groupLines(h).at(-1)).toBe("GROUP G1 BACKUP 0");
    h.sched.advance(1000); // Skew_Time (609 ms at priority 100)
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    expect(h.kernel.addrsOn("eth0")).toEqual(expect.arrayContaining(["192.0.2.101", "192.0.2.102"]));
    expect(groupLines(h).at(-1)).toBe("GROUP G1 MASTER 0");
  });

  test("group track_interface applies to every member; member weights are ignored", () => {
    const h = new Harness();
    h.start(
      CONF.replace("  notify /n.sh\n", "  notify /n.sh\n  track_interface {\n    eth1\n  }\n")
        .replace("    eth1\n  }\n  virtual_ipaddress {\n    192.0.2.101", "    eth1 weight -50\n  }\n  virtual_ipaddress {\n    192.0.2.101"),
    );
    h.sched.advance(10_000);
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    h.kernel.setLink("eth1", false);
    expect(h.states()).toEqual({ VI_1: "FAULT", VI_2: "FAULT" });
    expect(h.rt.instances().every((r) => r.fsm.priority === 100)).toBe(true);
    h.rt.stop();
    expect(groupLines(h).at(-1)).toBe("GROUP G1 STOP 0");
  });
});
