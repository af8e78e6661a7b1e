import { describe, expect, test } from "bun:test";
import { collectDump, NLM_F, nlmsg, NLMSG_ERROR, parseNlError, splitMessages } from "../../../src/proto/netlink.ts";
import { concatBytes, nla } from "../../../src/proto/netlink-attr.ts";
import {
  AF_INET,
  AF_INET6,
  encodeAddrAdd,
  encodeAddrDel,
  encodeAddrDump,
  IFA_F,
  INFINITY_LIFE_TIME,
  parseAddrMessage,
  RT_SCOPE,
  RTM,
} from "../../../src/proto/rtnetlink.ts";
import { findDatagram, findMessages, loadFixture, normalise, replyTo, toHex } from "../../support/proto/netlink-fixture.ts";

const VETH0 = 3; // ifindex of veth0 in the capture namespace (lo=1, veth1=2)
const SEQ = 7;

function expectSame(name: string, type: number, ours: Uint8Array): void {
  const f = loadFixture(name);
  expect(toHex(ours)).toBe(toHex(normalise(findDatagram(f, "send", type), SEQ)));
}

describe("address encoders match iproute2 captures", () => {
  test("ip addr add 192.0.2.10/24 dev veth0 label veth0:1", () => {
    expectSame("addr-add-v4-label", RTM.NEWADDR, encodeAddrAdd({ index: VETH0, address: "192.0.2.10", prefixLen: 24, label: "veth0:1" }, SEQ));
  });
  test("ip addr add 203.0.113.20/24 brd 203.0.113.255 dev veth0 scope link", () => {
    expectSame(
      "addr-add-v4-brd-scope",
      RTM.NEWADDR,
      encodeAddrAdd({
        index: VETH0,
        address: "203.0.113.20",
        prefixLen: 24,
        broadcast: "203.0.113.255",
        scope: RT_SCOPE.LINK,
      }, SEQ),
    );
  });
  test("ip addr add 192.0.2.11/24 dev veth0", () => {
    expectSame("addr-add-v4-secondary", RTM.NEWADDR, encodeAddrAdd({ index: VETH0, address: "192.0.2.11", prefixLen: 24 }, SEQ));
  });
  test("ip addr add 192.0.2.30 peer 192.0.2.31/32 dev veth0", () => {
    expectSame("addr-add-v4-peer", RTM.NEWADDR, encodeAddrAdd({ index: VETH0, address: "192.0.2.30", peer: "192.0.2.31", prefixLen: 32 }, SEQ));
  });
  test("ip addr add 2001:db8::10/64 dev veth0 nodad noprefixroute (flags > 0xff go in IFA_FLAGS)", () => {
    expectSame(
      "addr-add-v6-nodad",
      RTM.NEWADDR,
      encodeAddrAdd({
        index: VETH0,
        address: "2001:db8::10",
        prefixLen: 64,
        flags: IFA_F.NODAD | IFA_F.NOPREFIXROUTE,
      }, SEQ),
    );
  });
  test("ip addr add 2001:db8::11/64 valid_lft 300 preferred_lft 100 (IFA_CACHEINFO)", () => {
    expectSame(
      "addr-add-v6-lifetime",
      RTM.NEWADDR,
      encodeAddrAdd({ index: VETH0, address: "2001:db8::11", prefixLen: 64, validLft: 300, preferredLft: 100 }, SEQ),
    );
  });
  test("ip addr add 2001:db8::12/64 dev veth0 home (flag fits in ifa_flags)", () => {
    expectSame("addr-add-v6-home", RTM.NEWADDR, encodeAddrAdd({ index: VETH0, address: "2001:db8::12", prefixLen: 64, flags: IFA_F.HOMEADDRESS }, SEQ));
  });
  test("ip addr del 192.0.2.11/24 dev veth0", () => {
    expectSame("addr-del-v4", RTM.DELADDR, encodeAddrDel({ index: VETH0, address: "192.0.2.11", prefixLen: 24 }, SEQ));
  });
  test("ip -4 addr show dev veth0 sends a filtered GETADDR dump", () => {
    expectSame("addr-dump-v4", RTM.GETADDR, encodeAddrDump(SEQ, AF_INET, VETH0));
  });
  test("ip -6 addr show dev veth0", () => {
    expectSame("addr-dump-v6", RTM.GETADDR, encodeAddrDump(SEQ, AF_INET6, VETH0));
  });
  test("ip addr add 239.1.2.3/32 dev veth0 autojoin: IFA_F_MCAUTOJOIN (0x400) only in IFA_FLAGS, ifa_flags 0", () => {
    const b = encodeAddrAdd({ index: VETH0, address: "239.1.2.3", prefixLen: 32, flags: IFA_F.MCAUTOJOIN }, SEQ);
    expect(b[16 + 2]).toBe(0); // ifaddrmsg.ifa_flags
    const attrs = toHex(b.subarray(16 + 8));
    expect(attrs).toContain("08000800" + "00040000"); // nla_len 8, IFA_FLAGS, u32 0x400 little-endian
  });
  test("replace uses NLM_F_REPLACE|NLM_F_CREATE instead of EXCL", () => {
    const b = encodeAddrAdd({ index: 1, address: "192.0.2.1", prefixLen: 32 }, 1, { replace: true });
    expect(b[6]! | (b[7]! << 8)).toBe(0x1 | 0x4 | 0x100 | 0x400);
  });
});

describe("kernel replies", () => {
  test("ACK for RTM_NEWADDR is NLMSG_ERROR with errno 0 and the capped request header", () => {
    const msgs = findMessages(loadFixture("addr-add-v4-label"), "recv", NLMSG_ERROR);
    const e = parseNlError(msgs[0]!);
    expect(e.ok && e.value.errno).toBe(0);
    expect(e.ok && e.value.request.type).toBe(RTM.NEWADDR);
    expect(e.ok && e.value.request.len).toBe(52);
  });
  test("adding an existing address answers EEXIST (17)", () => {
    const msgs = findMessages(loadFixture("addr-add-exists"), "recv", NLMSG_ERROR);
    const e = parseNlError(msgs[0]!);
    expect(e.ok && e.value.errno).toBe(17);
    expect(e.ok && e.value.request.type).toBe(RTM.NEWADDR);
    expect(e.ok && e.value.requestPayload.length).toBe(52 - 16); // not capped: the whole request is echoed
  });
  test("IPv4 address dump decodes into typed addresses", () => {
    const d = collectDump(replyTo(loadFixture("addr-dump-v4"), RTM.GETADDR));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.done).toBe(true);
    const addrs = d.value.messages.map((m) => parseAddrMessage(m));
    const values = addrs.map((a) => (a.ok ? a.value : a.reason));
    expect(values).toContainEqual(expect.objectContaining({
      family: AF_INET,
      prefixLen: 24,
      index: VETH0,
      address: "192.0.2.10",
      local: "192.0.2.10",
      label: "veth0:1",
      flags: IFA_F.PERMANENT,
      scope: RT_SCOPE.UNIVERSE,
    }));
    expect(values).toContainEqual(expect.objectContaining({ local: "192.0.2.11", flags: IFA_F.PERMANENT | IFA_F.SECONDARY }));
    expect(values).toContainEqual(expect.objectContaining({ local: "203.0.113.20", broadcast: "203.0.113.255", scope: RT_SCOPE.LINK }));
    expect(values).toContainEqual(expect.objectContaining({ local: "192.0.2.30", address: "192.0.2.31", prefixLen: 32 }));
    for (const v of values) expect(typeof v !== "string" && v.cacheInfo?.validLft).toBe(INFINITY_LIFE_TIME);
  });
  test("IPv6 address dump: IFA_FLAGS and lifetimes", () => {
    const d = collectDump(replyTo(loadFixture("addr-dump-v6"), RTM.GETADDR));
    if (!d.ok) throw new Error(d.reason);
    const values = d.value.messages.map((m) => parseAddrMessage(m)).map((a) => (a.ok ? a.value : a.reason));
    const nodad = values.find((a) => typeof a !== "string" && a.address === "2001:db8::10");
    expect(nodad).toMatchObject({ family: AF_INET6, prefixLen: 64 });
    expect(typeof nodad !== "string" && nodad!.flags & (IFA_F.NODAD | IFA_F.NOPREFIXROUTE)).toBe(IFA_F.NODAD | IFA_F.NOPREFIXROUTE);
    const life = values.find((a) => typeof a !== "string" && a.address === "2001:db8::11");
    expect(typeof life !== "string" && life?.cacheInfo?.validLft).toBeLessThanOrEqual(300);
    expect(typeof life !== "string" && life?.cacheInfo?.preferredLft).toBeLessThanOrEqual(100);
    const home = values.find((a) => typeof a !== "string" && a.address === "2001:db8::12");
    expect(typeof home !== "string" && home!.flags & IFA_F.HOMEADDRESS).toBe(IFA_F.HOMEADDRESS);
  });
});

describe("round trip and malformed input", () => {
  test("encode then parse gives back the request", () => {
    const b = encodeAddrAdd({
      index: 9,
      address: "2001:db8::5",
      prefixLen: 128,
      flags: IFA_F.NODAD | IFA_F.NOPREFIXROUTE,
      preferredLft: 0,
      validLft: 60,
    }, 1);
    const m = splitMessages(b);
    if (!m.ok) throw new Error(m.reason);
    const a = parseAddrMessage(m.value[0]!);
    expect(a).toEqual({
      ok: true,
      value: {
        family: AF_INET6,
        prefixLen: 128,
        flags: IFA_F.NODAD | IFA_F.NOPREFIXROUTE,
        scope: 0,
        index: 9,
        local: "2001:db8::5",
        address: "2001:db8::5",
        cacheInfo: { preferredLft: 0, validLft: 60, createdCs: 0, updatedCs: 0 },
      },
    });
  });
  test("routePriority travels as IFA_RT_PRIORITY (zebra's connected-route metric); a delete leaves it out", () => {
    const b = encodeAddrAdd({ index: 7, address: "192.0.2.10", prefixLen: 32, routePriority: 2147483647 }, 1, { replace: true });
    const m = splitMessages(b);
    if (!m.ok) throw new Error(m.reason);
    expect(m.value[0]!.header.flags & NLM_F.REPLACE).toBe(NLM_F.REPLACE);
    expect(parseAddrMessage(m.value[0]!)).toMatchObject({ ok: true, value: { routePriority: 2147483647, index: 7 } });
    const d = splitMessages(encodeAddrDel({ index: 7, address: "192.0.2.10", prefixLen: 32, routePriority: 5 }, 2));
    if (!d.ok) throw new Error(d.reason);
    const parsed = parseAddrMessage(d.value[0]!);
    expect(parsed.ok && parsed.value.routePriority).toBeFalsy();
  });
  const good = (): Uint8Array => encodeAddrAdd({ index: 2, address: "192.0.2.1", prefixLen: 24, label: "eth0:1" }, 1);
  const parse = (b: Uint8Array) => {
    const m = splitMessages(b);
    return m.ok ? parseAddrMessage(m.value[0]!) : m;
  };
  test("truncated ifaddrmsg", () => {
    const r = parseAddrMessage({ header: { len: 20, type: RTM.NEWADDR, flags: 0, seq: 0, pid: 0 }, payload: new Uint8Array(4) });
    expect(r).toEqual({ ok: false, reason: "ifaddrmsg truncated: 4 bytes, need 8" });
  });
  test("unsupported family", () => {
    const b = good();
    b[16] = 7;
    expect(parse(b)).toEqual({ ok: false, reason: "ifaddrmsg: unsupported family 7" });
  });
  test("address attribute with 5 bytes", () => {
    const b = encodeAddrAdd({ index: 2, address: "192.0.2.1", prefixLen: 24 }, 1);
    b[24] = 9; // IFA_LOCAL nla_len 8 -> 9 runs into the next attribute's header: still inside the buffer
    const r = parse(b);
    expect(r.ok).toBe(false);
  });
  test("IFA_CACHEINFO shorter than 16 bytes", () => {
    const body = concatBytes(new Uint8Array([2, 24, 0, 0, 2, 0, 0, 0]), nla(6, new Uint8Array(8)));
    const r = parse(nlmsg(RTM.NEWADDR, 0, 1, body));
    expect(r).toEqual({ ok: false, reason: "IFA: attribute 6 has 8 bytes, need 16" });
  });
  test("wrong message type", () => {
    const r = parseAddrMessage({ header: { len: 16, type: RTM.NEWLINK, flags: 0, seq: 0, pid: 0 }, payload: new Uint8Array(0) });
    expect(r.ok).toBe(false);
  });
});
