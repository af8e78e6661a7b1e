import { describe, expect, test } from "bun:test";
import { nlmsg, splitMessages } from "../../../src/proto/netlink.ts";
import {
  AF_INET,
  AF_INET6,
  encodeAddrAdd,
  encodeRouteAdd,
  encodeRuleAdd,
  IF_OPER,
  IFA_F,
  IFF,
  linkIsUp,
  MACVLAN_MODE,
  parseRtnlDatagram,
  parseRtnlMessage,
  RTM,
  RTN,
  type RtnlEvent,
} from "../../../src/proto/rtnetlink.ts";
import { loadFixture } from "../../support/proto/netlink-fixture.ts";

/** Events `ip monitor link address` received while a VMAC was created, addressed, downed and deleted. */
function capturedEvents(): { events: RtnlEvent[]; skipped: number[] } {
  const f = loadFixture("events-link-addr");
  const events: RtnlEvent[] = [];
  const skipped: number[] = [];
  for (const d of f.datagrams) {
    const r = parseRtnlDatagram(d.bytes);
    if (!r.ok) throw new Error(r.reason);
    events.push(...r.value.events);
    skipped.push(...r.value.skipped.map((s) => s.type));
  }
  return { events, skipped };
}

describe("RTMGRP_LINK / RTMGRP_IPV4_IFADDR / RTMGRP_IPV6_IFADDR events from the kernel", () => {
  const { events, skipped } = capturedEvents();
  const after = events.slice(events.findIndex((e) => e.kind === "link" && e.link.name === "vrrp.60"));
  const describeEv = (e: RtnlEvent): string => {
    if (e.kind === "link") return `link ${e.op} ${e.link.name} ${linkIsUp(e.link) ? "up" : "down"}`;
    if (e.kind === "addr") return `addr ${e.op} ${e.addr.address}/${e.addr.prefixLen}`;
    return `${e.kind} ${e.op}`;
  };
  test("the VMAC's life, in order", () => {
    expect(after.map(describeEv)).toEqual([
      "link new vrrp.60 down",
      "link new vrrp.60 up",
      "addr new 192.0.2.60/24",
      "addr new 2001:db8::60/64",
      "addr del 192.0.2.60/24",
      "link new vrrp.60 down",
      "addr del 2001:db8::60/64",
      "addr del fe80::200:5eff:fe00:13c/64",
      "link new veth0 up",
      "link del vrrp.60 down",
    ]);
  });
  test("the new macvlan carries kind, mode, parent and VMAC", () => {
    const first = after[0]!;
    expect(first.kind === "link" && first.link).toMatchObject({
      name: "vrrp.60",
      kind: "macvlan",
      macvlanMode: MACVLAN_MODE.BRIDGE,
      address: "00:00:5e:00:01:3c",
      link: 3,
      operstate: IF_OPER.DOWN,
    });
    const up = after[1]!;
    expect(up.kind === "link" && up.link.flags & (IFF.UP | IFF.LOWER_UP)).toBe(IFF.UP | IFF.LOWER_UP);
  });
  test("address events are typed", () => {
    const v4 = after[2]!;
    expect(v4.kind === "addr" && v4.addr).toMatchObject({ family: AF_INET, local: "192.0.2.60", label: "vrrp.60", index: 7 });
    const v6 = after[3]!;
    expect(v6.kind === "addr" && v6.addr).toMatchObject({ family: AF_INET6, address: "2001:db8::60" });
    expect(v6.kind === "addr" && v6.addr.flags & IFA_F.NODAD).toBe(IFA_F.NODAD);
  });
  test("messages of other types (RTM_NEWNSID) are skipped with a reason, not fatal", () => {
    expect(skipped).toEqual([88, 88]);
  });
});

describe("dispatch", () => {
  const one = (b: Uint8Array) => {
    const m = splitMessages(b);
    if (!m.ok) throw new Error(m.reason);
    return parseRtnlMessage(m.value[0]!);
  };
  test("route and rule messages become events too", () => {
    const r = one(encodeRouteAdd({ dst: "203.0.113.0", dstLen: 24, type: RTN.BLACKHOLE }, 9));
    expect(r.ok && r.value.kind === "route" && [r.value.op, r.value.seq, r.value.route.type]).toEqual(["new", 9, RTN.BLACKHOLE]);
    const u = one(encodeRuleAdd({ priority: 5, table: 7 }, 1));
    expect(u.ok && u.value.kind === "rule" && u.value.rule.table).toBe(7);
  });
  test("a malformed message is skipped, the rest of the datagram still decodes", () => {
    const bad = nlmsg(RTM.NEWADDR, 0, 1, new Uint8Array(3));
    const good = encodeAddrAdd({ index: 2, address: "192.0.2.9", prefixLen: 32 }, 2);
    const r = parseRtnlDatagram(new Uint8Array([...bad, ...good]));
    expect(r.ok && r.value.events.length).toBe(1);
    expect(r.ok && r.value.skipped).toEqual([{ type: RTM.NEWADDR, reason: "ifaddrmsg truncated: 3 bytes, need 8" }]);
  });
  test("broken framing of the datagram is an error result", () => {
    expect(parseRtnlDatagram(new Uint8Array(7)).ok).toBe(false);
  });
});
