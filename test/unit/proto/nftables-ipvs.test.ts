/**
 * The nftables_ipvs messages (src/check/nft-ipvs-rules.ts over src/proto/nftables.ts) held against what
 * nft 1.0.6 sends for the same objects (captured with `strace -e write=3` in a scratch namespace, from
 *   map tcp_map { type ipv4_addr . inet_service : mark; flags interval; counter; }
 *   meta mark set ip daddr . tcp dport map @tcp_map counter return
 *   add element ip t tcp_map { 192.0.2.20-192.0.2.22 . 80 : 1000 }
 * and the ip6 equivalents), which `nft --debug=netlink` shows to be the ruleset keepalived 2.2.7 writes.
 * Left out on purpose: nft's SET_ID references (we name the set), and nft's own set userdata (ours is
 * keepalived's: key and data in host byte order).
 */
import { describe, expect, test } from "bun:test";
import { AttrReader, nla, nlaString } from "../../../src/proto/netlink-attr.ts";
import { nlmsg, splitMessages } from "../../../src/proto/netlink.ts";
import { NFT_MSG, parseNfgen, parseSetElems } from "../../../src/proto/nftables.ts";
import { decodeElem, elemChanges, type FwmarkElem, mapPart, tablePart } from "../../../src/check/nft-ipvs-rules.ts";
import { SeqSource } from "../../../src/vrrp/firewall-rules.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** Top-level attributes of one message after nlmsghdr and nfgenmsg: type -> value hex. */
function attrMap(m: Uint8Array): Map<number, string> {
  const r = AttrReader.parse(m.subarray(20), "msg");
  if (!r.ok) throw new Error(r.reason);
  return new Map(r.value.attrs.map((a) => [a.type & 0x3fff, hex(a.value)]));
}
const listElem = (body: string) => `${((body.length / 2 + 4) & 0xff).toString(16).padStart(2, "0")}000180${body}`;

/** nft's expressions of the rule (each the body of one NFTA_LIST_ELEM). */
const NFT_EXPR = {
  l4proto: "090001006d657461000000001400028008000200000000100800010000000001",
  cmpTcp: "08000100636d700020000280080001000000000108000200000000000c0003800500010006000000",
  daddr4: "0c0001007061796c6f616400240002800800010000000001080002000000000108000300000000100800040000000004",
  daddr6: "0c0001007061796c6f616400240002800800010000000001080002000000000108000300000000180800040000000010",
  dport4: "0c0001007061796c6f616400240002800800010000000009080002000000000208000300000000020800040000000002",
  dport6: "0c0001007061796c6f616400240002800800010000000002080002000000000208000300000000020800040000000002",
  // nft's lookup less its trailing SET_ID (08 00 04 00 00 00 00 01), lengths adjusted.
  lookup: "0b0001006c6f6f6b75700000" + "20000280" + "0800020000000001" + "0800030000000001" + "0c0001007463705f6d617000",
  markSet: "090001006d657461000000001400028008000200000000030800030000000001",
  counter: "0c000100636f756e7465720004000280",
  ret: "0e000100696d6d6564696174650000001c0002800800010000000000100002800c00028008000100fffffffb",
};

const shape = (counters: boolean) => ({ table: "t", priority: -1, counters });

describe("nftables_ipvs messages against nft's", () => {
  test("the table and its input chain (priority filter - 1, policy accept)", () => {
    const [table, chain] = tablePart(shape(false), "ipv4", new SeqSource(0));
    expect(attrMap(table!)).toEqual(new Map([[1, "7400"], [2, "00000000"]]));
    expect(attrMap(chain!)).toEqual(
      new Map([[1, "7400"], [3, "696e00"], [7, "66696c74657200"], [5, "00000001"], [4, "080001000000000108000200ffffffff"]]),
    );
  });

  test("IPv4 tcp_map with counters: concatenated interval map to a mark, its fields, the counter expression", () => {
    const [set] = mapPart(shape(true), "ipv4", "TCP", new SeqSource(0));
    const a = attrMap(set!);
    expect(new DataView(set!.buffer).getUint16(4, true)).toBe((10 << 8) | NFT_MSG.NEWSET);
    const nft = new Map([
      [1, "7400"],
      [2, "7463705f6d617000"],
      [3, "0000008c"],
      [4, "000001cd"],
      [5, "00000008"],
      [6, "00000013"],
      [7, "00000004"],
      [10, "00000001"],
      [9, "1c0002800c00018008000100000000040c0001800800010000000002"],
      [17, "0c000100636f756e7465720004000280"],
    ]);
    // keepalived's userdata: key byte order host (1), data byte order host (1).
    expect(a.get(13)).toBe("000401000000" + "010401000000");
    a.delete(13);
    expect(a).toEqual(nft);
  });

  test("IPv6 tcp_map without counters: 20-byte key, fields of 16 and 2 bytes, no expression", () => {
    const [set] = mapPart(shape(false), "ipv6", "TCP", new SeqSource(0));
    const a = attrMap(set!);
    expect(set![16]).toBe(10);
    expect([a.get(4), a.get(5), a.get(9), a.has(17)]).toEqual(["0000020d", "00000014", "1c0002800c00018008000100000000100c0001800800010000000002", false]);
  });

  test("the mark rule (IPv4 with counter, IPv6 without) equals nft's expressions", () => {
    const [, rule4] = mapPart(shape(true), "ipv4", "TCP", new SeqSource(0));
    const e = NFT_EXPR;
    const exprs4 = [e.l4proto, e.cmpTcp, e.daddr4, e.dport4, e.lookup, e.markSet, e.counter, e.ret].map(listElem).join("");
    expect(attrMap(rule4!).get(4)).toBe(exprs4);
    expect(attrMap(rule4!).get(2)).toBe("696e00");
    const [, rule6] = mapPart(shape(false), "ipv6", "TCP", new SeqSource(0));
    const exprs6 = [e.l4proto, e.cmpTcp, e.daddr6, e.dport6, e.lookup, e.markSet, e.ret].map(listElem).join("");
    expect(attrMap(rule6!).get(4)).toBe(exprs6);
  });

  const v4: FwmarkElem = { family: "ipv4", protocol: "TCP", first: "192.0.2.20", last: "192.0.2.22", port: 80, fwmark: 1000 };
  const v6: FwmarkElem = { family: "ipv6", protocol: "TCP", first: "2001:db8::20", last: "2001:db8::21", port: 443, fwmark: 1002 };

  test("an interval element: key, key end (address . port padded to 4), mark in host order", () => {
    const [add4] = elemChanges(shape(false), "ipv4", "TCP", [v4], "add", new SeqSource(0));
    expect(attrMap(add4!).get(3)).toBe(
      "30000180" + "100001800c000100c000021400500000" + "10000a800c000100c000021600500000" + "0c00028008000100e8030000",
    );
    expect(attrMap(add4!).get(2)).toBe("7463705f6d617000");
    const [add6] = elemChanges(shape(false), "ipv6", "TCP", [v6], "add", new SeqSource(0));
    expect(attrMap(add6!).get(3)).toBe(
      "48000180" + "1c0001801800010020010db800000000000000000000002001bb0000" + "1c000a801800010020010db800000000000000000000002101bb0000" +
        "0c00028008000100ea030000",
    );
    const [del] = elemChanges(shape(false), "ipv4", "TCP", [v4], "del", new SeqSource(0));
    expect(new DataView(del!.buffer).getUint16(4, true) & 0xff).toBe(NFT_MSG.DELSETELEM);
  });

  test("many elements go in chunks, one message per chunk", () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ ...v4, first: `192.0.2.${i}`, last: `192.0.2.${i}` }));
    expect(elemChanges(shape(false), "ipv4", "TCP", many, "add", new SeqSource(0), 2)).toHaveLength(3);
  });

  test("a GETSETELEM reply of a map decodes back to the element; another set's or a short one does not", () => {
    const [add] = elemChanges(shape(false), "ipv6", "TCP", [v6], "add", new SeqSource(0));
    const body = Buffer.concat([
      Uint8Array.of(10, 0, 0, 0),
      nlaString(1, "t"),
      nlaString(2, "tcp_map"),
      nla(3 | 0x8000, Buffer.from(attrMap(add!).get(3)!, "hex")),
    ]);
    const msg = splitMessages(nlmsg((10 << 8) | NFT_MSG.NEWSETELEM, 2, 1, body));
    if (!msg.ok) throw new Error(msg.reason);
    expect(parseNfgen(msg.value[0]!.payload).ok).toBe(true);
    const r = parseSetElems(msg.value[0]!);
    if (!r.ok) throw new Error(r.reason);
    expect(decodeElem("ipv6", "tcp_map", r.value.elems[0]!)).toEqual(v6);
    expect(decodeElem("ipv6", "vips", r.value.elems[0]!)).toBeUndefined();
    expect(decodeElem("ipv6", "tcp_map", { key: Uint8Array.of(1, 2) })).toBeUndefined();
  });
});
