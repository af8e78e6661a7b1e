/**
 * rtnetlink address messages: RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR (Linux UAPI linux/if_addr.h,
 * struct ifaddrmsg + IFA_* attributes). Encodes keepalived's `virtual_ipaddress` /
 * `virtual_ipaddress_excluded` entries (address/prefix, brd, dev, scope, label, peer, home, nodad,
 * noprefixroute, preferred_lft) and parses address dumps and RTMGRP_IPV4_IFADDR / RTMGRP_IPV6_IFADDR events.
 *
 * Attribute order follows what iproute2 `ip addr add/del` sends, so our bytes match its captures.
 * Host byte order is assumed little-endian (x86-64, arm64).
 */
import { NLM_F, type NlMessage, nlmsg } from "./netlink.ts";
import type { Result } from "./result.ts";
import { AttrReader, concatBytes, nla, nlaAddr, nlaString, nlaU32 } from "./netlink-attr.ts";
import { AF_INET, AF_INET6, familyOf, RT_SCOPE, RTM } from "./rtnl-const.ts";

/** Size of struct ifaddrmsg. */
export const IFADDRMSG_LEN = 8;

/** IFA_* attribute types. */
export const IFA = {
  ADDRESS: 1,
  LOCAL: 2,
  LABEL: 3,
  BROADCAST: 4,
  ANYCAST: 5,
  CACHEINFO: 6,
  MULTICAST: 7,
  FLAGS: 8,
  RT_PRIORITY: 9,
  TARGET_NETNSID: 10,
  PROTO: 11,
} as const;

/** IFA_F_* address flags (low 8 bits also fit in ifa_flags; the rest only in IFA_FLAGS). */
export const IFA_F = {
  SECONDARY: 0x01,
  NODAD: 0x02,
  OPTIMISTIC: 0x04,
  DADFAILED: 0x08,
  HOMEADDRESS: 0x10,
  DEPRECATED: 0x20,
  TENTATIVE: 0x40,
  PERMANENT: 0x80,
  MANAGETEMPADDR: 0x100,
  NOPREFIXROUTE: 0x200,
  MCAUTOJOIN: 0x400,
  STABLE_PRIVACY: 0x800,
} as const;

/** Lifetime value meaning "forever" (seconds field of IFA_CACHEINFO). */
export const INFINITY_LIFE_TIME = 0xffffffff;

/** struct ifa_cacheinfo. */
export interface AddrCacheInfo {
  /** Preferred lifetime, seconds (0xffffffff = forever). */
  preferredLft: number;
  /** Valid lifetime, seconds (0xffffffff = forever). */
  validLft: number;
  /** Creation time, hundredths of a second since boot. */
  createdCs: number;
  /** Last update time, hundredths of a second since boot. */
  updatedCs: number;
}

/** A decoded RTM_NEWADDR / RTM_DELADDR message. */
export interface AddrMessage {
  family: number;
  /** Prefix length, bits. */
  prefixLen: number;
  /** IFA_F_* flags: IFA_FLAGS when present (32-bit), otherwise the 8-bit ifa_flags. */
  flags: number;
  scope: number;
  /** Interface index. */
  index: number;
  /** IFA_ADDRESS: the peer on point-to-point links, otherwise equal to `local`. */
  address?: string;
  /** IFA_LOCAL: the interface's own address (IPv6 messages often carry only IFA_ADDRESS). */
  local?: string;
  broadcast?: string;
  anycast?: string;
  label?: string;
  cacheInfo?: AddrCacheInfo;
  /** IFA_RT_PRIORITY: metric of the prefix route. */
  routePriority?: number;
  /** IFA_PROTO: who added the address. */
  proto?: number;
}

/** An address to add or delete (a keepalived virtual_ipaddress entry, resolved to an ifindex). */
export interface AddrRequest {
  /** Interface index. */
  index: number;
  /** The address itself (IFA_LOCAL); its family selects AF_INET / AF_INET6. */
  address: string;
  /** Prefix length, bits. */
  prefixLen: number;
  /** Point-to-point peer (IFA_ADDRESS); defaults to `address`. */
  peer?: string;
  broadcast?: string;
  /** Interface label, e.g. "eth0:1" (IPv4 only). */
  label?: string;
  /** @default RT_SCOPE.UNIVERSE */
  scope?: number;
  /** IFA_F_* flags (nodad, noprefixroute, homeaddress...). */
  flags?: number;
  /** Seconds; when either lifetime is set IFA_CACHEINFO is sent (the other defaults to forever). */
  preferredLft?: number;
  /** Seconds. */
  validLft?: number;
  /** IFA_RT_PRIORITY: metric of the address's prefix route (zebra's connected-route metric); unset = 0. */
  routePriority?: number;
}

function ifaddrmsg(family: number, prefixLen: number, flags: number, scope: number, index: number): Uint8Array {
  const b = new Uint8Array(IFADDRMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, family);
  v.setUint8(1, prefixLen);
  v.setUint8(2, flags);
  v.setUint8(3, scope);
  v.setUint32(4, index, true);
  return b;
}

function cacheInfo(preferred: number, valid: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, preferred >>> 0, true);
  v.setUint32(4, valid >>> 0, true);
  return nla(IFA.CACHEINFO, b);
}

function addrBody(r: AddrRequest, withExtras: boolean): Uint8Array {
  const flags = r.flags ?? 0;
  const wide = flags > 0xff;
  const hdr = ifaddrmsg(familyOf(r.address), r.prefixLen, wide ? 0 : flags, r.scope ?? RT_SCOPE.UNIVERSE, r.index);
  const lifetimes = withExtras && (r.preferredLft !== undefined || r.validLft !== undefined);
  return concatBytes(
    hdr,
    nlaAddr(IFA.LOCAL, r.address),
    r.label !== undefined && nlaString(IFA.LABEL, r.label),
    r.broadcast !== undefined && nlaAddr(IFA.BROADCAST, r.broadcast),
    wide && nlaU32(IFA.FLAGS, flags),
    nlaAddr(IFA.ADDRESS, r.peer ?? r.address),
    lifetimes && cacheInfo(r.preferredLft ?? INFINITY_LIFE_TIME, r.validLft ?? INFINITY_LIFE_TIME),
    withExtras && r.routePriority !== undefined && nlaU32(IFA.RT_PRIORITY, r.routePriority),
  );
}

/** RTM_NEWADDR: add an address (EXCL|CREATE, like `ip addr add`), or replace it with `replace`. */
export function encodeAddrAdd(r: AddrRequest, seq: number, opts: { replace?: boolean } = {}): Uint8Array {
  const flags = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | (opts.replace ? NLM_F.REPLACE : NLM_F.EXCL);
  return nlmsg(RTM.NEWADDR, flags, seq, addrBody(r, true));
}

/** RTM_DELADDR: delete an address (like `ip addr del`). */
export function encodeAddrDel(r: AddrRequest, seq: number): Uint8Array {
  return nlmsg(RTM.DELADDR, NLM_F.REQUEST | NLM_F.ACK, seq, addrBody({ ...r, flags: 0 }, false));
}

/** RTM_GETADDR dump of one family (0 = all), optionally of one interface (kernel filters strictly). */
export function encodeAddrDump(seq: number, family = 0, index = 0): Uint8Array {
  return nlmsg(RTM.GETADDR, NLM_F.REQUEST | NLM_F.DUMP, seq, ifaddrmsg(family, 0, 0, 0, index));
}

function parseCacheInfo(r: AttrReader): AddrCacheInfo | undefined {
  const b = r.sized(IFA.CACHEINFO, 16);
  if (!b) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    preferredLft: v.getUint32(0, true),
    validLft: v.getUint32(4, true),
    createdCs: v.getUint32(8, true),
    updatedCs: v.getUint32(12, true),
  };
}

/** Parses an RTM_NEWADDR / RTM_DELADDR message (dump entry or multicast event). */
export function parseAddrMessage(msg: NlMessage): Result<AddrMessage> {
  const t = msg.header.type;
  if (t !== RTM.NEWADDR && t !== RTM.DELADDR) return { ok: false, reason: `message type ${t} is not an address message` };
  const p = msg.payload;
  if (p.length < IFADDRMSG_LEN) return { ok: false, reason: `ifaddrmsg truncated: ${p.length} bytes, need 8` };
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const family = v.getUint8(0);
  if (family !== AF_INET && family !== AF_INET6) return { ok: false, reason: `ifaddrmsg: unsupported family ${family}` };
  const ar = AttrReader.parse(p.subarray(IFADDRMSG_LEN), "IFA");
  if (!ar.ok) return ar;
  const r = ar.value;
  const out: AddrMessage = {
    family,
    prefixLen: v.getUint8(1),
    flags: r.u32(IFA.FLAGS) ?? v.getUint8(2),
    scope: v.getUint8(3),
    index: v.getUint32(4, true),
  };
  const opt = <K extends keyof AddrMessage>(k: K, val: AddrMessage[K] | undefined): void => {
    if (val !== undefined) out[k] = val;
  };
  opt("address", r.addr(IFA.ADDRESS));
  opt("local", r.addr(IFA.LOCAL));
  opt("broadcast", r.addr(IFA.BROADCAST));
  opt("anycast", r.addr(IFA.ANYCAST));
  opt("label", r.str(IFA.LABEL));
  opt("cacheInfo", parseCacheInfo(r));
  opt("routePriority", r.u32(IFA.RT_PRIORITY));
  opt("proto", r.u8(IFA.PROTO));
  return r.result(out);
}
