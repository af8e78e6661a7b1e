/**
 * nf_tables codec: messages held byte for byte against what nft 1.0.6 sends for the same objects
 * (captured with strace -xx; nft's SET_ID references, which we do not use, taken out), batch framing,
 * and the decoders on replies of the shape the kernel returns.
 */
import { describe, expect, test } from "bun:test";
import { nla, nlaNested, nlaString } from "../../../src/proto/netlink-attr.ts";
import { nlmsg, splitMessages } from "../../../src/proto/netlink.ts";
import {
  batchBegin,
  batchEnd,
  decodeSetDump,
  encodeExpr,
  newChain,
  newRule,
  newSet,
  newSetElems,
  NF_INET,
  NFPROTO,
  NFT_MSG,
  NFT_REG,
  parseSetElems,
  parseTable,
  PAYLOAD_BASE,
  VERDICT,
} from "../../../src/proto/nftables.ts";

const bytes = (s: string) => Uint8Array.from(s.split("\\x").filter(Boolean).map((h) => parseInt(h, 16)));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** The attributes after nlmsghdr and nfgenmsg. */
const attrsOf = (m: Uint8Array) => m.subarray(20);
const str = (type: number, s: string) => nlaString(type, s);

describe("nf_tables messages against nft's", () => {
  test("NEWCHAIN base chain: table, name, type, policy, hook (input, priority filter - 1)", () => {
    const m = newChain(1, NFPROTO.IPV4, "kt", "in", { hook: NF_INET.LOCAL_IN, priority: -1, type: "filter", policy: VERDICT.ACCEPT });
    const nft = Buffer.concat([
      str(1, "kt"),
      str(3, "in"),
      str(7, "filter"),
      nla(5, bytes("\\x00\\x00\\x00\\x01")),
      nla(0x8004, bytes("\\x08\\x00\\x01\\x00\\x00\\x00\\x00\\x01\\x08\\x00\\x02\\x00\\xff\\xff\\xff\\xff")),
    ]);
    expect(hex(attrsOf(m))).toBe(hex(nft));
    const v = new DataView(m.buffer);
    expect(v.getUint16(4, true)).toBe((10 << 8) | NFT_MSG.NEWCHAIN);
    expect(m[16]).toBe(NFPROTO.IPV4);
  });

  test("rule expressions: payload, counter and immediate drop equal nft's; lookup equal but for nft's SET_ID", () => {
    const payload = encodeExpr({ kind: "payload", base: PAYLOAD_BASE.NETWORK, offset: 16, len: 4, dreg: NFT_REG.R1 });
    expect(hex(payload)).toBe(hex(bytes(
      "\\x34\\x00\\x01\\x80\\x0c\\x00\\x01\\x00\\x70\\x61\\x79\\x6c\\x6f\\x61\\x64\\x00\\x24\\x00\\x02\\x80\\x08\\x00\\x01\\x00\\x00\\x00\\x00\\x01\\x08\\x00\\x02\\x00\\x00\\x00\\x00\\x01\\x08\\x00\\x03\\x00\\x00\\x00\\x00\\x10\\x08\\x00\\x04\\x00\\x00\\x00\\x00\\x04",
    )));
    const counter = encodeExpr({ kind: "counter" });
    expect(hex(counter)).toBe(hex(bytes("\\x14\\x00\\x01\\x80\\x0c\\x00\\x01\\x00\\x63\\x6f\\x75\\x6e\\x74\\x65\\x72\\x00\\x04\\x00\\x02\\x80")));
    const drop = encodeExpr({ kind: "verdict", code: VERDICT.DROP });
    expect(hex(drop)).toBe(hex(bytes(
      "\\x30\\x00\\x01\\x80\\x0e\\x00\\x01\\x00\\x69\\x6d\\x6d\\x65\\x64\\x69\\x61\\x74\\x65\\x00\\x00\\x00\\x1c\\x00\\x02\\x80\\x08\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x10\\x00\\x02\\x80\\x0c\\x00\\x02\\x80\\x08\\x00\\x01\\x00\\x00\\x00\\x00\\x00",
    )));
    // nft: 30 00 01 80 | name "lookup" | 20 00 02 80 | sreg 1 | set "vips" | set_id 5 (8 bytes we leave out)
    const lookup = encodeExpr({ kind: "lookup", sreg: NFT_REG.R1, set: "vips" });
    expect(hex(lookup)).toBe(hex(bytes(
      "\\x28\\x00\\x01\\x80\\x0b\\x00\\x01\\x00\\x6c\\x6f\\x6f\\x6b\\x75\\x70\\x00\\x00\\x18\\x00\\x02\\x80\\x08\\x00\\x02\\x00\\x00\\x00\\x00\\x01\\x09\\x00\\x01\\x00\\x76\\x69\\x70\\x73\\x00\\x00\\x00\\x00",
    )));
  });

  test("NEWRULE carries table, chain and the expression list; goto names its chain", () => {
    const m = newRule(7, NFPROTO.IPV6, "keepalived", "out", [{ kind: "verdict", code: VERDICT.GOTO, chain: "out_link_local" }]);
    const split = splitMessages(m);
    expect(split.ok).toBe(true);
    const flags = new DataView(m.buffer).getUint16(6, true);
    expect(flags & 0x800).toBe(0x800); // NLM_F_APPEND
    expect(Buffer.from(m).includes(Buffer.from("out_link_local\0"))).toBe(true);
    expect(new DataView(m.buffer).getUint32(8, true)).toBe(7);
  });

  test("NEWSETELEM element list equals nft's for 192.0.2.106", () => {
    const m = newSetElems(1, NFPROTO.IPV4, "keepalived", "vips", [Uint8Array.of(192, 0, 2, 106)]);
    const nftElems = nla(0x8003, bytes("\\x10\\x00\\x01\\x80\\x0c\\x00\\x01\\x80\\x08\\x00\\x01\\x00\\xc0\\x00\\x02\\x6a"));
    expect(hex(attrsOf(m))).toBe(hex(Buffer.concat([str(1, "keepalived"), str(2, "vips"), nftElems])));
  });

  test("set userdata carries the key and data byte order as keepalived's sets do (read back from the kernel)", () => {
    const map = newSet(1, NFPROTO.IPV6, "keepalived", {
      name: "vmac_map",
      id: 5,
      keyType: 20,
      keyLen: 4,
      flags: 8,
      data: { type: 20, len: 4 },
      byteorder: { key: "host", data: "host" },
    });
    expect(hex(map)).toContain("10000d00" + "000401000000010401000000");
    const vips = newSet(2, NFPROTO.IPV4, "keepalived", { name: "vips", id: 1, keyType: 7, keyLen: 4, flags: 0, byteorder: { key: "big" } });
    expect(hex(vips)).toContain("0a000d00" + "000402000000");
  });

  test("batch delimiters: nfgenmsg res_id is the nf_tables subsystem (10) in network order", () => {
    expect(hex(batchBegin(5))).toBe("14000000" + "1000" + "0100" + "05000000" + "00000000" + "0000000a");
    expect(new DataView(batchEnd(6).buffer).getUint16(4, true)).toBe(0x11);
  });
});

describe("nf_tables replies", () => {
  test("a GETSETELEM reply gives its keys; a truncated one is a reason, not a throw", () => {
    const elems = nlaNested(3, [nlaNested(1, [nlaNested(1, [nla(1, Uint8Array.of(192, 0, 2, 100))], true)], true)], true);
    const body = Buffer.concat([Uint8Array.of(2, 0, 0, 0), str(1, "keepalived"), str(2, "vips"), elems]);
    const msg = splitMessages(nlmsg((10 << 8) | NFT_MSG.NEWSETELEM, 2, 9, body));
    if (!msg.ok) throw new Error(msg.reason);
    const r = parseSetElems(msg.value[0]!);
    const key = Uint8Array.of(192, 0, 2, 100);
    expect(r.ok && r.value).toEqual({ table: "keepalived", set: "vips", keys: [key], elems: [{ key }] });
    const bad = { ...msg.value[0]!, payload: msg.value[0]!.payload.subarray(0, 2) };
    expect(parseSetElems(bad).ok).toBe(false);
    const cut = { ...msg.value[0]!, payload: Buffer.concat([Uint8Array.of(2, 0, 0, 0), Uint8Array.of(40, 0, 3, 0x80, 1)]) };
    expect(parseSetElems(cut).ok).toBe(false);
  });

  test("a whole GETSETELEM dump decodes through one function; undecodable messages and refused elements are skipped", () => {
    const elem = (k: number[], v?: number[]) =>
      nlaNested(1, [nlaNested(1, [nla(1, Uint8Array.from(k))], true), ...(v ? [nlaNested(2, [nla(1, Uint8Array.from(v))], true)] : [])], true);
    const reply = (set: string, els: Uint8Array[]) => {
      const body = Buffer.concat([Uint8Array.of(2, 0, 0, 0), str(1, "t"), str(2, set), nlaNested(3, els, true)]);
      const m = splitMessages(nlmsg((10 << 8) | NFT_MSG.NEWSETELEM, 2, 9, body));
      if (!m.ok) throw new Error(m.reason);
      return m.value[0]!;
    };
    const a = reply("tcp_map", [elem([192, 0, 2, 1, 0, 80], [0, 0, 3, 232]), elem([192, 0, 2, 2, 0, 80])]);
    const b = reply("tcp_map", [elem([192, 0, 2, 3, 0, 81], [0, 0, 3, 233])]);
    const broken = { ...a, payload: a.payload.subarray(0, 2) };
    const got = decodeSetDump([a, broken, b], (e) => (e.value ? `${hex(e.key)}=${hex(e.value)}` : undefined));
    expect(got).toEqual(["c00002010050=000003e8", "c00002030051=000003e9"]);
    expect(decodeSetDump([], () => 1)).toEqual([]);
  });

  test("a NEWTABLE reply gives family, name and use count", () => {
    const body = Buffer.concat([Uint8Array.of(10, 0, 0, 0), str(1, "keepalived"), nla(3, Uint8Array.of(0, 0, 0, 4))]);
    const msg = splitMessages(nlmsg((10 << 8) | NFT_MSG.NEWTABLE, 0, 1, body));
    if (!msg.ok) throw new Error(msg.reason);
    expect(parseTable(msg.value[0]!)).toEqual({ ok: true, value: { family: 10, name: "keepalived", use: 4 } });
  });
});
