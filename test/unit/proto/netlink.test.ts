import { describe, expect, test } from "bun:test";
import {
  addrToBytes,
  align4,
  bytesToAddr,
  bytesToMac,
  collectDump,
  DumpCollector,
  encodeNlHeader,
  findAck,
  isPlainAck,
  macToBytes,
  NLA_F_NESTED,
  NLA_F_NET_BYTEORDER,
  NLM_F,
  nlmsg,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  parseAttrs,
  parseNlError,
  parseNlHeader,
  splitMessages,
} from "../../../src/proto/netlink.ts";
import {
  AttrReader,
  concatBytes,
  nla,
  nlaAddr,
  nlaBe16,
  nlaBe32,
  nlaMac,
  nlaNested,
  nlaS32,
  nlaString,
  nlaStringRaw,
  nlaU16,
  nlaU32,
  nlaU64,
  nlaU8,
} from "../../../src/proto/netlink-attr.ts";
import { fromHex, toHex } from "../../support/proto/netlink-fixture.ts";

describe("nlmsghdr", () => {
  test("encode: little-endian len, type, flags, seq, pid", () => {
    const h = encodeNlHeader({ len: 0x24, type: 0x14, flags: NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE, seq: 0x6b06bc1d, pid: 0x1234 });
    expect(toHex(h)).toBe("24000000140005061dbc066b34120000");
  });
  test("nlmsg computes the length and pads the body", () => {
    const m = nlmsg(0x10, NLM_F.REQUEST, 1, Uint8Array.of(1, 2, 3, 4, 5));
    expect(toHex(m)).toBe("15000000100001000100000000000000" + "0102030405000000");
  });
  test("decode", () => {
    expect(parseNlHeader(fromHex("140000000300020049be066b34750000"))).toEqual({
      ok: true,
      value: { len: 20, type: NLMSG_DONE, flags: NLM_F.MULTI, seq: 0x6b06be49, pid: 0x7534 },
    });
  });
  test("short header", () => {
    expect(parseNlHeader(new Uint8Array(15))).toEqual({ ok: false, reason: "short netlink header: 15 bytes at offset 0, need 16" });
  });
  test("flag values from linux/netlink.h", () => {
    expect(NLM_F.DUMP as number).toBe(NLM_F.ROOT | NLM_F.MATCH);
    expect([NLM_F.REPLACE, NLM_F.EXCL, NLM_F.CREATE, NLM_F.APPEND]).toEqual([0x100, 0x200, 0x400, 0x800]);
    expect([NLM_F.CAPPED, NLM_F.ACK_TLVS]).toEqual([0x100, 0x200]);
  });
});

describe("splitting datagrams", () => {
  const two = concatBytes(nlmsg(0x10, NLM_F.MULTI, 5, Uint8Array.of(9)), nlmsg(NLMSG_DONE, NLM_F.MULTI, 5, new Uint8Array(4)));
  test("a multi-part dump in one buffer", () => {
    const r = splitMessages(two);
    expect(r.ok && r.value.map((m) => [m.header.type, m.header.len, m.payload.length])).toEqual([[0x10, 17, 1], [NLMSG_DONE, 20, 4]]);
  });
  test("nlmsg_len past the buffer", () => {
    const b = two.slice();
    b[20] = 200;
    expect(splitMessages(b)).toEqual({ ok: false, reason: "nlmsg_len 200 at offset 20 runs past the 40-byte buffer" });
  });
  test("nlmsg_len below the header size", () => {
    expect(splitMessages(fromHex("08000000100000000000000000000000"))).toEqual({ ok: false, reason: "nlmsg_len 8 at offset 0 is below 16" });
  });
  test("trailing partial header", () => {
    const r = splitMessages(concatBytes(two, new Uint8Array(6)));
    expect(r).toEqual({ ok: false, reason: "short netlink header: 6 bytes at offset 40, need 16" });
  });
  test("collectDump over several datagrams, skipping NOOP, flagging DUMP_INTR", () => {
    const a = concatBytes(nlmsg(0x10, NLM_F.MULTI, 1, new Uint8Array(4)), nlmsg(NLMSG_NOOP, 0, 1, new Uint8Array(0)));
    const b = concatBytes(nlmsg(0x10, NLM_F.MULTI | NLM_F.DUMP_INTR, 1, new Uint8Array(4)), nlmsg(NLMSG_DONE, NLM_F.MULTI, 1, new Uint8Array(4)));
    const r = collectDump([a, b]);
    expect(r.ok && [r.value.messages.length, r.value.done, r.value.interrupted, r.value.error]).toEqual([2, true, true, undefined]);
  });
  test("a dump that fails reports the errno from NLMSG_DONE", () => {
    const done = new Uint8Array(4);
    new DataView(done.buffer).setInt32(0, -16, true);
    const r = collectDump(nlmsg(NLMSG_DONE, NLM_F.MULTI, 1, done));
    expect(r.ok && r.value.error).toEqual({ errno: 16 });
  });
  test("messages after NLMSG_DONE are an error", () => {
    const r = collectDump(concatBytes(nlmsg(NLMSG_DONE, 0, 1, new Uint8Array(4)), nlmsg(0x10, 0, 1, new Uint8Array(0))));
    expect(r).toEqual({ ok: false, reason: "message type 16 after the end of the dump" });
  });
});

describe("streaming helpers", () => {
  test("DumpCollector gathers datagrams until NLMSG_DONE, then refuses more", () => {
    const c = new DumpCollector();
    expect(c.push(nlmsg(0x10, NLM_F.MULTI, 1, new Uint8Array(4)))).toEqual({ ok: true, value: false });
    expect(c.push(nlmsg(NLMSG_DONE, NLM_F.MULTI, 1, new Uint8Array(4)))).toEqual({ ok: true, value: true });
    expect(c.result().messages.length).toBe(1);
    expect(c.push(nlmsg(0x10, 0, 1, new Uint8Array(0))).ok).toBe(false);
    expect(new DumpCollector().push(new Uint8Array(3)).ok).toBe(false);
  });
  test("findAck matches the request's seq", () => {
    const ack = nlmsg(NLMSG_ERROR, NLM_F.CAPPED, 9, concatBytes(new Uint8Array(4), nlmsg(0x14, 5, 9, new Uint8Array(0))));
    expect(findAck(ack, 9)).toMatchObject({ ok: true, value: { errno: 0, request: { seq: 9 } } });
    expect(findAck(ack, 8)).toEqual({ ok: true, value: undefined });
    expect(findAck(new Uint8Array(5), 9).ok).toBe(false);
  });
});

describe("isPlainAck", () => {
  const req = nlmsg(0x14, NLM_F.REQUEST | NLM_F.ACK, 9, new Uint8Array(8));
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const withErr = (errno: number, seq: number) => {
    const e = new Uint8Array(4);
    new DataView(e.buffer).setInt32(0, -errno, true);
    return nlmsg(NLMSG_ERROR, 0, seq, concatBytes(e, req));
  };
  test("one ACK for this seq, and nothing else, is a plain ACK", () => {
    const ack = withErr(0, 9);
    expect(isPlainAck(dv(ack), ack.length, 9)).toBe(true);
    // In a larger receive buffer, only the first n bytes count.
    const big = new Uint8Array(256);
    big.set(ack);
    expect(isPlainAck(dv(big), ack.length, 9)).toBe(true);
  });
  test("an error, another seq, another type, a second message or a short datagram is not", () => {
    const ack = withErr(0, 9);
    expect(isPlainAck(dv(withErr(17, 9)), ack.length, 9)).toBe(false);
    expect(isPlainAck(dv(ack), ack.length, 8)).toBe(false);
    const done = nlmsg(NLMSG_DONE, 0, 9, new Uint8Array(20));
    expect(isPlainAck(dv(done), done.length, 9)).toBe(false);
    const two = concatBytes(nlmsg(0x14, NLM_F.MULTI, 9, new Uint8Array(4)), ack);
    expect(isPlainAck(dv(two), two.length, 9)).toBe(false);
    const both = concatBytes(ack, done);
    expect(isPlainAck(dv(both), both.length, 9)).toBe(false);
    expect(isPlainAck(dv(ack), 20, 9)).toBe(false);
  });
  test("sequence numbers above 2^31 compare unsigned", () => {
    const e = new Uint8Array(4);
    const ack = nlmsg(NLMSG_ERROR, 0, 0xfffffff0, concatBytes(e, req));
    expect(isPlainAck(dv(ack), ack.length, 0xfffffff0)).toBe(true);
  });
});

describe("NLMSG_ERROR", () => {
  const req = nlmsg(0x14, NLM_F.REQUEST | NLM_F.ACK, 3, new Uint8Array(8));
  const errMsg = (errno: number, flags: number, tail: Uint8Array) => {
    const e = new Uint8Array(4);
    new DataView(e.buffer).setInt32(0, -errno, true);
    const m = splitMessages(nlmsg(NLMSG_ERROR, flags, 3, concatBytes(e, tail)));
    if (!m.ok) throw new Error(m.reason);
    return m.value[0]!;
  };
  test("ACK with capped echo", () => {
    expect(parseNlError(errMsg(0, NLM_F.CAPPED, req.subarray(0, 16)))).toMatchObject({
      ok: true,
      value: { errno: 0, request: { len: 24, type: 0x14, seq: 3 } },
    });
  });
  test("EEXIST with full echo and extended ACK message and offset", () => {
    const tlv = concatBytes(nlaString(1, "Address already assigned"), nlaU32(2, 20));
    const r = parseNlError(errMsg(17, NLM_F.ACK_TLVS, concatBytes(req, tlv)));
    expect(r.ok && r.value).toMatchObject({ errno: 17, message: "Address already assigned", offset: 20 });
    expect(r.ok && r.value.requestPayload.length).toBe(8);
  });
  test("echo longer than the message", () => {
    const r = parseNlError(errMsg(22, 0, req.subarray(0, 16)));
    expect(r).toEqual({ ok: false, reason: "NLMSG_ERROR echoes 24 request bytes but only 16 are present" });
  });
  test("payload too short", () => {
    const m = splitMessages(nlmsg(NLMSG_ERROR, 0, 1, new Uint8Array(8)));
    expect(m.ok && parseNlError(m.value[0]!)).toEqual({ ok: false, reason: "NLMSG_ERROR payload 8 bytes, need 20" });
  });
  test("a dump answered by an error ends it with that errno", () => {
    const r = collectDump(nlmsg(NLMSG_ERROR, NLM_F.CAPPED, 3, concatBytes(Uint8Array.of(0xfe, 0xff, 0xff, 0xff), req.subarray(0, 16))));
    expect(r.ok && [r.value.done, r.value.error?.errno]).toEqual([true, 2]);
  });
});

describe("attributes", () => {
  test("builders: header, host/network order, padding", () => {
    expect(toHex(nlaU8(1, 6))).toBe("0500010006000000");
    expect(toHex(nlaU16(2, 0x1234))).toBe("0600020034120000");
    expect(toHex(nlaU32(3, 0x01020304))).toBe("0800030004030201");
    expect(toHex(nlaS32(3, -1))).toBe("08000300ffffffff");
    expect(toHex(nlaU64(4, 0x0102030405060708n))).toBe("0c0004000807060504030201");
    expect(toHex(nlaBe16(5, 80))).toBe("0600050000500000");
    expect(toHex(nlaBe32(6, 0xffffff00))).toBe("08000600ffffff00");
    expect(toHex(nlaString(7, "rr"))).toBe("0700070072720000");
    expect(toHex(nlaStringRaw(7, "rr"))).toBe("0600070072720000");
    expect(toHex(nlaAddr(8, "192.0.2.1"))).toBe("08000800c0000201");
    expect(toHex(nlaAddr(8, "2001:db8::1"))).toBe("1400080020010db8000000000000000000000001");
    expect(toHex(nlaMac(9, "00:00:5e:00:01:33"))).toBe("0a00090000005e0001330000");
    expect(toHex(nla(10, new Uint8Array(0)))).toBe("04000a00");
  });
  test("nested: flag optional, length covers the children", () => {
    expect(toHex(nlaNested(1, [nlaU32(2, 1)]))).toBe("0c000100" + "0800020001000000");
    expect(toHex(nlaNested(1, [nlaU32(2, 1)], true))).toBe("0c000180" + "0800020001000000");
  });
  test("encoders reject bad address text", () => {
    expect(() => nlaAddr(1, "192.0.2")).toThrow(RangeError);
    expect(() => nlaMac(1, "zz:00")).toThrow(RangeError);
  });
  test("parse: flags split off the type, unpadded last attribute accepted", () => {
    const b = concatBytes(nlaU32(1 | NLA_F_NESTED, 7), fromHex("05000240" + "09"));
    expect(parseAttrs(b)).toEqual({
      ok: true,
      value: [
        { type: 1, nested: true, netByteOrder: false, value: Uint8Array.of(7, 0, 0, 0) },
        { type: 2, nested: false, netByteOrder: true, value: Uint8Array.of(9) },
      ],
    });
    expect(NLA_F_NET_BYTEORDER).toBe(0x4000);
  });
  test("nla_len past the end", () => {
    expect(parseAttrs(fromHex("0c000100010000000000"))).toEqual({
      ok: false,
      reason: "nla_len 12 (type 1) at offset 0 runs past the 10-byte buffer",
    });
  });
  test("nla_len below 4", () => {
    expect(parseAttrs(fromHex("02000100"))).toEqual({ ok: false, reason: "nla_len 2 at offset 0 is below 4" });
  });
  test("bad alignment: stray bytes after the last attribute", () => {
    expect(parseAttrs(fromHex("080001000100000000ff"))).toEqual({
      ok: false,
      reason: "2 trailing bytes at offset 8 are not an attribute (bad alignment)",
    });
  });
  test("nested overflow is reported with its context", () => {
    const outer = nla(5, fromHex("10000100aabbccdd"));
    const r = AttrReader.parse(outer, "TOP");
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.nested(5, "INNER")).toBeUndefined();
    expect(r.value.error).toBe("TOP/INNER: nla_len 16 (type 1) at offset 0 runs past the 8-byte buffer");
    expect(r.value.result(1)).toEqual({ ok: false, reason: "TOP/INNER: nla_len 16 (type 1) at offset 0 runs past the 8-byte buffer" });
  });
  test("reader: typed getters, last duplicate wins, short values recorded once", () => {
    const b = concatBytes(nlaU32(1, 1), nlaU32(1, 2), nlaBe16(2, 443), nlaString(3, "veth0"), nlaU64(4, 5n), nla(5, Uint8Array.of(1)));
    const r = AttrReader.parse(b, "T");
    if (!r.ok) throw new Error(r.reason);
    const a = r.value;
    expect([a.u32(1), a.be16(2), a.str(3), a.u64(4), a.u8(5), a.u32(9), a.has(9)]).toEqual([2, 443, "veth0", 5n, 1, undefined, false]);
    expect(a.error).toBeUndefined();
    expect(a.u32(5)).toBeUndefined();
    expect(a.u16(5)).toBeUndefined();
    expect(a.error).toBe("T: attribute 5 has 1 bytes, need 4");
  });
  test("align4", () => {
    expect([0, 1, 4, 5, 7, 8].map(align4)).toEqual([0, 4, 4, 8, 8, 8]);
  });
});

describe("address helpers", () => {
  test("IPv4 / IPv6 / MAC text", () => {
    expect(bytesToAddr(addrToBytes("2001:db8:0:0:1::1")!)).toBe("2001:db8::1:0:0:1");
    expect(bytesToAddr(addrToBytes("198.51.100.7")!)).toBe("198.51.100.7");
    expect(bytesToAddr(new Uint8Array(5))).toBeUndefined();
    expect(addrToBytes("1.2.3.256")).toBeUndefined();
    expect(bytesToMac(macToBytes("00:00:5E:00:01:FF")!)).toBe("00:00:5e:00:01:ff");
    expect(macToBytes("00:00:5e:00:01:fff")).toBeUndefined();
  });
});
