import { describe, expect, test } from "bun:test";
import { collectDump, nlmsg, splitMessages } from "../../../src/proto/netlink.ts";
import { concatBytes, nla } from "../../../src/proto/netlink-attr.ts";
import {
  AF_INET,
  AF_INET6,
  encodeRuleAdd,
  encodeRuleDel,
  encodeRuleDump,
  FIB_RULE,
  FR_ACT,
  FRA,
  parseRuleMessage,
  RTM,
  RTPROT,
} from "../../../src/proto/rtnetlink.ts";
import { findDatagram, loadFixture, normalise, replyTo, toHex } from "../../support/proto/netlink-fixture.ts";

const SEQ = 31;

function expectSame(name: string, type: number, ours: Uint8Array): void {
  expect(toHex(ours)).toBe(toHex(normalise(findDatagram(loadFixture(name), "send", type), SEQ)));
}

describe("rule encoders match iproute2 captures", () => {
  test("ip rule add from 192.0.2.0/24 table 100 priority 100", () => {
    expectSame("rule-add-from", RTM.NEWRULE, encodeRuleAdd({ src: "192.0.2.0", srcLen: 24, table: 100, priority: 100 }, SEQ));
  });
  test("ip rule add to 198.51.100.0/24 fwmark 0x10/0xff iif veth0 table 100 pref 101", () => {
    expectSame(
      "rule-add-fwmark",
      RTM.NEWRULE,
      encodeRuleAdd({
        dst: "198.51.100.0",
        dstLen: 24,
        fwmark: 0x10,
        fwmask: 0xff,
        iifname: "veth0",
        table: 100,
        priority: 101,
      }, SEQ),
    );
  });
  test("ip rule add oif veth0 uidrange 1000-2000 sport 1000-2000 dport 80 ipproto tcp table 100 pref 102", () => {
    expectSame(
      "rule-add-ranges",
      RTM.NEWRULE,
      encodeRuleAdd({
        oifname: "veth0",
        uidRange: { start: 1000, end: 2000 },
        sportRange: { start: 1000, end: 2000 },
        dportRange: { start: 80, end: 80 },
        ipProto: 6,
        table: 100,
        priority: 102,
      }, SEQ),
    );
  });
  test("ip rule add from 192.0.2.5 blackhole pref 103", () => {
    expectSame("rule-add-blackhole", RTM.NEWRULE, encodeRuleAdd({ src: "192.0.2.5", action: FR_ACT.BLACKHOLE, priority: 103 }, SEQ));
  });
  test("ip rule add pref 104 goto 105", () => {
    expectSame("rule-add-goto", RTM.NEWRULE, encodeRuleAdd({ action: FR_ACT.GOTO, priority: 104, goto: 105 }, SEQ));
  });
  test("ip -6 rule add from 2001:db8::/32 table 100 pref 106", () => {
    expectSame("rule-add-v6", RTM.NEWRULE, encodeRuleAdd({ src: "2001:db8::", srcLen: 32, table: 100, priority: 106 }, SEQ));
  });
  test("ip rule del pref 103", () => {
    expectSame("rule-del", RTM.DELRULE, encodeRuleDel({ priority: 103 }, SEQ));
  });
  test("ip rule show", () => {
    expectSame("rule-dump", RTM.GETRULE, encodeRuleDump(SEQ, AF_INET));
  });
});

describe("rule dump decoding", () => {
  const d = collectDump(replyTo(loadFixture("rule-dump"), RTM.GETRULE));
  const rules = d.ok ? d.value.messages.map((m) => parseRuleMessage(m)).map((r) => (r.ok ? r.value : r.reason)) : [];
  const byPrio = (p: number) => rules.find((r) => typeof r !== "string" && r.priority === p);
  test("complete and all entries parse", () => {
    expect(d.ok && d.value.done).toBe(true);
    expect(rules.every((r) => typeof r !== "string")).toBe(true);
  });
  test("the kernel's default local table rule (priority 0 is sent as no FRA_PRIORITY)", () => {
    expect(rules).toContainEqual(expect.objectContaining({ table: 255, action: FR_ACT.TO_TBL, protocol: RTPROT.KERNEL }));
    expect(rules).toContainEqual(expect.objectContaining({ table: 254, priority: 32766 }));
  });
  test("our rules come back with every selector", () => {
    expect(byPrio(100)).toMatchObject({ family: AF_INET, src: "192.0.2.0", srcLen: 24, table: 100, action: FR_ACT.TO_TBL });
    expect(byPrio(101)).toMatchObject({ dst: "198.51.100.0", dstLen: 24, fwmark: 0x10, fwmask: 0xff, iifname: "veth0" });
    expect(byPrio(102)).toMatchObject({
      oifname: "veth0",
      uidRange: { start: 1000, end: 2000 },
      sportRange: { start: 1000, end: 2000 },
      dportRange: { start: 80, end: 80 },
      ipProto: 6,
    });
    expect(byPrio(103)).toMatchObject({ src: "192.0.2.5", srcLen: 32, action: FR_ACT.BLACKHOLE });
    expect(byPrio(104)).toMatchObject({ action: FR_ACT.GOTO, goto: 105 });
  });
});

describe("round trip and malformed input", () => {
  const parse = (b: Uint8Array) => {
    const m = splitMessages(b);
    return m.ok ? parseRuleMessage(m.value[0]!) : m;
  };
  test("every field parses back", () => {
    const r = parse(encodeRuleAdd({
      family: AF_INET6,
      dst: "2001:db8::",
      dstLen: 48,
      table: 1000,
      priority: 7,
      flags: FIB_RULE.INVERT,
      tos: 0,
      suppressPrefixLen: 0,
      suppressIfgroup: 3,
      realms: 0x10002,
      l3mdev: false,
      protocol: RTPROT.KEEPALIVED,
      fwmark: 1,
    }, 1));
    expect(r).toEqual({
      ok: true,
      value: {
        family: AF_INET6,
        dstLen: 48,
        srcLen: 0,
        tos: 0,
        table: 1000,
        action: FR_ACT.TO_TBL,
        flags: FIB_RULE.INVERT,
        dst: "2001:db8::",
        priority: 7,
        fwmark: 1,
        realms: 0x10002,
        suppressPrefixLen: 0,
        suppressIfgroup: 3,
        protocol: 18,
      },
    });
  });
  test("truncated fib_rule_hdr", () => {
    expect(parse(nlmsg(RTM.NEWRULE, 0, 1, new Uint8Array(11)))).toEqual({ ok: false, reason: "fib_rule_hdr truncated: 11 bytes, need 12" });
  });
  test("FRA_UID_RANGE of 4 bytes", () => {
    const r = parse(nlmsg(RTM.NEWRULE, 0, 1, concatBytes(new Uint8Array(12), nla(FRA.UID_RANGE, new Uint8Array(4)))));
    expect(r).toEqual({ ok: false, reason: "FRA: attribute 20 has 4 bytes, need 8" });
  });
  test("attribute running past the message", () => {
    const b = encodeRuleAdd({ priority: 1 }, 1);
    b[28] = 200;
    expect(parse(b).ok).toBe(false);
  });
});
