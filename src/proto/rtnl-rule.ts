/**
 * rtnetlink policy-routing rule messages: RTM_NEWRULE / RTM_DELRULE / RTM_GETRULE (Linux UAPI
 * linux/fib_rules.h, struct fib_rule_hdr + FRA_* attributes). Encodes keepalived's `virtual_rules` /
 * `static_rules` (from, to, priority/preference, table, fwmark/mask, iif, oif, uidrange, sport, dport,
 * ipproto, protocol, suppress_prefixlength, suppress_ifgroup, realms, l3mdev, not, and the actions
 * goto / blackhole / unreachable / prohibit / nop) and parses rule dumps and events.
 *
 * Attribute order follows iproute2 `ip rule add`. Host byte order: little-endian assumed.
 */
import { NLM_F, type NlMessage, nlmsg } from "./netlink.ts";
import type { Result } from "./result.ts";
import { AttrReader, concatBytes, nla, nlaAddr, nlaString, nlaU32, nlaU8 } from "./netlink-attr.ts";
import { familyOf, RT_TABLE, RTM, RTPROT } from "./rtnl-const.ts";

/** Size of struct fib_rule_hdr. */
export const FIB_RULE_HDR_LEN = 12;

/** FRA_* attribute types. */
export const FRA = {
  DST: 1,
  SRC: 2,
  IIFNAME: 3,
  GOTO: 4,
  PRIORITY: 6,
  FWMARK: 10,
  FLOW: 11,
  TUN_ID: 12,
  SUPPRESS_IFGROUP: 13,
  SUPPRESS_PREFIXLEN: 14,
  TABLE: 15,
  FWMASK: 16,
  OIFNAME: 17,
  L3MDEV: 19,
  UID_RANGE: 20,
  PROTOCOL: 21,
  IP_PROTO: 22,
  SPORT_RANGE: 23,
  DPORT_RANGE: 24,
} as const;

/** Rule actions (fib_rule_hdr.action). */
export const FR_ACT = {
  UNSPEC: 0,
  TO_TBL: 1,
  GOTO: 2,
  NOP: 3,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
} as const;

/** fib_rule_hdr.flags bits. */
export const FIB_RULE = { PERMANENT: 0x1, INVERT: 0x2, UNRESOLVED: 0x4, IIF_DETACHED: 0x8, OIF_DETACHED: 0x10 } as const;

/** An inclusive numeric range (uid range: u32; port range: u16). */
export interface NumRange {
  start: number;
  end: number;
}

/** Fields common to a rule request and a decoded rule. */
export interface RuleFields {
  family: number;
  /** Source prefix length, bits. */
  srcLen: number;
  dstLen: number;
  tos: number;
  /** Table id (FRA_TABLE when present, else the header byte). */
  table: number;
  /** FR_ACT_* value. */
  action: number;
  /** FIB_RULE_* flags (INVERT = "not"). */
  flags: number;
  src?: string;
  dst?: string;
  /** Rule priority ("preference"). */
  priority?: number;
  fwmark?: number;
  fwmask?: number;
  iifname?: string;
  oifname?: string;
  /** Target priority of a goto rule. */
  goto?: number;
  /** FRA_FLOW realms: (from << 16) | to. */
  realms?: number;
  suppressPrefixLen?: number;
  suppressIfgroup?: number;
  /** Table comes from the l3mdev (VRF) device. */
  l3mdev?: boolean;
  uidRange?: NumRange;
  sportRange?: NumRange;
  dportRange?: NumRange;
  /** IP protocol number (6 = tcp, 17 = udp). */
  ipProto?: number;
  /** RTPROT_* of who installed the rule. */
  protocol?: number;
}

/** A decoded RTM_NEWRULE / RTM_DELRULE message. */
export type RuleMessage = RuleFields;

/** A rule to add or delete; family comes from src/dst text when present, else `family` (default AF_INET). */
export type RuleRequest = Partial<Omit<RuleFields, "srcLen" | "dstLen">> & { srcLen?: number; dstLen?: number };

function fibRuleHdr(f: { family: number; dstLen: number; srcLen: number; tos: number; table: number; action: number; flags: number }): Uint8Array {
  const b = new Uint8Array(FIB_RULE_HDR_LEN);
  const v = new DataView(b.buffer);
  [f.family, f.dstLen, f.srcLen, f.tos, f.table, 0, 0, f.action].forEach((x, i) => v.setUint8(i, x));
  v.setUint32(8, f.flags >>> 0, true);
  return b;
}

function range(type: number, r: NumRange, width: 2 | 4): Uint8Array {
  const b = new Uint8Array(2 * width);
  const v = new DataView(b.buffer);
  if (width === 4) {
    v.setUint32(0, r.start >>> 0, true);
    v.setUint32(4, r.end >>> 0, true);
  } else {
    v.setUint16(0, r.start, true);
    v.setUint16(2, r.end, true);
  }
  return nla(type, b);
}

function ruleBody(r: RuleRequest, del: boolean): Uint8Array {
  const addr = r.src ?? r.dst;
  const family = r.family ?? (addr !== undefined ? familyOf(addr) : 2);
  const table = r.table ?? (del || r.action !== undefined ? RT_TABLE.UNSPEC : RT_TABLE.MAIN);
  const action = r.action ?? (del ? FR_ACT.UNSPEC : table !== RT_TABLE.UNSPEC ? FR_ACT.TO_TBL : FR_ACT.UNSPEC);
  const hdr = fibRuleHdr({
    family,
    dstLen: r.dst !== undefined ? (r.dstLen ?? (family === 2 ? 32 : 128)) : 0,
    srcLen: r.src !== undefined ? (r.srcLen ?? (family === 2 ? 32 : 128)) : 0,
    tos: r.tos ?? 0,
    table: table > 255 ? RT_TABLE.UNSPEC : table,
    action,
    flags: r.flags ?? 0,
  });
  return concatBytes(
    hdr,
    r.src !== undefined && nlaAddr(FRA.SRC, r.src),
    r.dst !== undefined && nlaAddr(FRA.DST, r.dst),
    r.fwmark !== undefined && nlaU32(FRA.FWMARK, r.fwmark),
    r.fwmask !== undefined && nlaU32(FRA.FWMASK, r.fwmask),
    r.realms !== undefined && nlaU32(FRA.FLOW, r.realms),
    r.iifname !== undefined && nlaString(FRA.IIFNAME, r.iifname),
    r.oifname !== undefined && nlaString(FRA.OIFNAME, r.oifname),
    r.l3mdev && nlaU8(FRA.L3MDEV, 1),
    r.uidRange !== undefined && range(FRA.UID_RANGE, r.uidRange, 4),
    r.sportRange !== undefined && range(FRA.SPORT_RANGE, r.sportRange, 2),
    r.dportRange !== undefined && range(FRA.DPORT_RANGE, r.dportRange, 2),
    r.ipProto !== undefined && nlaU8(FRA.IP_PROTO, r.ipProto),
    r.protocol !== undefined && nlaU8(FRA.PROTOCOL, r.protocol),
    table > 255 && nlaU32(FRA.TABLE, table),
    r.suppressPrefixLen !== undefined && nlaU32(FRA.SUPPRESS_PREFIXLEN, r.suppressPrefixLen),
    r.suppressIfgroup !== undefined && nlaU32(FRA.SUPPRESS_IFGROUP, r.suppressIfgroup),
    r.priority !== undefined && nlaU32(FRA.PRIORITY, r.priority),
    r.goto !== undefined && nlaU32(FRA.GOTO, r.goto),
  );
}

/** RTM_NEWRULE (like `ip rule add`); action defaults to FR_ACT_TO_TBL with table main. */
export function encodeRuleAdd(r: RuleRequest, seq: number): Uint8Array {
  return nlmsg(RTM.NEWRULE, NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE, seq, ruleBody(r, false));
}

/** RTM_DELRULE (like `ip rule del`): only the given selectors are matched. */
export function encodeRuleDel(r: RuleRequest, seq: number): Uint8Array {
  return nlmsg(RTM.DELRULE, NLM_F.REQUEST | NLM_F.ACK, seq, ruleBody(r, true));
}

/** RTM_GETRULE dump of one family (like `ip rule show` / `ip -6 rule show`). */
export function encodeRuleDump(seq: number, family: number): Uint8Array {
  const hdr = fibRuleHdr({ family, dstLen: 0, srcLen: 0, tos: 0, table: 0, action: 0, flags: 0 });
  return nlmsg(RTM.GETRULE, NLM_F.REQUEST | NLM_F.DUMP, seq, hdr);
}

function parseRange(r: AttrReader, type: number, width: 2 | 4): NumRange | undefined {
  const b = r.sized(type, 2 * width);
  if (!b) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return width === 4 ? { start: v.getUint32(0, true), end: v.getUint32(4, true) } : { start: v.getUint16(0, true), end: v.getUint16(2, true) };
}

/** Parses an RTM_NEWRULE / RTM_DELRULE message (dump entry or event). */
export function parseRuleMessage(msg: NlMessage): Result<RuleMessage> {
  const t = msg.header.type;
  if (t !== RTM.NEWRULE && t !== RTM.DELRULE) return { ok: false, reason: `message type ${t} is not a rule message` };
  const p = msg.payload;
  if (p.length < FIB_RULE_HDR_LEN) return { ok: false, reason: `fib_rule_hdr truncated: ${p.length} bytes, need 12` };
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const ar = AttrReader.parse(p.subarray(FIB_RULE_HDR_LEN), "FRA");
  if (!ar.ok) return ar;
  const r = ar.value;
  const out: RuleMessage = {
    family: v.getUint8(0),
    dstLen: v.getUint8(1),
    srcLen: v.getUint8(2),
    tos: v.getUint8(3),
    table: r.u32(FRA.TABLE) ?? v.getUint8(4),
    action: v.getUint8(7),
    flags: v.getUint32(8, true),
  };
  const opt = <K extends keyof RuleMessage>(k: K, val: RuleMessage[K] | undefined): void => {
    if (val !== undefined) out[k] = val;
  };
  opt("src", r.addr(FRA.SRC));
  opt("dst", r.addr(FRA.DST));
  opt("priority", r.u32(FRA.PRIORITY));
  opt("fwmark", r.u32(FRA.FWMARK));
  opt("fwmask", r.u32(FRA.FWMASK));
  opt("iifname", r.str(FRA.IIFNAME));
  opt("oifname", r.str(FRA.OIFNAME));
  opt("goto", r.u32(FRA.GOTO));
  opt("realms", r.u32(FRA.FLOW));
  opt("suppressPrefixLen", r.u32(FRA.SUPPRESS_PREFIXLEN));
  opt("suppressIfgroup", r.u32(FRA.SUPPRESS_IFGROUP));
  const l3 = r.u8(FRA.L3MDEV);
  if (l3 !== undefined) out.l3mdev = l3 !== 0;
  opt("uidRange", parseRange(r, FRA.UID_RANGE, 4));
  opt("sportRange", parseRange(r, FRA.SPORT_RANGE, 2));
  opt("dportRange", parseRange(r, FRA.DPORT_RANGE, 2));
  opt("ipProto", r.u8(FRA.IP_PROTO));
  opt("protocol", r.u8(FRA.PROTOCOL));
  return r.result(out);
}

/** The protocol value keepalived tags its rules and routes with. */
export const KEEPALIVED_PROTO = RTPROT.KEEPALIVED;
