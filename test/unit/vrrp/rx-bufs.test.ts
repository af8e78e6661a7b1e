/**
 * vrrp_rx_bufs_policy / vrrp_rx_bufs_multiplier / kernel_rx_buf_size (keepalived.conf(5)): the keyword
 * parses as keepalived reads it, and a socket's buffer is the sum of what its instances ask for.
 */
import { describe, expect, test } from "bun:test";
import { advertLength, socketRxBytes } from "../../../src/vrrp/rx-bufs.ts";
import { parseRxBufsPolicy } from "../../../src/config/rx-bufs.ts";
import { loadText } from "../../support/config/helpers.ts";

const conf = (global: string, inst = "") => `
global_defs {
${global}
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  priority 100
${inst}
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    192.0.2.102/24
  }
}
`;

describe("vrrp_rx_bufs_policy", () => {
  test("MTU, ADVERT, a size; a size with a policy wins; junk is an error naming it", () => {
    const warns: string[] = [];
    expect(parseRxBufsPolicy(["mtu"], (m) => warns.push(m))).toEqual({ kind: "MTU" });
    expect(parseRxBufsPolicy(["ADVERT"], (m) => warns.push(m))).toEqual({ kind: "ADVERT" });
    expect(parseRxBufsPolicy(["65536"], (m) => warns.push(m))).toEqual({ kind: "SIZE", bytes: 65536 });
    expect(warns).toEqual([]);
    expect(parseRxBufsPolicy(["MTU", "4096"], (m) => warns.push(m))).toEqual({ kind: "SIZE", bytes: 4096 });
    expect(warns[0]).toContain("ignoring the policy");
    expect(parseRxBufsPolicy(["lots"], () => {})).toBe("invalid vrrp_rx_bufs_policy 'lots' (MTU, ADVERT or a size in bytes 0-4294967295)");
    expect(parseRxBufsPolicy([], () => {})).toContain("missing");
  });

  test("loaded from global_defs with file:line on a bad value", () => {
    const ok = loadText(conf("  vrrp_rx_bufs_policy ADVERT\n  vrrp_rx_bufs_multiplier 10"), {}, {}, ["eth0"]);
    expect(ok.config.global.vrrpRxBufsPolicy).toEqual({ kind: "ADVERT" });
    expect(ok.config.global.vrrpRxBufsMultiplier).toBe(10);
    const bad = loadText(conf("  vrrp_rx_bufs_policy lots"), {}, {}, ["eth0"]);
    expect(bad.diagnostics.find((d) => d.message.includes("'lots'"))?.line).toBe(3);
  });

  test("socket size: per instance kernel_rx_buf_size, else the size, else multiplier x advert or x MTU", () => {
    const c = (g: string, i = "") => loadText(conf(g, i), {}, {}, ["eth0"]).config;
    const adv = c("  vrrp_rx_bufs_policy ADVERT");
    const [a, b] = adv.vrrp.instances;
    expect(advertLength(a!)).toBe(20 + 8 + 8 + 8); // IPv4 header, VRRP header, 2 addresses, v2 auth data
    expect(socketRxBytes([a!, b!], adv.global.vrrpRxBufsPolicy, 3, 1500)).toBe(3 * 44 + 3 * 40);
    const mtu = c("  vrrp_rx_bufs_policy MTU\n  vrrp_rx_bufs_multiplier 100", "  kernel_rx_buf_size 1000");
    expect(socketRxBytes(mtu.vrrp.instances, mtu.global.vrrpRxBufsPolicy, 100, 1500)).toBe(1000 + 150_000);
    const size = c("  vrrp_rx_bufs_policy 300000");
    expect(socketRxBytes(size.vrrp.instances, size.global.vrrpRxBufsPolicy, 3, 1500)).toBe(600_000);
    const none = c("");
    expect(socketRxBytes(none.vrrp.instances, none.global.vrrpRxBufsPolicy, 3, 1500)).toBeUndefined();
  });
});
