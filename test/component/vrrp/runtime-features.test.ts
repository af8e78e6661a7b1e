/**
 * Runtime features with a fake kernel and clock: use_vmac (macvlan, MAC, sysctls set and restored,
 * VIPs and GARPs on the VMAC), virtual_routes / virtual_rules with the VIPs, static addresses / routes /
 * rules always present, a VIP or static address deleted by someone else is restored, track_file
 * (value * weight, init_file), vrrp_track_process, track_bfd from parent messages,
 * higher_prio_send_advert.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Harness } from "../../support/vrrp/harness.ts";

const inst = (body: string, extra = "") =>
  `${extra}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
${body}
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const prio = (h: Harness) => h.rt.instances()[0]!.fsm.priority;

describe("VRRP runtime features", () => {
  test("use_vmac: private macvlan vrrp.51 with the VRRP MAC, sysctls, VIPs and GARPs on it; removed and restored on stop", async () => {
    const h = new Harness();
    h.start(inst("  use_vmac"));
    expect(h.kernel.macvlans).toEqual([{ name: "vrrp.51", parentIndex: 2, mac: "00:00:5e:00:01:33", mode: 1 }]);
    const v = h.kernel.links.find((l) => l.name === "vrrp.51")!;
    expect(v.up).toBe(true);
    expect(h.sysctl.get("net/ipv4/conf/vrrp.51/arp_ignore")).toBe("1");
    expect(h.sysctl.get("net/ipv4/conf/vrrp.51/accept_local")).toBe("1");
    expect(h.sysctl.get("net/ipv6/conf/vrrp.51/disable_ipv6")).toBe("1");
    expect(h.sysctl.get("net/ipv4/conf/eth0/arp_ignore")).toBe("1");
    expect(h.sysctl.get("net/ipv4/conf/eth0/arp_filter")).toBe("1");
    expect(h.transports[0]!.o).toMatchObject({ ifname: "eth0", txIfname: "vrrp.51" });
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.addrsOn("vrrp.51")).toContain("192.0.2.100");
    expect(h.garps[0]).toEqual({ ifindex: v.index, mac: "00:00:5e:00:01:33", vip: "192.0.2.100" });
    await h.rt.stop();
    expect(h.kernel.links.some((l) => l.name === "vrrp.51")).toBe(false);
    expect(h.sysctl.get("net/ipv4/conf/eth0/arp_ignore")).toBe("0");
    expect(h.sysctl.get("net/ipv4/conf/eth0/arp_filter")).toBe("0");
  });

  test("vmac_xmit_base: adverts on the base interface, GARPs still from the VMAC", () => {
    const h = new Harness();
    h.start(inst("  use_vmac vrrp51\n  vmac_xmit_base"));
    expect(h.kernel.macvlans[0]!.name).toBe("vrrp51");
    expect(h.transports[0]!.o).toMatchObject({ ifname: "eth0", txIfname: "eth0" });
    h.sched.advance(5000);
    expect(h.garps[0]!.mac).toBe("00:00:5e:00:01:33");
  });

  test("virtual_routes and virtual_rules follow MASTER; static ones are always there", async () => {
    const h = new Harness();
    h.start(inst(
      `  virtual_routes {
    203.0.113.0/24 via 192.0.2.254 dev eth0
    src 192.0.2.100 198.51.100.0/24 dev eth1 table 100
  }
  virtual_rules {
    from 192.0.2.100 table 100 priority 100
  }`,
      `static_ipaddress {
  203.0.113.9/32 dev eth1
}
static_routes {
  203.0.113.128/25 dev eth1
}
static_rules {
  to 203.0.113.128/25 table 200 priority 200
}`,
    ));
    expect(h.kernel.addrsOn("eth1")).toContain("203.0.113.9");
    expect(h.kernel.routes.map((r) => `${r.dst}/${r.dstLen}`)).toEqual(["203.0.113.128/25"]);
    expect(h.kernel.rules.map((r) => r.priority)).toEqual([200]);
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.routes.map((r) => `${r.dst}/${r.dstLen}`).sort()).toEqual(["198.51.100.0/24", "203.0.113.0/24", "203.0.113.128/25"]);
    const r = h.kernel.routes.find((x) => x.dst === "198.51.100.0")!;
    expect(r).toMatchObject({ prefsrc: "192.0.2.100", table: 100, oif: 3, protocol: 18 });
    expect(h.kernel.routes.find((x) => x.dst === "203.0.113.0")).toMatchObject({ gateway: "192.0.2.254", oif: 2 });
    expect(h.kernel.rules.map((x) => x.priority).sort()).toEqual([100, 200]);
    expect(h.kernel.rules.find((x) => x.priority === 100)).toMatchObject({ src: "192.0.2.100", srcLen: 32, table: 100 });
    // VIP deleted by someone else: the instance resigns (its routes and rules go) and is MASTER again after Skew_Time.
    h.kernel.delAddr({ index: 2, address: "192.0.2.100", prefixLen: 24 });
    h.kernel.emit({ kind: "addr", op: "del", addr: { index: 2, family: "ipv4", address: "192.0.2.100", prefixLen: 24, scope: 0, flags: 0 } });
    expect(h.states().VI_1).toBe("BACKUP");
    expect(h.kernel.rules.map((x) => x.priority)).toEqual([200]);
    h.sched.advance(1000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.addrsOn("eth0")).toContain("192.0.2.100");
    expect(h.kernel.rules.map((x) => x.priority).sort()).toEqual([100, 200]);
    // A static address deleted by someone else: restored.
    h.kernel.delAddr({ index: 3, address: "203.0.113.9", prefixLen: 32 });
    h.kernel.emit({ kind: "addr", op: "del", addr: { index: 3, family: "ipv4", address: "203.0.113.9", prefixLen: 32, scope: 0, flags: 0 } });
    expect(h.kernel.addrsOn("eth1")).toContain("203.0.113.9");
    h.advert("eth0", 51, 200, "192.0.2.2", ["192.0.2.100"], 2);
    expect(h.states().VI_1).toBe("BACKUP");
    expect(h.kernel.routes.map((x) => x.dst)).toEqual(["203.0.113.128"]);
    expect(h.kernel.rules.map((x) => x.priority)).toEqual([200]);
    await h.rt.stop();
    expect(h.kernel.routes).toEqual([]);
    expect(h.kernel.rules).toEqual([]);
    expect(h.kernel.addrsOn("eth1")).not.toContain("203.0.113.9");
  });

  test("track_file: value * weight, init_file, weight 0 means FAULT on non-zero", () => {
    const d = mkdtempSync("/tmp/kvf-tf-");
    try {
      const f = join(d, "prio");
      const h = new Harness();
      h.start(inst("  track_file {\n    tf weight -5\n  }", `vrrp_track_file tf {\n  file ${f}\n  init_file 2\n}`));
      expect(readFileSync(f, "utf8").trim()).toBe("2");
      expect(prio(h)).toBe(90);
      writeFileSync(f, "7\n");
      h.fileChanged(f);
      expect(prio(h)).toBe(65);
      // the new effective priority reaches the parent without a state change (bgp_announce, metrics)
      const last = (h.parentMsgs as { type: string }[]).filter((m) => m.type === "vrrpState").at(-1);
      expect(last).toMatchObject({ instance: "VI_1", effectivePriority: 65 });
      const g = new Harness();
      g.start(inst("  track_file {\n    tf weight 0\n  }", `vrrp_track_file tf {\n  file ${f}\n}`));
      expect(g.states().VI_1).toBe("FAULT");
      writeFileSync(f, "0\n");
      g.fileChanged(f);
      expect(g.states().VI_1).toBe("BACKUP");
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("vrrp_track_process: quorum from a /proc scan every second", () => {
    const h = new Harness();
    h.procs = [{ pid: 10, comm: "nginx", argv: ["/usr/sbin/nginx", "-g", "daemon off;"] }];
    h.start(inst("  track_process {\n    web\n  }", `vrrp_track_process web {\n  process nginx\n  quorum 1\n  weight 20\n}`));
    expect(prio(h)).toBe(120);
    h.procs = [];
    h.sched.advance(1000);
    h.sched.advance(1000); // terminate_delay (1 s by default)
    expect(prio(h)).toBe(100);
  });

  test("track_bfd: a BFD session going Down is FAULT (weight 0), Up recovers", () => {
    const h = new Harness();
    h.start(inst("  track_bfd {\n    peer1\n  }", "bfd_instance peer1 {\n  neighbor_ip 192.0.2.2\n}"));
    expect(h.states().VI_1).toBe("FAULT");
    h.rt.onEvent({ type: "bfdState", name: "peer1", state: "Up", at: 0 });
    expect(h.states().VI_1).toBe("BACKUP");
    h.rt.onEvent({ type: "bfdState", name: "peer1", state: "Down", at: 0 });
    expect(h.states().VI_1).toBe("FAULT");
  });

  test("higher_prio_send_advert: one last advert before yielding", () => {
    const h = new Harness();
    h.start(inst("  higher_prio_send_advert"));
    h.sched.advance(5000);
    const n = h.sent.length;
    h.advert("eth0", 51, 200, "192.0.2.2", ["192.0.2.100"], 2);
    expect(h.states().VI_1).toBe("BACKUP");
    expect(h.sent.slice(n).map((s) => s.priority)).toEqual([100]);
  });
});

describe("VRRP runtime options", () => {
  test("unicast_fault_no_peer without peers is FAULT", () => {
    const h = new Harness();
    h.start(inst("  unicast_fault_no_peer\n  unicast_src_ip 192.0.2.1\n  unicast_peer {\n  }"));
    expect(h.states().VI_1).toBe("FAULT");
  });

  test("notify_master_rx_lower_pri runs; lower-priority GARPs use garp_lower_prio_repeat/delay", () => {
    const h = new Harness();
    h.start(
      inst("  notify_master_rx_lower_pri /lower.sh\n  garp_lower_prio_repeat 2\n  garp_lower_prio_delay 3\n  garp_master_delay 0\n  garp_master_repeat 1"),
    );
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    const n = h.garps.length;
    h.advert("eth0", 51, 50, "192.0.2.2", ["192.0.2.100"], 2);
    expect(h.scripts).toContainEqual(["/lower.sh"]);
    expect(h.garps.length - n).toBe(2);
    h.sched.advance(3000);
    expect(h.garps.length - n).toBe(4);
  });

  test("vrrp_garp_interval paces GARPs on one interface; garp_group overrides it", () => {
    const h = new Harness();
    h.start(inst("  garp_master_delay 0\n  garp_master_repeat 3", "global_defs {\n  vrrp_garp_interval 0.5\n}"));
    h.sched.advance(4500);
    expect(h.states().VI_1).toBe("MASTER");
    const t0 = h.garps.length;
    expect(t0).toBeGreaterThanOrEqual(1);
    h.sched.advance(500);
    h.sched.advance(500);
    expect(h.garps.length).toBe(3);
    const g = new Harness();
    g.start(
      inst("  garp_master_delay 0\n  garp_master_repeat 3", "global_defs {\n  vrrp_garp_interval 0.5\n}\ngarp_group {\n  garp_interval 0\n  interface eth0\n}"),
    );
    g.sched.advance(5000);
    expect(g.garps.length).toBe(3);
  });
});
