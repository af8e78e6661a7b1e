/**
 * rtnetlink route messages: RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE (Linux UAPI linux/rtnetlink.h,
 * struct rtmsg + RTA_* attributes, struct rtnexthop for RTA_MULTIPATH, RTAX_* metrics in RTA_METRICS).
 * Encodes keepalived's `virtual_routes` / `static_routes` (dst, src, via, dev, metric, table, protocol,
 * scope, type blackhole/unreachable/prohibit/throw, mtu, advmss and other metrics, nexthop groups) and
 * parses route dumps / RTMGRP_IPV4_ROUTE / RTMGRP_IPV6_ROUTE events.
 *
 * Attribute order follows iproute2 `ip route add/del`. Host byte order: little-endian assumed.
 */
import { NLM_F, type NlMessage, nlmsg } from "./netlink.ts";
import type { Result } from "./result.ts";
import { AttrReader, concatBytes, nla, nlaAddr, nlaNested, nlaU32, nlaU8 } from "./netlink-attr.ts";
import { familyOf, RT_SCOPE, RT_TABLE, RTM, RTN, RTPROT } from "./rtnl-const.ts";

/** Size of struct rtmsg. */
export const RTMSG_LEN = 12;
/** Size of struct rtnexthop. */
export const RTNH_LEN = 8;

/** RTA_* attribute types. */
export const RTA = {
  DST: 1,
  SRC: 2,
  IIF: 3,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  METRICS: 8,
  MULTIPATH: 9,
  FLOW: 11,
  CACHEINFO: 12,
  TABLE: 15,
  MARK: 16,
  VIA: 18,
  PREF: 20,
  ENCAP_TYPE: 21,
  EXPIRES: 23,
  UID: 25,
  IP_PROTO: 27,
  NH_ID: 30,
} as const;

/** RTAX_* metric types (nested in RTA_METRICS). Values are u32 except CC_ALGO (string). */
export const RTAX = {
  LOCK: 1,
  MTU: 2,
  WINDOW: 3,
  RTT: 4,
  RTTVAR: 5,
  SSTHRESH: 6,
  CWND: 7,
  ADVMSS: 8,
  REORDERING: 9,
  HOPLIMIT: 10,
  INITCWND: 11,
  FEATURES: 12,
  RTO_MIN: 13,
  INITRWND: 14,
  QUICKACK: 15,
  FASTOPEN_NO_COOKIE: 17,
} as const;

/** rtnh_flags / rtm_flags bits. */
export const RTNH_F = { DEAD: 1, PERVASIVE: 2, ONLINK: 4, OFFLOAD: 8, LINKDOWN: 16 } as const;

/** Route metrics by name (see RTAX); times are in the kernel's units (ms for rtt/rttvar/rto_min). */
export type RouteMetrics = Partial<Record<Lowercase<keyof typeof RTAX>, number>>;

/** One nexthop of a multipath route. */
export interface Nexthop {
  /** Output interface index (0 = unspecified). */
  ifindex: number;
  gateway?: string;
  /** Relative weight 1..256 (sent as rtnh_hops = weight - 1). */
  weight: number;
  /** RTNH_F_* flags (onlink...). */
  flags: number;
}

/** A decoded RTM_NEWROUTE / RTM_DELROUTE message. */
export interface RouteMessage {
  family: number;
  /** Destination prefix length, bits. */
  dstLen: number;
  srcLen: number;
  tos: number;
  /** Table id: RTA_TABLE when present (32-bit), else rtm_table. */
  table: number;
  protocol: number;
  scope: number;
  /** RTN_* type. */
  type: number;
  flags: number;
  dst?: string;
  src?: string;
  gateway?: string;
  /** Output interface index. */
  oif?: number;
  iif?: number;
  /** Route metric (RTA_PRIORITY). */
  priority?: number;
  prefsrc?: string;
  metrics?: RouteMetrics;
  multipath?: Nexthop[];
  mark?: number;
  /** IPv6 router preference (RTA_PREF). */
  pref?: number;
  /** Seconds until expiry (RTA_EXPIRES). */
  expires?: number;
}

/** A route to add or delete (a keepalived virtual_routes entry, resolved to ifindexes). */
export interface RouteRequest {
  /** Destination address (network); its family selects AF_INET / AF_INET6. */
  dst: string;
  dstLen: number;
  /** Source prefix (IPv6 "from"). */
  src?: string;
  srcLen?: number;
  gateway?: string;
  oif?: number;
  /** Metric. */
  priority?: number;
  prefsrc?: string;
  /** @default RT_TABLE.MAIN */
  table?: number;
  /** @default RTPROT.BOOT on add, RTPROT.UNSPEC on delete */
  protocol?: number;
  /** @default derived as iproute2 does (link for unicast without gateway, host for local) */
  scope?: number;
  /** @default RTN.UNICAST on add, RTN.UNSPEC on delete */
  type?: number;
  tos?: number;
  /** RTNH_F_ONLINK etc. in rtm_flags. */
  flags?: number;
  metrics?: RouteMetrics;
  /** Multipath nexthops (then gateway/oif are normally unset). */
  nexthops?: Nexthop[];
  /** IPv6 router preference. */
  pref?: number;
}

function rtmsg(f: Omit<RouteMessage, "table"> & { table: number }): Uint8Array {
  const b = new Uint8Array(RTMSG_LEN);
  const v = new DataView(b.buffer);
  [f.family, f.dstLen, f.srcLen, f.tos, f.table, f.protocol, f.scope, f.type].forEach((x, i) => v.setUint8(i, x));
  v.setUint32(8, f.flags >>> 0, true);
  return b;
}

function defaultScope(r: RouteRequest, type: number): number {
  if (type === RTN.LOCAL || type === RTN.NAT) return RT_SCOPE.HOST;
  if (type === RTN.BROADCAST || type === RTN.MULTICAST || type === RTN.ANYCAST) return RT_SCOPE.LINK;
  if (type === RTN.UNICAST || type === RTN.UNSPEC) {
    const hasGw = r.gateway !== undefined || (r.nexthops?.length ?? 0) > 0;
    if (!hasGw && ((r.flags ?? 0) & RTNH_F.ONLINK) === 0) return RT_SCOPE.LINK;
  }
  return RT_SCOPE.UNIVERSE;
}

function encodeMetrics(m: RouteMetrics): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, id] of Object.entries(RTAX)) {
    const val = m[name.toLowerCase() as keyof RouteMetrics];
    if (val !== undefined) parts.push(nlaU32(id, val));
  }
  return nlaNested(RTA.METRICS, parts);
}

function encodeNexthops(list: Nexthop[]): Uint8Array {
  const parts = list.map((nh) => {
    const attrs = nh.gateway !== undefined ? nlaAddr(RTA.GATEWAY, nh.gateway) : new Uint8Array(0);
    const b = new Uint8Array(RTNH_LEN);
    const v = new DataView(b.buffer);
    v.setUint16(0, RTNH_LEN + attrs.length, true);
    v.setUint8(2, nh.flags);
    v.setUint8(3, Math.max(0, Math.min(255, nh.weight - 1)));
    v.setInt32(4, nh.ifindex, true);
    return concatBytes(b, attrs);
  });
  return nla(RTA.MULTIPATH, concatBytes(...parts));
}

function routeBody(r: RouteRequest, del: boolean): Uint8Array {
  const table = r.table ?? RT_TABLE.MAIN;
  const type = r.type ?? (del ? RTN.UNSPEC : RTN.UNICAST);
  const hdr = rtmsg({
    family: familyOf(r.dst),
    dstLen: r.dstLen,
    srcLen: r.srcLen ?? 0,
    tos: r.tos ?? 0,
    table: table > 255 ? RT_TABLE.UNSPEC : table,
    protocol: r.protocol ?? (del ? RTPROT.UNSPEC : RTPROT.BOOT),
    scope: r.scope ?? (del ? RT_SCOPE.NOWHERE : defaultScope(r, type)),
    type,
    flags: r.flags ?? 0,
  });
  return concatBytes(
    hdr,
    r.src !== undefined && nlaAddr(RTA.SRC, r.src),
    nlaAddr(RTA.DST, r.dst),
    r.gateway !== undefined && nlaAddr(RTA.GATEWAY, r.gateway),
    r.priority !== undefined && nlaU32(RTA.PRIORITY, r.priority),
    table > 255 && nlaU32(RTA.TABLE, table),
    r.prefsrc !== undefined && nlaAddr(RTA.PREFSRC, r.prefsrc),
    r.pref !== undefined && nlaU8(RTA.PREF, r.pref),
    r.oif !== undefined && nlaU32(RTA.OIF, r.oif),
    r.metrics !== undefined && encodeMetrics(r.metrics),
    r.nexthops !== undefined && r.nexthops.length > 0 && encodeNexthops(r.nexthops),
  );
}

/** RTM_NEWROUTE (EXCL|CREATE like `ip route add`; `replace` gives REPLACE|CREATE like `ip route replace`). */
export function encodeRouteAdd(r: RouteRequest, seq: number, opts: { replace?: boolean } = {}): Uint8Array {
  const flags = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | (opts.replace ? NLM_F.REPLACE : NLM_F.EXCL);
  return nlmsg(RTM.NEWROUTE, flags, seq, routeBody(r, false));
}

/** RTM_DELROUTE (like `ip route del`: unset protocol/type and scope NOWHERE match any). */
export function encodeRouteDel(r: RouteRequest, seq: number): Uint8Array {
  return nlmsg(RTM.DELROUTE, NLM_F.REQUEST | NLM_F.ACK, seq, routeBody(r, true));
}

/** RTM_GETROUTE dump of one family; a `table` adds RTA_TABLE so the kernel filters (as `ip route show table N`). */
export function encodeRouteDump(seq: number, family: number, table?: number): Uint8Array {
  const hdr = rtmsg({ family, dstLen: 0, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 });
  return nlmsg(RTM.GETROUTE, NLM_F.REQUEST | NLM_F.DUMP, seq, concatBytes(hdr, table !== undefined && nlaU32(RTA.TABLE, table)));
}

function parseMetrics(r: AttrReader): RouteMetrics | undefined {
  const m = r.nested(RTA.METRICS, "RTA_METRICS");
  if (!m) return undefined;
  const out: RouteMetrics = {};
  for (const [name, id] of Object.entries(RTAX)) {
    const val = m.u32(id);
    if (val !== undefined) out[name.toLowerCase() as keyof RouteMetrics] = val;
  }
  r.adopt(m);
  return out;
}

function parseMultipath(r: AttrReader): Nexthop[] | undefined {
  const b = r.raw(RTA.MULTIPATH);
  if (!b) return undefined;
  const out: Nexthop[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let off = 0; off < b.length;) {
    const len = b.length - off >= RTNH_LEN ? v.getUint16(off, true) : 0;
    if (len < RTNH_LEN || off + len > b.length) {
      r.fail(`RTA_MULTIPATH: rtnh_len ${len} at offset ${off} invalid in ${b.length} bytes`);
      return undefined;
    }
    const nh: Nexthop = { ifindex: v.getInt32(off + 4, true), weight: v.getUint8(off + 3) + 1, flags: v.getUint8(off + 2) };
    const sub = AttrReader.parse(b.subarray(off + RTNH_LEN, off + len), "RTA_MULTIPATH/nexthop");
    if (!sub.ok) {
      r.error ??= sub.reason;
      return undefined;
    }
    const gw = sub.value.addr(RTA.GATEWAY);
    if (gw !== undefined) nh.gateway = gw;
    r.adopt(sub.value);
    out.push(nh);
    off += (len + 3) & ~3;
  }
  return out;
}

/** Parses an RTM_NEWROUTE / RTM_DELROUTE message (dump entry or multicast event). */
export function parseRouteMessage(msg: NlMessage): Result<RouteMessage> {
  const t = msg.header.type;
  if (t !== RTM.NEWROUTE && t !== RTM.DELROUTE) return { ok: false, reason: `message type ${t} is not a route message` };
  const p = msg.payload;
  if (p.length < RTMSG_LEN) return { ok: false, reason: `rtmsg truncated: ${p.length} bytes, need 12` };
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const ar = AttrReader.parse(p.subarray(RTMSG_LEN), "RTA");
  if (!ar.ok) return ar;
  const r = ar.value;
  const u8 = (i: number): number => v.getUint8(i);
  const out: RouteMessage = {
    family: u8(0),
    dstLen: u8(1),
    srcLen: u8(2),
    tos: u8(3),
    table: r.u32(RTA.TABLE) ?? u8(4),
    protocol: u8(5),
    scope: u8(6),
    type: u8(7),
    flags: v.getUint32(8, true),
  };
  const opt = <K extends keyof RouteMessage>(k: K, val: RouteMessage[K] | undefined): void => {
    if (val !== undefined) out[k] = val;
  };
  opt("dst", r.addr(RTA.DST));
  opt("src", r.addr(RTA.SRC));
  opt("gateway", r.addr(RTA.GATEWAY));
  opt("oif", r.u32(RTA.OIF));
  opt("iif", r.u32(RTA.IIF));
  opt("priority", r.u32(RTA.PRIORITY));
  opt("prefsrc", r.addr(RTA.PREFSRC));
  opt("metrics", parseMetrics(r));
  opt("multipath", parseMultipath(r));
  opt("mark", r.u32(RTA.MARK));
  opt("pref", r.u8(RTA.PREF));
  opt("expires", r.u32(RTA.EXPIRES));
  return r.result(out);
}
