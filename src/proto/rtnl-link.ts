/**
 * rtnetlink link messages: RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK (Linux UAPI linux/if_link.h,
 * struct ifinfomsg + IFLA_* attributes, IFLA_LINKINFO / IFLA_INFO_KIND / IFLA_MACVLAN_MODE).
 * Covers keepalived's VMAC interfaces (`use_vmac`, `vmac_xmit_base`): a macvlan named "vrrp.<VRID>" on the
 * VRRP interface with the RFC 5798 section 7.3 virtual router MAC 00-00-5E-00-01-{VRID} (IPv4) or
 * 00-00-5E-00-02-{VRID} (IPv6); link up/down, MTU, master; and link dumps / RTMGRP_LINK events.
 *
 * Attribute order follows what iproute2 `ip link add/set` sends. Host byte order: little-endian assumed.
 */
import { NLM_F, type NlMessage, nlmsg } from "./netlink.ts";
import type { Result } from "./result.ts";
import { AttrReader, concatBytes, nlaMac, nlaNested, nlaString, nlaStringRaw, nlaU32 } from "./netlink-attr.ts";
import { AF_INET6, AF_UNSPEC, IFF, RTM } from "./rtnl-const.ts";

/** Size of struct ifinfomsg. */
export const IFINFOMSG_LEN = 16;

/** IFLA_* attribute types used here. */
export const IFLA = {
  ADDRESS: 1,
  BROADCAST: 2,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  QDISC: 6,
  STATS: 7,
  MASTER: 10,
  TXQLEN: 13,
  OPERSTATE: 16,
  LINKMODE: 17,
  LINKINFO: 18,
  IFALIAS: 20,
  GROUP: 27,
  EXT_MASK: 29,
  PROMISCUITY: 30,
  CARRIER: 33,
  MIN_MTU: 50,
  MAX_MTU: 51,
  PERM_ADDRESS: 54,
} as const;

/** IFLA_INFO_* (nested in IFLA_LINKINFO). */
export const IFLA_INFO = { KIND: 1, DATA: 2, XSTATS: 3, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;

/** IFLA_MACVLAN_* (nested in IFLA_INFO_DATA for kind "macvlan"). */
export const IFLA_MACVLAN = { MODE: 1, FLAGS: 2 } as const;

/** macvlan modes (IFLA_MACVLAN_MODE values). */
export const MACVLAN_MODE = { PRIVATE: 1, VEPA: 2, BRIDGE: 4, PASSTHRU: 8, SOURCE: 16 } as const;

/** RTEXT_FILTER_* bits for IFLA_EXT_MASK. */
export const RTEXT_FILTER = { VF: 1, BRVLAN: 2, BRVLAN_COMPRESSED: 4, SKIP_STATS: 8 } as const;

/** The macvlan mode names keepalived's vmac config uses. */
export type MacvlanModeName = "private" | "vepa" | "bridge" | "passthru" | "source";

/** A decoded RTM_NEWLINK / RTM_DELLINK message. */
export interface LinkMessage {
  family: number;
  /** ARPHRD_* hardware type (1 = Ethernet, 772 = loopback). */
  type: number;
  index: number;
  /** IFF_* flags. */
  flags: number;
  change: number;
  name?: string;
  /** Link-layer address, "aa:bb:cc:dd:ee:ff". */
  address?: string;
  broadcast?: string;
  permAddress?: string;
  /** Bytes. */
  mtu?: number;
  /** IF_OPER_* value. */
  operstate?: number;
  /** Parent interface index (macvlan lower device, veth peer). */
  link?: number;
  /** Master (bridge / bond / VRF) interface index. */
  master?: number;
  txqlen?: number;
  carrier?: boolean;
  alias?: string;
  /** IFLA_INFO_KIND, e.g. "macvlan", "veth". */
  kind?: string;
  /** IFLA_MACVLAN_MODE when kind is macvlan. */
  macvlanMode?: number;
}

function ifinfomsg(family: number, index: number, flags: number, change: number, type = 0): Uint8Array {
  const b = new Uint8Array(IFINFOMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, family);
  v.setUint16(2, type, true);
  v.setInt32(4, index, true);
  v.setUint32(8, flags >>> 0, true);
  v.setUint32(12, change >>> 0, true);
  return b;
}

/** The RFC 5798 section 7.3 virtual router MAC for a VRID: 00:00:5e:00:01:XX (IPv4) / 00:00:5e:00:02:XX (IPv6). */
export function vmacAddress(vrid: number, family = 2): string {
  const hex = (n: number): string => n.toString(16).padStart(2, "0");
  return `00:00:5e:00:${family === AF_INET6 ? "02" : "01"}:${hex(vrid & 0xff)}`;
}

/** keepalived's default VMAC interface name for a VRID: "vrrp.<VRID>". */
export function vmacName(vrid: number): string {
  return `vrrp.${vrid}`;
}

/** Maps a macvlan mode name to its IFLA_MACVLAN_MODE value. */
export function macvlanMode(name: MacvlanModeName): number {
  return MACVLAN_MODE[name.toUpperCase() as keyof typeof MACVLAN_MODE];
}

/** A macvlan to create (keepalived VMAC). */
export interface MacvlanRequest {
  /** New interface name, e.g. "vrrp.51". */
  name: string;
  /** Lower (parent) interface index. */
  parentIndex: number;
  /** MAC address; omitted lets the kernel pick a random one. */
  mac?: string;
  /** @default MACVLAN_MODE.PRIVATE */
  mode?: number;
}

/** RTM_NEWLINK creating a macvlan (like `ip link add link P name N address M type macvlan mode X`). */
export function encodeMacvlanAdd(r: MacvlanRequest, seq: number): Uint8Array {
  const body = concatBytes(
    ifinfomsg(AF_UNSPEC, 0, 0, 0),
    r.mac !== undefined && nlaMac(IFLA.ADDRESS, r.mac),
    nlaU32(IFLA.LINK, r.parentIndex),
    nlaString(IFLA.IFNAME, r.name),
    nlaNested(IFLA.LINKINFO, [
      nlaStringRaw(IFLA_INFO.KIND, "macvlan"),
      nlaNested(IFLA_INFO.DATA, [nlaU32(IFLA_MACVLAN.MODE, r.mode ?? MACVLAN_MODE.PRIVATE)]),
    ]),
  );
  return nlmsg(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE, seq, body);
}

/** Changes to an existing link; only the given fields are sent. */
export interface LinkSetRequest {
  index: number;
  /** true = IFF_UP set, false = cleared (ifi_change = IFF_UP); undefined = untouched. */
  up?: boolean;
  /** Bytes. */
  mtu?: number;
  mac?: string;
  name?: string;
  /** Master ifindex (0 = release). */
  master?: number;
}

/** RTM_NEWLINK modifying a link (like `ip link set dev X up|down mtu N address M name N master M`). */
export function encodeLinkSet(r: LinkSetRequest, seq: number): Uint8Array {
  const change = r.up === undefined ? 0 : IFF.UP;
  const flags = r.up ? IFF.UP : 0;
  const body = concatBytes(
    ifinfomsg(AF_UNSPEC, r.index, flags, change),
    r.mtu !== undefined && nlaU32(IFLA.MTU, r.mtu),
    r.mac !== undefined && nlaMac(IFLA.ADDRESS, r.mac),
    r.name !== undefined && nlaString(IFLA.IFNAME, r.name),
    r.master !== undefined && nlaU32(IFLA.MASTER, r.master),
  );
  return nlmsg(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK, seq, body);
}

/** RTM_DELLINK for an interface index (like `ip link del X`). */
export function encodeLinkDel(index: number, seq: number): Uint8Array {
  return nlmsg(RTM.DELLINK, NLM_F.REQUEST | NLM_F.ACK, seq, ifinfomsg(AF_UNSPEC, index, 0, 0));
}

/** RTM_GETLINK for one link by index or name (like iproute2's lookup: IFLA_EXT_MASK then IFLA_IFNAME). */
export function encodeLinkGet(
  q: { index?: number; name?: string },
  seq: number,
  extMask: number = RTEXT_FILTER.VF | RTEXT_FILTER.SKIP_STATS,
): Uint8Array {
  const body = concatBytes(
    ifinfomsg(AF_UNSPEC, q.index ?? 0, 0, 0),
    nlaU32(IFLA.EXT_MASK, extMask),
    q.name !== undefined && nlaString(IFLA.IFNAME, q.name),
  );
  return nlmsg(RTM.GETLINK, NLM_F.REQUEST, seq, body);
}

/** RTM_GETLINK dump of all links (iproute2 uses family AF_PACKET = 17 and IFLA_EXT_MASK = VF). */
export function encodeLinkDump(seq: number, family = 17, extMask: number = RTEXT_FILTER.VF): Uint8Array {
  const body = concatBytes(ifinfomsg(family, 0, 0, 0), nlaU32(IFLA.EXT_MASK, extMask));
  return nlmsg(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, seq, body);
}

function parseLinkInfo(r: AttrReader, out: LinkMessage): AttrReader | undefined {
  const info = r.nested(IFLA.LINKINFO, "IFLA_LINKINFO");
  if (!info) return undefined;
  const kind = info.str(IFLA_INFO.KIND);
  if (kind !== undefined) out.kind = kind;
  if (kind === "macvlan" && info.has(IFLA_INFO.DATA)) {
    const data = info.nested(IFLA_INFO.DATA, "IFLA_INFO_DATA");
    const mode = data?.u32(IFLA_MACVLAN.MODE);
    if (mode !== undefined) out.macvlanMode = mode;
    info.adopt(data);
  }
  return info;
}

/** Parses an RTM_NEWLINK / RTM_DELLINK message (dump entry, GET reply or multicast event). */
export function parseLinkMessage(msg: NlMessage): Result<LinkMessage> {
  const t = msg.header.type;
  if (t !== RTM.NEWLINK && t !== RTM.DELLINK) return { ok: false, reason: `message type ${t} is not a link message` };
  const p = msg.payload;
  if (p.length < IFINFOMSG_LEN) return { ok: false, reason: `ifinfomsg truncated: ${p.length} bytes, need 16` };
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const ar = AttrReader.parse(p.subarray(IFINFOMSG_LEN), "IFLA");
  if (!ar.ok) return ar;
  const r = ar.value;
  const out: LinkMessage = {
    family: v.getUint8(0),
    type: v.getUint16(2, true),
    index: v.getInt32(4, true),
    flags: v.getUint32(8, true),
    change: v.getUint32(12, true),
  };
  const opt = <K extends keyof LinkMessage>(k: K, val: LinkMessage[K] | undefined): void => {
    if (val !== undefined) out[k] = val;
  };
  opt("name", r.str(IFLA.IFNAME));
  opt("address", r.mac(IFLA.ADDRESS));
  opt("broadcast", r.mac(IFLA.BROADCAST));
  opt("permAddress", r.mac(IFLA.PERM_ADDRESS));
  opt("mtu", r.u32(IFLA.MTU));
  opt("operstate", r.u8(IFLA.OPERSTATE));
  opt("link", r.u32(IFLA.LINK));
  opt("master", r.u32(IFLA.MASTER));
  opt("txqlen", r.u32(IFLA.TXQLEN));
  const carrier = r.u8(IFLA.CARRIER);
  if (carrier !== undefined) out.carrier = carrier !== 0;
  opt("alias", r.str(IFLA.IFALIAS));
  const info = parseLinkInfo(r, out);
  return r.result(out, info);
}

/** True when the link is administratively up and has carrier (IFF_UP and IFF_RUNNING). */
export function linkIsUp(l: Pick<LinkMessage, "flags">): boolean {
  return (l.flags & IFF.UP) !== 0 && (l.flags & IFF.RUNNING) !== 0;
}
