import { describe, expect, test } from "bun:test";
import { collectDump, nlmsg, parseNlError, splitMessages } from "../../../src/proto/netlink.ts";
import { concatBytes, nla, nlaNested, nlaU32 } from "../../../src/proto/netlink-attr.ts";
import {
  AF_INET,
  AF_INET6,
  encodeRouteAdd,
  encodeRouteDel,
  encodeRouteDump,
  parseRouteMessage,
  RT_SCOPE,
  RTA,
  RTAX,
  RTM,
  RTN,
  RTPROT,
} from "../../../src/proto/rtnetlink.ts";
import { findDatagram, loadFixture, normalise, replyTo, toHex } from "../../support/proto/netlink-fixture.ts";

const VETH0 = 3;
const SEQ = 21;

function expectSame(name: string, type: number, ours: Uint8Array): void {
  expect(toHex(ours)).toBe(toHex(normalise(findDatagram(loadFixture(name), "send", type), SEQ)));
}

function ackErrno(name: string, type: number): number | string {
  const m = splitMessages(replyTo(loadFixture(name), type)[0]!);
  if (!m.ok) return m.reason;
  const e = parseNlError(m.value[0]!);
  return e.ok ? e.value.errno : e.reason;
}

describe("route encoders match iproute2 captures", () => {
  test("ip route add 198.51.100.0/24 via 192.0.2.1 dev veth0 metric 10 table 100 src 192.0.2.10 proto static", () => {
    expectSame(
      "route-add-via",
      RTM.NEWROUTE,
      encodeRouteAdd({
        dst: "198.51.100.0",
        dstLen: 24,
        gateway: "192.0.2.1",
        oif: VETH0,
        priority: 10,
        table: 100,
        prefsrc: "192.0.2.10",
        protocol: RTPROT.STATIC,
      }, SEQ),
    );
    expect(ackErrno("route-add-via", RTM.NEWROUTE)).toBe(0);
  });
  test("ip route add blackhole / unreachable / prohibit", () => {
    expectSame("route-add-blackhole", RTM.NEWROUTE, encodeRouteAdd({ dst: "203.0.113.0", dstLen: 24, table: 100, type: RTN.BLACKHOLE }, SEQ));
    expectSame("route-add-unreachable", RTM.NEWROUTE, encodeRouteAdd({ dst: "203.0.113.64", dstLen: 26, table: 100, type: RTN.UNREACHABLE }, SEQ));
    expectSame("route-add-prohibit", RTM.NEWROUTE, encodeRouteAdd({ dst: "203.0.113.128", dstLen: 26, table: 100, type: RTN.PROHIBIT }, SEQ));
  });
  test("ip route add ... nexthop via 192.0.2.1 weight 1 nexthop via 192.0.2.2 weight 2", () => {
    expectSame(
      "route-add-multipath",
      RTM.NEWROUTE,
      encodeRouteAdd({
        dst: "198.51.100.128",
        dstLen: 25,
        table: 100,
        nexthops: [
          { ifindex: VETH0, gateway: "192.0.2.1", weight: 1, flags: 0 },
          { ifindex: VETH0, gateway: "192.0.2.2", weight: 2, flags: 0 },
        ],
      }, SEQ),
    );
  });
  test("ip route add ... mtu 1400 advmss 1360 (RTA_METRICS)", () => {
    expectSame(
      "route-add-metrics",
      RTM.NEWROUTE,
      encodeRouteAdd({
        dst: "198.51.100.64",
        dstLen: 26,
        gateway: "192.0.2.1",
        oif: VETH0,
        table: 100,
        metrics: { mtu: 1400, advmss: 1360 },
      }, SEQ),
    );
  });
  test("ip route add 203.0.113.192/26 dev veth0 scope link (also the derived default scope)", () => {
    const req = { dst: "203.0.113.192", dstLen: 26, oif: VETH0, table: 100 };
    expectSame("route-add-scope-link", RTM.NEWROUTE, encodeRouteAdd({ ...req, scope: RT_SCOPE.LINK }, SEQ));
    expectSame("route-add-scope-link", RTM.NEWROUTE, encodeRouteAdd(req, SEQ));
  });
  test("ip -6 route add 2001:db8:1::/48 via 2001:db8::1 dev veth0 table 100 metric 5", () => {
    expectSame(
      "route-add-v6",
      RTM.NEWROUTE,
      encodeRouteAdd({
        dst: "2001:db8:1::",
        dstLen: 48,
        gateway: "2001:db8::1",
        oif: VETH0,
        table: 100,
        priority: 5,
      }, SEQ),
    );
  });
  test("ip route del ... (protocol/type unspec, scope nowhere)", () => {
    expectSame(
      "route-del",
      RTM.DELROUTE,
      encodeRouteDel({
        dst: "198.51.100.0",
        dstLen: 24,
        gateway: "192.0.2.1",
        oif: VETH0,
        priority: 10,
        table: 100,
      }, SEQ),
    );
    expect(ackErrno("route-del", RTM.DELROUTE)).toBe(0);
  });
  test("ip route show table 100", () => {
    expectSame("route-dump", RTM.GETROUTE, encodeRouteDump(SEQ, AF_INET, 100));
  });
});

describe("route dump decoding", () => {
  const d = collectDump(replyTo(loadFixture("route-dump"), RTM.GETROUTE));
  const routes = d.ok ? d.value.messages.map((m) => parseRouteMessage(m)).map((r) => (r.ok ? r.value : r.reason)) : [];
  const find = (dst: string) => routes.find((r) => typeof r !== "string" && r.dst === dst);
  test("dump is complete and every entry parses", () => {
    expect(d.ok && d.value.done).toBe(true);
    expect(routes.every((r) => typeof r !== "string")).toBe(true);
    expect(routes.length).toBeGreaterThanOrEqual(7);
  });
  test("gateway route", () => {
    expect(find("198.51.100.0")).toMatchObject({
      family: AF_INET,
      dstLen: 24,
      table: 100,
      protocol: RTPROT.STATIC,
      type: RTN.UNICAST,
      gateway: "192.0.2.1",
      oif: VETH0,
      priority: 10,
      prefsrc: "192.0.2.10",
    });
  });
  test("special types", () => {
    expect(find("203.0.113.0")).toMatchObject({ type: RTN.BLACKHOLE, table: 100 });
    expect(find("203.0.113.64")).toMatchObject({ type: RTN.UNREACHABLE });
    expect(find("203.0.113.128")).toMatchObject({ type: RTN.PROHIBIT });
    expect(find("203.0.113.192")).toMatchObject({ scope: RT_SCOPE.LINK, oif: VETH0 });
  });
  test("multipath and metrics", () => {
    expect(find("198.51.100.128")).toMatchObject({
      multipath: [
        { ifindex: VETH0, gateway: "192.0.2.1", weight: 1, flags: expect.any(Number) },
        { ifindex: VETH0, gateway: "192.0.2.2", weight: 2, flags: expect.any(Number) },
      ],
    });
    expect(find("198.51.100.64")).toMatchObject({ metrics: { mtu: 1400, advmss: 1360 } });
  });
});

describe("round trip and malformed input", () => {
  const parse = (b: Uint8Array) => {
    const m = splitMessages(b);
    return m.ok ? parseRouteMessage(m.value[0]!) : m;
  };
  test("table > 255 travels in RTA_TABLE and parses back", () => {
    const r = parse(encodeRouteAdd({
      dst: "2001:db8::",
      dstLen: 32,
      src: "2001:db8:5::",
      srcLen: 48,
      gateway: "fe80::1",
      oif: 2,
      table: 1000,
      protocol: RTPROT.KEEPALIVED,
      metrics: { hoplimit: 9, initcwnd: 10 },
      pref: 1,
    }, 1));
    expect(r).toEqual({
      ok: true,
      value: {
        family: AF_INET6,
        dstLen: 32,
        srcLen: 48,
        tos: 0,
        table: 1000,
        protocol: 18,
        scope: 0,
        type: RTN.UNICAST,
        flags: 0,
        dst: "2001:db8::",
        src: "2001:db8:5::",
        gateway: "fe80::1",
        oif: 2,
        metrics: { hoplimit: 9, initcwnd: 10 },
        pref: 1,
      },
    });
  });
  test("truncated rtmsg", () => {
    expect(parse(nlmsg(RTM.NEWROUTE, 0, 1, new Uint8Array(8)))).toEqual({ ok: false, reason: "rtmsg truncated: 8 bytes, need 12" });
  });
  test("RTA_DST with 3 bytes", () => {
    const r = parse(nlmsg(RTM.NEWROUTE, 0, 1, concatBytes(new Uint8Array(12), nla(RTA.DST, Uint8Array.of(1, 2, 3)))));
    expect(r).toEqual({ ok: false, reason: "RTA: attribute 1: address of 3 bytes" });
  });
  test("RTA_MULTIPATH with rtnh_len past the attribute", () => {
    const bad = nla(RTA.MULTIPATH, Uint8Array.of(32, 0, 0, 0, 3, 0, 0, 0));
    const r = parse(nlmsg(RTM.NEWROUTE, 0, 1, concatBytes(new Uint8Array(12), bad)));
    expect(r).toEqual({ ok: false, reason: "RTA: RTA_MULTIPATH: rtnh_len 32 at offset 0 invalid in 8 bytes" });
  });
  test("RTA_MULTIPATH shorter than one rtnexthop", () => {
    const r = parse(nlmsg(RTM.NEWROUTE, 0, 1, concatBytes(new Uint8Array(12), nla(RTA.MULTIPATH, Uint8Array.of(8, 0, 0)))));
    expect(r.ok).toBe(false);
  });
  test("RTA_METRICS with a short RTAX_MTU", () => {
    const bad = nlaNested(RTA.METRICS, [nla(RTAX.MTU, Uint8Array.of(1, 2))]);
    const r = parse(nlmsg(RTM.NEWROUTE, 0, 1, concatBytes(new Uint8Array(12), bad)));
    expect(r).toEqual({ ok: false, reason: "RTA/RTA_METRICS: attribute 2 has 2 bytes, need 4" });
  });
  test("RTA_OIF with 2 bytes", () => {
    const r = parse(nlmsg(RTM.NEWROUTE, 0, 1, concatBytes(new Uint8Array(12), nla(RTA.OIF, Uint8Array.of(1, 0)), nlaU32(RTA.PRIORITY, 1))));
    expect(r.ok).toBe(false);
  });
});
