/** Route, rule and address specs (as the config loader builds them) turned into rtnetlink requests. */
import { describe, expect, test } from "bun:test";
import { loadText } from "../../support/config/helpers.ts";
import { RTN } from "../../../src/proto/rtnl-const.ts";
import { FIB_RULE, FR_ACT } from "../../../src/proto/rtnl-rule.ts";
import { addrRequest, routeRequest, ruleRequest } from "../../../src/vrrp/routes.ts";

const load = (block: string) => loadText(`${block}\n`, {}, {}, ["eth0", "eth1"]).config.vrrp;
const ifindex = (n: string) => ({ eth0: 2, eth1: 3 } as Record<string, number>)[n] ?? 0;

describe("routes.ts", () => {
  test("routes: via/dev/table/metric/src, blackhole, multipath, metrics; unknown dev is an error", () => {
    const r = load(`static_routes {
  198.51.100.0/24 via 192.0.2.254 dev eth0 table 100 metric 5
  blackhole 203.0.113.0/24
  203.0.113.64/26 nexthop via 192.0.2.253 dev eth0 weight 2 nexthop via 198.51.100.254 dev eth1
  203.0.113.128/25 dev eth1 mtu 1400
  203.0.113.192/26 dev nosuch
}`).staticRoutes;
    const b = r.map((x) => routeRequest(x, ifindex));
    expect(b[0]).toMatchObject({ ok: true, value: { dst: "198.51.100.0", dstLen: 24, gateway: "192.0.2.254", oif: 2, table: 100, priority: 5, protocol: 18 } });
    expect(b[1]).toMatchObject({ ok: true, value: { dst: "203.0.113.0", type: RTN.BLACKHOLE } });
    expect(b[2]).toMatchObject({
      ok: true,
      value: { nexthops: [{ ifindex: 2, gateway: "192.0.2.253", weight: 2 }, { ifindex: 3, gateway: "198.51.100.254", weight: 1 }] },
    });
    expect(b[3]).toMatchObject({ ok: true, value: { metrics: { mtu: 1400 } } });
    expect(b[4]).toEqual({ ok: false, reason: "interface nosuch does not exist" });
  });

  test("rules: from/to/preference/table, not, fwmark/mask, goto", () => {
    const r = load(`static_rules {
  from 192.0.2.0/24 table 100 priority 10
  not to 198.51.100.1 fwmark 0x10/0xff table 200 priority 20
  from all goto 100 priority 30
}`).staticRules;
    const b = r.map(ruleRequest);
    expect(b[0]).toMatchObject({ ok: true, value: { src: "192.0.2.0", srcLen: 24, table: 100, priority: 10, action: FR_ACT.TO_TBL } });
    expect(b[1]).toMatchObject({ ok: true, value: { dst: "198.51.100.1", dstLen: 32, fwmark: 16, fwmask: 255, flags: FIB_RULE.INVERT } });
    expect(b[2]).toMatchObject({ ok: true, value: { action: FR_ACT.GOTO, goto: 100, priority: 30 } });
  });

  test("addresses: scope, label, broadcast, flags", () => {
    const a = load(`static_ipaddress {
  192.0.2.50/24 brd 192.0.2.255 dev eth0 scope link label eth0:1
}`).staticIpaddresses[0]!;
    expect(addrRequest(a, 2)).toMatchObject({
      index: 2,
      address: "192.0.2.50",
      prefixLen: 24,
      broadcast: "192.0.2.255",
      scope: 253,
      label: "eth0:1",
      flags: 0,
    });
  });
  test("autojoin sets IFA_F_MCAUTOJOIN", () => {
    const a = load(`static_ipaddress {
  239.1.2.3/32 dev eth0 autojoin
}`).staticIpaddresses[0]!;
    expect(addrRequest(a, 2).flags).toBe(0x400);
  });
});
