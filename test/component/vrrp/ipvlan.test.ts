/** use_ipvlan on the harness (src/vrrp/ipvlan.ts): the ipvlan, its address and IPv6 off, adverts from it, VIPs on the base, deleted at stop. */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (ipvlan: string) =>
  `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  use_ipvlan ${ipvlan}\n  virtual_router_id 51\n  priority 255\n  advert_int 1\n` +
  `  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

describe("use_ipvlan", () => {
  test("vrrp.51 on eth0 with the address, IPv6 off; adverts from it, VIPs on eth0; removed at stop", async () => {
    const h = new Harness();
    h.start(conf("192.0.2.51/24 private"));
    expect(h.kernel.ops).toContain("ipvlan add vrrp.51 private");
    const v = h.kernel.links.find((l) => l.name === "vrrp.51")!;
    expect(v.link).toBe(2);
    expect(h.kernel.addrsOn("vrrp.51")).toContain("192.0.2.51");
    expect(h.sysctl.get("net/ipv6/conf/vrrp.51/disable_ipv6")).toBe("1");
    h.sched.advance(100);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.addrsOn("eth0")).toContain("192.0.2.100"); // VIPs stay on the base (keepalived 2.2.7)
    expect(h.kernel.addrsOn("vrrp.51")).not.toContain("192.0.2.100");
    expect(h.transports[0]?.o.src).toBe("192.0.2.51"); // adverts from the ipvlan's address
    await h.rt.stop();
    expect(h.kernel.links.some((l) => l.name === "vrrp.51")).toBe(false);
  });

  test("an IPv4 instance without an address is not started", () => {
    const h = new Harness();
    h.start(conf("vrrp.9"));
    expect(h.states().VI_1).toBeUndefined();
  });
});
