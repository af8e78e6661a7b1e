/**
 * nf_tables netlink codec (Linux UAPI linux/netfilter/nfnetlink.h and linux/netfilter/nf_tables.h):
 * batched transactions (NFNL_MSG_BATCH_BEGIN / _END around NFT_MSG_* messages), tables, base chains,
 * sets, maps and their elements (interval ones with a last key), rules with the expressions keepalived's
 * firewall and its IPVS fwmark maps use (payload, cmp, bitwise, lookup, meta load and set, counter,
 * immediate verdicts), and the decoders for what the kernel returns for them.
 *
 * Every message starts with struct nfgenmsg { u8 nfgen_family; u8 version; be16 res_id }. Attributes of
 * nf_tables are in network byte order (be32 numbers); set element keys and register data are raw bytes.
 * Pure: bytes in, typed value or `{ ok: false, reason }` out; decoders never throw on wire input.
 */
import { AttrReader, concatBytes, nla, nlaBe32, nlaNested, nlaString } from "./netlink-attr.ts";
import { NLM_F, type NlMessage, nlmsg } from "./netlink.ts";
import type { Result } from "./result.ts";

/** nfnetlink subsystem id of nf_tables. */
export const NFNL_SUBSYS_NFTABLES = 10;
/** Batch delimiters (nfnetlink.h). */
export const NFNL_MSG_BATCH_BEGIN = 0x10, NFNL_MSG_BATCH_END = 0x11;

/** nf_tables message commands (low byte of nlmsg_type). */
export const NFT_MSG = {
  NEWTABLE: 0,
  GETTABLE: 1,
  DELTABLE: 2,
  NEWCHAIN: 3,
  GETCHAIN: 4,
  DELCHAIN: 5,
  NEWRULE: 6,
  GETRULE: 7,
  DELRULE: 8,
  NEWSET: 9,
  GETSET: 10,
  DELSET: 11,
  NEWSETELEM: 12,
  GETSETELEM: 13,
  DELSETELEM: 14,
} as const;

/** Netfilter protocol families (nfgen_family). */
export const NFPROTO = { INET: 1, IPV4: 2, ARP: 3, NETDEV: 5, BRIDGE: 7, IPV6: 10 } as const;

/** Netfilter hooks of the inet families. */
export const NF_INET = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;

/** Verdict codes (netfilter.h NF_DROP/NF_ACCEPT, nf_tables.h NFT_JUMP …). */
export const VERDICT = { DROP: 0, ACCEPT: 1, CONTINUE: -1, BREAK: -2, JUMP: -3, GOTO: -4, RETURN: -5 } as const;

/** Set flags (enum nft_set_flags). */
export const NFT_SET = { ANONYMOUS: 0x1, CONSTANT: 0x2, INTERVAL: 0x4, MAP: 0x8, TIMEOUT: 0x10, EVAL: 0x20, CONCAT: 0x80 } as const;

/**
 * Registers: the verdict register and the 16-byte registers 1..4; R32_01 is the second 4-byte register
 * (NFT_REG32_00 is 8), the one right after the first 4 bytes of R1, where a concatenation's second
 * field goes after an IPv4 address.
 */
export const NFT_REG = { VERDICT: 0, R1: 1, R2: 2, R3: 3, R4: 4, R32_01: 9 } as const;

/** Payload bases (enum nft_payload_bases). */
export const PAYLOAD_BASE = { LL: 0, NETWORK: 1, TRANSPORT: 2 } as const;

/** Meta keys used here (enum nft_meta_keys). */
export const META = { LEN: 0, PROTOCOL: 1, MARK: 3, IIF: 4, OIF: 5, IIFNAME: 6, OIFNAME: 7, NFPROTO: 15, L4PROTO: 16, IIFKIND: 26, OIFKIND: 27 } as const;

/** nftables' own datatype numbers (nftables datatype.h), which the kernel stores as a set's key type. */
export const NFT_TYPE = {
  VERDICT: 1,
  INTEGER: 4,
  STRING: 5,
  IPADDR: 7,
  IP6ADDR: 8,
  INET_SERVICE: 13,
  MARK: 19,
  IFINDEX: 20,
  ICMP6_TYPE: 29,
  IFNAME: 41,
} as const;
/** Bits per datatype in a concatenated key type (nftables' TYPE_BITS). */
export const TYPE_BITS = 6;

const TABLE = { NAME: 1, FLAGS: 2, USE: 3, HANDLE: 4 } as const;
const CHAIN = { TABLE: 1, HANDLE: 2, NAME: 3, HOOK: 4, POLICY: 5, USE: 6, TYPE: 7 } as const;
const HOOK = { HOOKNUM: 1, PRIORITY: 2 } as const;
const RULE = { TABLE: 1, CHAIN: 2, HANDLE: 3, EXPRESSIONS: 4 } as const;
const LIST_ELEM = 1;
const EXPR = { NAME: 1, DATA: 2 } as const;
const SET = { TABLE: 1, NAME: 2, FLAGS: 3, KEY_TYPE: 4, KEY_LEN: 5, DATA_TYPE: 6, DATA_LEN: 7, DESC: 9, ID: 10, USERDATA: 13, EXPR: 17 } as const;
const SET_DESC = { SIZE: 1, CONCAT: 2 } as const;
const SET_FIELD_LEN = 1;
const ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3, SET_ID: 4 } as const;
const ELEM = { KEY: 1, DATA: 2, FLAGS: 3, KEY_END: 10 } as const;
const DATA = { VALUE: 1, VERDICT: 2 } as const;
const VERDICT_ATTR = { CODE: 1, CHAIN: 2 } as const;

/** One expression of a rule. */
export type Expr =
  | { kind: "payload"; base: number; offset: number; len: number; dreg: number }
  | { kind: "cmp"; sreg: number; data: Uint8Array }
  | { kind: "bitwise"; sreg: number; dreg: number; mask: Uint8Array; xor: Uint8Array }
  | { kind: "lookup"; sreg: number; set: string; dreg?: number }
  | { kind: "dup"; sregAddr: number; sregDev: number }
  | { kind: "meta"; key: number; dreg: number }
  | { kind: "metaSet"; key: number; sreg: number }
  | { kind: "counter" }
  | { kind: "verdict"; code: number; chain?: string };

/**
 * A set declaration; `fieldLens` is given for a concatenated key (bytes per field, before padding), `data`
 * for a map (flags include NFT_SET.MAP).
 */
export interface SetSpec {
  name: string;
  id: number;
  keyType: number;
  keyLen: number;
  flags: number;
  fieldLens?: number[];
  data?: { type: number; len: number };
  /**
   * Byte order of the key (and a map's data) for nft's display, kept in the set's userdata as nft and
   * libnftnl do (NFTNL_UDATA_SET_KEYBYTEORDER / _DATABYTEORDER); the kernel does not read it.
   */
  byteorder?: { key: "host" | "big"; data?: "host" | "big" };
  /** An expression every element gets (NFTA_SET_EXPR; nft's `counter` line in a set). */
  expr?: "counter";
}

/** libnftnl's set userdata TLVs (u8 type, u8 length, value): key and data byte order. */
function setUserdata(b: NonNullable<SetSpec["byteorder"]>): Uint8Array {
  const order = (o: "host" | "big") => (o === "host" ? 1 : 2);
  const tlv = (type: number, v: number) => Uint8Array.of(type, 4, v, 0, 0, 0);
  return concatBytes(tlv(0, order(b.key)), b.data && tlv(1, order(b.data)));
}

/** A base chain's hook; absent for a regular chain. */
export interface ChainHook {
  hook: number;
  priority: number;
  type: "filter";
  policy: number;
}

/** Reads the 4-byte nfgenmsg at the start of a payload. */
export function parseNfgen(payload: Uint8Array): Result<{ family: number; resId: number; attrs: Uint8Array }> {
  if (payload.length < 4) return { ok: false, reason: `nfgenmsg of ${payload.length} bytes, need 4` };
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { ok: true, value: { family: v.getUint8(0), resId: v.getUint16(2, false), attrs: payload.subarray(4) } };
}

function nfgen(family: number, resId = 0): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = family;
  new DataView(b.buffer).setUint16(2, resId, false);
  return b;
}

/** Builds one nf_tables message (`cmd` from NFT_MSG) with `attrs` after the nfgenmsg. */
export function nftMsg(cmd: number, flags: number, seq: number, family: number, attrs: Uint8Array[]): Uint8Array {
  return nlmsg((NFNL_SUBSYS_NFTABLES << 8) | cmd, NLM_F.REQUEST | flags, seq, concatBytes(nfgen(family), ...attrs));
}

/** The batch-begin delimiter of a transaction. */
export function batchBegin(seq: number): Uint8Array {
  return nlmsg(NFNL_MSG_BATCH_BEGIN, NLM_F.REQUEST, seq, nfgen(0, NFNL_SUBSYS_NFTABLES));
}

/** The batch-end delimiter: the kernel commits everything between begin and end, or nothing. */
export function batchEnd(seq: number): Uint8Array {
  return nlmsg(NFNL_MSG_BATCH_END, NLM_F.REQUEST, seq, nfgen(0, NFNL_SUBSYS_NFTABLES));
}

/** NEWTABLE: creates the table, or (without EXCL) leaves an existing one as it is. */
export function newTable(seq: number, family: number, name: string, flags = NLM_F.CREATE): Uint8Array {
  return nftMsg(NFT_MSG.NEWTABLE, flags | NLM_F.ACK, seq, family, [nlaString(TABLE.NAME, name), nlaBe32(TABLE.FLAGS, 0)]);
}

/** DELTABLE: removes the table with everything in it (ENOENT when it does not exist). */
export function delTable(seq: number, family: number, name: string): Uint8Array {
  return nftMsg(NFT_MSG.DELTABLE, NLM_F.ACK, seq, family, [nlaString(TABLE.NAME, name)]);
}

/** GETTABLE for one table (the reply says whether it exists). */
export function getTable(seq: number, family: number, name: string): Uint8Array {
  return nftMsg(NFT_MSG.GETTABLE, NLM_F.ACK, seq, family, [nlaString(TABLE.NAME, name)]);
}

/** NEWCHAIN: a base chain when `hook` is given, else a regular chain (a jump/goto target). */
export function newChain(seq: number, family: number, table: string, name: string, hook?: ChainHook): Uint8Array {
  const attrs = [nlaString(CHAIN.TABLE, table), nlaString(CHAIN.NAME, name)];
  if (hook) {
    // The order nft sends them in, so the bytes can be held against a capture of nft.
    attrs.push(
      nlaString(CHAIN.TYPE, hook.type),
      nlaBe32(CHAIN.POLICY, hook.policy),
      nlaNested(CHAIN.HOOK, [nlaBe32(HOOK.HOOKNUM, hook.hook), nlaBe32(HOOK.PRIORITY, hook.priority)], true),
    );
  }
  return nftMsg(NFT_MSG.NEWCHAIN, NLM_F.CREATE | NLM_F.ACK, seq, family, attrs);
}

/** NEWSET: declares a set (referred to by `id` inside the same batch, by name after it). */
export function newSet(seq: number, family: number, table: string, s: SetSpec): Uint8Array {
  const attrs = [
    nlaString(SET.TABLE, table),
    nlaString(SET.NAME, s.name),
    nlaBe32(SET.FLAGS, s.flags),
    nlaBe32(SET.KEY_TYPE, s.keyType),
    nlaBe32(SET.KEY_LEN, s.keyLen),
    nlaBe32(SET.ID, s.id),
  ];
  if (s.data) attrs.push(nlaBe32(SET.DATA_TYPE, s.data.type), nlaBe32(SET.DATA_LEN, s.data.len));
  if (s.byteorder) attrs.push(nla(SET.USERDATA, setUserdata(s.byteorder)));
  if (s.fieldLens) {
    const fields = s.fieldLens.map((n) => nlaNested(LIST_ELEM, [nlaBe32(SET_FIELD_LEN, n)], true));
    attrs.push(nlaNested(SET.DESC, [nlaNested(SET_DESC.CONCAT, fields, true)], true));
  }
  if (s.expr) attrs.push(nlaNested(SET.EXPR, [nlaString(EXPR.NAME, s.expr), nlaNested(EXPR.DATA, [], true)], true));
  return nftMsg(NFT_MSG.NEWSET, NLM_F.CREATE | NLM_F.ACK, seq, family, attrs);
}

/** A set element: a key, or a key with the last key of its interval (INTERVAL sets) and a map's value. */
export type SetElem = Uint8Array | { key: Uint8Array; keyEnd?: Uint8Array; value?: Uint8Array };

function elementList(table: string, set: string, keys: SetElem[]): Uint8Array[] {
  const elems = keys.map((k) => {
    const e = k instanceof Uint8Array ? { key: k } : k;
    const parts = [nlaNested(ELEM.KEY, [nla(DATA.VALUE, e.key)], true)];
    if (e.keyEnd) parts.push(nlaNested(ELEM.KEY_END, [nla(DATA.VALUE, e.keyEnd)], true));
    if (e.value) parts.push(nlaNested(ELEM.DATA, [nla(DATA.VALUE, e.value)], true));
    return nlaNested(LIST_ELEM, parts, true);
  });
  return [nlaString(ELEM_LIST.TABLE, table), nlaString(ELEM_LIST.SET, set), nlaNested(ELEM_LIST.ELEMENTS, elems, true)];
}

/** NEWSETELEM: adds keys to a set (an existing key is not an error without EXCL). */
export function newSetElems(seq: number, family: number, table: string, set: string, keys: SetElem[]): Uint8Array {
  return nftMsg(NFT_MSG.NEWSETELEM, NLM_F.CREATE | NLM_F.ACK, seq, family, elementList(table, set, keys));
}

/** DELSETELEM: removes keys from a set (ENOENT for a key that is not in it). */
export function delSetElems(seq: number, family: number, table: string, set: string, keys: SetElem[]): Uint8Array {
  return nftMsg(NFT_MSG.DELSETELEM, NLM_F.ACK, seq, family, elementList(table, set, keys));
}

/** GETSETELEM dump of one set. */
export function getSetElems(seq: number, family: number, table: string, set: string): Uint8Array {
  return nftMsg(NFT_MSG.GETSETELEM, NLM_F.DUMP, seq, family, [nlaString(ELEM_LIST.TABLE, table), nlaString(ELEM_LIST.SET, set)]);
}

function data(type: number, value: Uint8Array): Uint8Array {
  return nlaNested(type, [nla(DATA.VALUE, value)], true);
}

function exprBody(e: Expr): [string, Uint8Array[]] {
  switch (e.kind) {
    case "payload":
      return ["payload", [nlaBe32(1, e.dreg), nlaBe32(2, e.base), nlaBe32(3, e.offset), nlaBe32(4, e.len)]];
    case "cmp":
      return ["cmp", [nlaBe32(1, e.sreg), nlaBe32(2, 0), data(3, e.data)]];
    case "bitwise":
      return ["bitwise", [nlaBe32(1, e.sreg), nlaBe32(2, e.dreg), nlaBe32(3, e.mask.length), data(4, e.mask), data(5, e.xor)]];
    case "lookup":
      // nft's order: source, destination (a map), then the set's name.
      return ["lookup", [nlaBe32(2, e.sreg), ...(e.dreg === undefined ? [] : [nlaBe32(3, e.dreg)]), nlaString(1, e.set)]];
    case "dup":
      return ["dup", [nlaBe32(1, e.sregAddr), nlaBe32(2, e.sregDev)]];
    case "meta":
      return ["meta", [nlaBe32(2, e.key), nlaBe32(1, e.dreg)]];
    case "metaSet":
      return ["meta", [nlaBe32(2, e.key), nlaBe32(3, e.sreg)]];
    case "counter":
      return ["counter", []];
    case "verdict": {
      const v = [nlaBe32(VERDICT_ATTR.CODE, e.code >>> 0)];
      if (e.chain !== undefined) v.push(nlaString(VERDICT_ATTR.CHAIN, e.chain));
      return ["immediate", [nlaBe32(1, NFT_REG.VERDICT), nlaNested(2, [nlaNested(DATA.VERDICT, v, true)], true)]];
    }
  }
}

/** One expression as a list element of NFTA_RULE_EXPRESSIONS. */
export function encodeExpr(e: Expr): Uint8Array {
  const [name, body] = exprBody(e);
  return nlaNested(LIST_ELEM, [nlaString(EXPR.NAME, name), nlaNested(EXPR.DATA, body, true)], true);
}

/** NEWRULE appended to `chain`. */
export function newRule(seq: number, family: number, table: string, chain: string, exprs: Expr[]): Uint8Array {
  const attrs = [nlaString(RULE.TABLE, table), nlaString(RULE.CHAIN, chain), nlaNested(RULE.EXPRESSIONS, exprs.map(encodeExpr), true)];
  return nftMsg(NFT_MSG.NEWRULE, NLM_F.CREATE | NLM_F.APPEND | NLM_F.ACK, seq, family, attrs);
}

/** The elements decoded from a GETSETELEM reply: their keys, and each element whole. */
export interface DecodedElems {
  table: string;
  set: string;
  keys: Uint8Array[];
  elems: { key: Uint8Array; keyEnd?: Uint8Array; value?: Uint8Array }[];
}

/** The NFTA_DATA_VALUE inside one of an element's data attributes. */
function dataValue(raw: Uint8Array | undefined, what: string): Result<Uint8Array | undefined> {
  if (!raw) return { ok: true, value: undefined };
  const r = AttrReader.parse(raw, what);
  if (!r.ok) return r;
  return { ok: true, value: r.value.raw(DATA.VALUE)?.slice() };
}

/** Decodes a NEWSETELEM message of a GETSETELEM dump. */
export function parseSetElems(msg: NlMessage): Result<DecodedElems> {
  const g = parseNfgen(msg.payload);
  if (!g.ok) return g;
  const top = AttrReader.parse(g.value.attrs, "NFTA_SET_ELEM_LIST");
  if (!top.ok) return top;
  const r = top.value;
  const out: DecodedElems = { table: r.str(ELEM_LIST.TABLE) ?? "", set: r.str(ELEM_LIST.SET) ?? "", keys: [], elems: [] };
  const list = r.raw(ELEM_LIST.ELEMENTS);
  if (!list) return { ok: true, value: out };
  const elems = AttrReader.parse(list, "NFTA_SET_ELEM_LIST_ELEMENTS");
  if (!elems.ok) return elems;
  for (const a of elems.value.attrs) {
    const el = AttrReader.parse(a.value, "NFTA_LIST_ELEM");
    if (!el.ok) return el;
    const key = dataValue(el.value.raw(ELEM.KEY), "NFTA_SET_ELEM_KEY");
    const keyEnd = dataValue(el.value.raw(ELEM.KEY_END), "NFTA_SET_ELEM_KEY_END");
    const value = dataValue(el.value.raw(ELEM.DATA), "NFTA_SET_ELEM_DATA");
    if (!key.ok) return key;
    if (!keyEnd.ok) return keyEnd;
    if (!value.ok) return value;
    if (!key.value) continue;
    out.keys.push(key.value);
    out.elems.push({ key: key.value, ...(keyEnd.value ? { keyEnd: keyEnd.value } : {}), ...(value.value ? { value: value.value } : {}) });
  }
  return { ok: true, value: out };
}

/** Decodes the name and use count of a NEWTABLE message (a GETTABLE reply). */
export function parseTable(msg: NlMessage): Result<{ family: number; name: string; use: number }> {
  const g = parseNfgen(msg.payload);
  if (!g.ok) return g;
  const r = AttrReader.parse(g.value.attrs, "NFTA_TABLE");
  if (!r.ok) return r;
  const name = r.value.str(TABLE.NAME);
  if (name === undefined) return { ok: false, reason: "NFTA_TABLE without a name" };
  return { ok: true, value: { family: g.value.family, name, use: r.value.be32(TABLE.USE) ?? 0 } };
}

/** One element of a GETSETELEM reply: its key, the end of its interval and its data (a map's value). */
export type ElemParts = DecodedElems["elems"][number];

/**
 * The elements of a whole GETSETELEM dump, each through `decode` (undefined: not one of ours, skipped);
 * a message that does not decode is skipped too (what a set owner reads back is advisory).
 */
export function decodeSetDump<T>(msgs: readonly NlMessage[], decode: (e: ElemParts) => T | undefined): T[] {
  const out: T[] = [];
  for (const m of msgs) {
    const r = parseSetElems(m);
    if (!r.ok) continue;
    for (const el of r.value.elems) {
      const v = decode(el);
      if (v !== undefined) out.push(v);
    }
  }
  return out;
}
