/**
 * garp_extra_if / vrrp_garp_extra_if (src/vrrp/garp-extra.ts) on the harness: what keepalived 2.2.7 was
 * seen to send (tcpdump on the peer): with `all`, one GARP per VIP on another interface every SECS while
 * MASTER, from that interface's MAC; without `all`, nothing beyond the usual rounds.
 */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (global: string, extra = "") =>
  `global_defs {\n  vrrp_garp_master_delay 0\n${global}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n${extra}` +
  `  virtual_ipaddress {\n    192.0.2.100/24\n    198.51.100.100/24 dev eth1\n  }\n}\n`;

/** GARPs for the VIP on eth1 (ifindex 3) after time `from`. */
function onEth1(h: Harness) {
  return h.garps.filter((g) => g.ifindex === 3 && g.vip === "198.51.100.100");
}

describe("garp_extra_if", () => {
  test("with all: one GARP every delay for the VIP on eth1, from eth1's MAC, while MASTER", () => {
    const h = new Harness();
    h.start(conf("  vrrp_garp_extra_if all 2\n"));
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    const first = onEth1(h).length; // garp_master_repeat (5) at the transition
    expect(first).toBe(5);
    expect(onEth1(h).every((g) => g.mac === "02:00:00:00:00:02")).toBe(true);
    const eth0 = h.garps.filter((g) => g.ifindex === 2).length;
    h.sched.advance(6100);
    expect(onEth1(h).length).toBe(first + 3);
    expect(h.garps.filter((g) => g.ifindex === 2).length).toBe(eth0); // the instance's own interface: nothing extra
    // Leaving MASTER stops them.
    h.advert("eth0", 51, 200, "192.0.2.200", ["192.0.2.100", "198.51.100.100"], 2);
    expect(h.states().VI_1).toBe("BACKUP");
    const after = onEth1(h).length;
    h.sched.advance(2500);
    expect(onEth1(h).length).toBe(after);
  });

  test("the instance keyword overrides the global one; 0 turns it off", () => {
    const h = new Harness();
    h.start(conf("  vrrp_garp_extra_if all 2\n", "  garp_extra_if 0\n"));
    h.sched.advance(4000);
    const n = onEth1(h).length;
    h.sched.advance(6100);
    expect(onEth1(h).length).toBe(n);
    const k = new Harness();
    k.start(conf("", "  garp_extra_if all 1\n"));
    k.sched.advance(4000);
    const m = onEth1(k).length;
    k.sched.advance(3050);
    expect(onEth1(k).length).toBe(m + 3);
  });

  test("without all (only VMACs other than the instance's qualify): nothing beyond the usual rounds", () => {
    const h = new Harness();
    h.start(conf("  vrrp_garp_extra_if 2\n"));
    h.sched.advance(4000);
    const n = onEth1(h).length;
    h.sched.advance(6100);
    expect(onEth1(h).length).toBe(n);
  });
});
