/**
 * src/vrrp/orphan-sweep.ts: what the parent removes when the VRRP child dies. Only configured VIPs, only
 * on the interface (or VMAC) the instance would use, with their virtual routes and rules; an address that
 * only looks the same elsewhere is left alone. Also: the echo of our own VIP removal after a fast
 * MASTER -> BACKUP -> MASTER flip is not taken for someone else's deletion (src/vrrp/instance.ts).
 */
import { describe, expect, test } from "bun:test";
import { sweepVrrpAddresses } from "../../../src/vrrp/orphan-sweep.ts";
import { FakeKernel, Harness } from "../../support/vrrp/harness.ts";
import { loadText } from "../../support/config/helpers.ts";
import { Logger } from "../../../src/core/log.ts";

const CONF = `
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
    198.51.100.7/24 dev eth1
  }
  virtual_ipaddress_excluded {
    2001:db8::7/64
  }
  virtual_routes {
    203.0.113.0/24 via 192.0.2.254
  }
}
`;

describe("orphaned VIP sweep", () => {
  test("removes the instance's VIPs where it put them, its excluded VIPs and its routes", () => {
    const k = new FakeKernel();
    const cfg = loadText(CONF, {}, {}, ["eth0", "eth1"]).config;
    k.addAddr({ index: 2, address: "192.0.2.100", prefixLen: 24 });
    k.addAddr({ index: 3, address: "198.51.100.7", prefixLen: 24 });
    k.addAddr({ index: 2, address: "2001:db8::7", prefixLen: 64 });
    k.addAddr({ index: 3, address: "192.0.2.100", prefixLen: 24 }); // same address, another interface: not ours
    k.routes.push({ dst: "203.0.113.0", dstLen: 24 });
    const r = sweepVrrpAddresses(cfg, k);
    expect(r.errors).toEqual([]);
    expect(r.removed.sort()).toEqual(["192.0.2.100/24 dev eth0", "198.51.100.7/24 dev eth1", "2001:db8::7/64 dev eth0"]);
    expect(k.addrsOn("eth0")).toEqual(["192.0.2.1", "fe80::1"]);
    expect(k.addrsOn("eth1")).toEqual(["198.51.100.1", "192.0.2.100"]);
    expect(k.routes).toEqual([]);
  });

  test("nothing up: nothing removed, no error", () => {
    const k = new FakeKernel();
    const r = sweepVrrpAddresses(loadText(CONF, {}, {}, ["eth0", "eth1"]).config, k);
    expect(r).toEqual({ removed: [], errors: [] });
  });

  test("use_vmac: the VIP on the instance's macvlan is removed", () => {
    const k = new FakeKernel();
    k.links.push({ index: 9, name: "vrrp.51", mac: "00:00:5e:00:01:33", up: true, kind: "macvlan", link: 2 });
    k.addAddr({ index: 9, address: "192.0.2.100", prefixLen: 24 });
    const cfg = loadText(CONF.replace("priority 100", "priority 100\n  use_vmac"), {}, {}, ["eth0", "eth1"]).config;
    expect(sweepVrrpAddresses(cfg, k).removed).toContain("192.0.2.100/24 dev vrrp.51");
  });
});

describe("own VIP removal echo", () => {
  test("after MASTER -> BACKUP -> MASTER the late RTM_DELADDR of our own removal is not 'someone else'", () => {
    const lines: string[] = [];
    const log = new Logger({ ident: "t", console: false, syslog: true, facility: 3, detail: false, syslogSend: (l) => void lines.push(l) });
    const h = new Harness(log);
    h.start(`
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`);
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    h.advert("eth0", 51, 200, "192.0.2.9", ["192.0.2.100"], 2); // a better master: we leave, removing the VIP
    expect(h.states().VI_1).toBe("BACKUP");
    h.advert("eth0", 51, 0, "192.0.2.9", ["192.0.2.100"], 2); // it leaves again: we take over at once
    h.sched.advance(1000);
    expect(h.states().VI_1).toBe("MASTER");
    const adds = h.kernel.ops.filter((o) => o.startsWith("addr add 192.0.2.100")).length;
    h.kernel.emit({ kind: "addr", op: "del", addr: { index: 2, family: "ipv4", address: "192.0.2.100", prefixLen: 24, scope: 0, flags: 0 } });
    expect(lines.filter((l) => l.includes("removed from"))).toEqual([]);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.ops.filter((o) => o.startsWith("addr add 192.0.2.100")).length).toBe(adds);
    // The same address deleted from another interface is not ours.
    h.kernel.emit({ kind: "addr", op: "del", addr: { index: 3, family: "ipv4", address: "192.0.2.100", prefixLen: 24, scope: 0, flags: 0 } });
    expect(h.states().VI_1).toBe("MASTER");
    expect(lines.filter((l) => l.includes("removed from"))).toEqual([]);
    // A real deletion later is someone else's: the instance resigns and, alone, is MASTER again after Skew_Time with the VIP.
    h.kernel.delAddr({ index: 2, address: "192.0.2.100", prefixLen: 24 });
    h.kernel.emit({ kind: "addr", op: "del", addr: { index: 2, family: "ipv4", address: "192.0.2.100", prefixLen: 24, scope: 0, flags: 0 } });
    expect(lines.filter((l) => l.includes("Netlink reflector reports IP 192.0.2.100 removed from eth0")).length).toBe(1);
    expect(h.states().VI_1).toBe("BACKUP");
    h.sched.advance(1000);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.addrsOn("eth0")).toContain("192.0.2.100");
  });
});
