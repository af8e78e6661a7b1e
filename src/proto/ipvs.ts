/**
 * IPVS generic netlink family "IPVS" (Linux UAPI linux/ip_vs.h; semantics per ipvsadm(8)): numbers,
 * typed IpvsService / IpvsDest / IpvsDaemon values and an encoder for every command: services
 * (NEW/SET/DEL/GET_SERVICE), real servers (NEW/SET/DEL/GET_DEST), sync daemons (NEW/DEL/GET_DAEMON),
 * timeouts (SET/GET_CONFIG), GET_INFO, ZERO and FLUSH. keepalived's checker drives these from its
 * `virtual_server` / `real_server` blocks (lb_algo, lb_kind, persistence_timeout, persistence_granularity,
 * weight, uthreshold, lthreshold, tunnel_type) and `lvs_sync_daemon`; ipvs-parse.ts decodes the replies.
 *
 * Addresses travel as 16-byte union nf_inet_addr (IPv4 in the first 4 bytes); ports are big-endian;
 * everything else host order, assumed little-endian (x86-64, arm64). Nests are sent without
 * NLA_F_NESTED, as libnl-based ipvsadm does; the IPVS family does not use strict validation.
 */
import { addrToBytes, NLM_F } from "./netlink.ts";
import { concatBytes, nla, nlaBe16, nlaNested, nlaString, nlaU16, nlaU32, nlaU8 } from "./netlink-attr.ts";
import { genlmsg } from "./genl.ts";

/** Family name to resolve with CTRL_CMD_GETFAMILY. */
export const IPVS_GENL_NAME = "IPVS";
/** genlmsghdr.version for IPVS. */
export const IPVS_GENL_VERSION = 1;

/** IPVS commands. */
export const IPVS_CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** Top-level attributes. */
export const IPVS_CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

/** Service attributes (nested in IPVS_CMD_ATTR_SERVICE). */
export const IPVS_SVC_ATTR = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

/** Destination attributes (nested in IPVS_CMD_ATTR_DEST). */
export const IPVS_DEST_ATTR = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

/** Sync daemon attributes (nested in IPVS_CMD_ATTR_DAEMON). */
export const IPVS_DAEMON_ATTR = {
  STATE: 1,
  MCAST_IFN: 2,
  SYNC_ID: 3,
  SYNC_MAXLEN: 4,
  MCAST_GROUP: 5,
  MCAST_GROUP6: 6,
  MCAST_PORT: 7,
  MCAST_TTL: 8,
} as const;

/** Statistics attributes (nested in *_ATTR_STATS / *_ATTR_STATS64). */
export const IPVS_STATS_ATTR = {
  CONNS: 1,
  INPKTS: 2,
  OUTPKTS: 3,
  INBYTES: 4,
  OUTBYTES: 5,
  CPS: 6,
  INPPS: 7,
  OUTPPS: 8,
  INBPS: 9,
  OUTBPS: 10,
} as const;

/** GET_INFO reply attributes. */
export const IPVS_INFO_ATTR = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** Service flags (IP_VS_SVC_F_*). */
export const IP_VS_SVC_F = { PERSISTENT: 0x1, HASHED: 0x2, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20 } as const;

/** Forwarding methods (IP_VS_CONN_F_* & IP_VS_CONN_F_FWD_MASK). */
export const IP_VS_CONN_F = { FWD_MASK: 0x7, MASQ: 0, LOCALNODE: 1, TUNNEL: 2, DROUTE: 3, BYPASS: 4 } as const;

/** Tunnel types for IPVS_DEST_ATTR_TUN_TYPE. */
export const IP_VS_TUNNEL_TYPE = { IPIP: 0, GUE: 1, GRE: 2 } as const;
/** Tunnel flags for IPVS_DEST_ATTR_TUN_FLAGS. */
export const IP_VS_TUNNEL_FLAG = { NOCSUM: 0, CSUM: 1, REMCSUM: 2 } as const;

/** Sync daemon states (IP_VS_STATE_*). */
export const IP_VS_STATE = { NONE: 0, MASTER: 1, BACKUP: 2 } as const;

/** Forwarding method names as ipvsadm / keepalived lb_kind spell them. */
export type FwdMethod = "masq" | "local" | "tunnel" | "route" | "bypass";

const FWD_BY_NAME: Record<FwdMethod, number> = { masq: 0, local: 1, tunnel: 2, route: 3, bypass: 4 };
const FWD_NAMES: FwdMethod[] = ["masq", "local", "tunnel", "route", "bypass"];

/** Forwarding method name to IP_VS_CONN_F value. */
export function fwdMethodValue(m: FwdMethod): number {
  return FWD_BY_NAME[m];
}
/** IP_VS_CONN_F value (masked) to name; undefined for values the kernel does not define. */
export function fwdMethodName(v: number): FwdMethod | undefined {
  return FWD_NAMES[v & IP_VS_CONN_F.FWD_MASK];
}

/** Counters and rates of a service or destination (u64 on the wire; exact below 2^53). */
export interface IpvsStats {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
  /** Connections per second. */
  cps: number;
  inPps: number;
  outPps: number;
  /** Bytes per second. */
  inBps: number;
  outBps: number;
}

/** Which service: a (protocol, address, port) triple or a firewall mark, always with its family. */
export interface IpvsServiceKey {
  /** AF_INET (2) or AF_INET6 (10). */
  af: number;
  /** IPPROTO_TCP 6, IPPROTO_UDP 17, IPPROTO_SCTP 132; ignored with fwmark. */
  protocol?: number;
  addr?: string;
  port?: number;
  fwmark?: number;
}

/** A virtual service. */
export interface IpvsService extends IpvsServiceKey {
  /** Scheduler name: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh. */
  sched: string;
  /** IP_VS_SVC_F_* flags (persistent, onepacket, scheduler flags). */
  flags: number;
  /** Persistence timeout, seconds. */
  timeout: number;
  /** Persistence granularity: IPv4 mask as a 32-bit number (0xffffffff), IPv6 prefix length. */
  netmask: number;
  /** Persistence engine name, e.g. "sip". */
  peName?: string;
  stats?: IpvsStats;
}

/** A real server. */
export interface IpvsDest {
  addr: string;
  port: number;
  /** Destination family when it differs from the service (tunnelled IPv6-over-IPv4). */
  addrFamily?: number;
  fwd: FwdMethod;
  weight: number;
  /** Upper / lower connection thresholds (0 = none). */
  uThresh: number;
  lThresh: number;
  tunType?: number;
  /** GUE tunnel port. */
  tunPort?: number;
  tunFlags?: number;
  activeConns?: number;
  inactConns?: number;
  persistConns?: number;
  stats?: IpvsStats;
}

/** A connection-sync daemon (lvs_sync_daemon). */
export interface IpvsDaemon {
  /** IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP. */
  state: number;
  /** Interface name for the sync multicast. */
  mcastIfn: string;
  syncId: number;
  /** Max UDP payload size, bytes. */
  syncMaxLen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

/** TCP / TCP FIN / UDP timeouts, seconds (0 = leave unchanged on SET). */
export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

function inetAddr(addr: string): Uint8Array {
  const b = addrToBytes(addr);
  if (!b) throw new RangeError(`invalid IP address "${addr}"`);
  const out = new Uint8Array(16);
  out.set(b);
  return out;
}

function netmaskAttr(af: number, netmask: number): Uint8Array {
  if (af === 10) return nlaU32(IPVS_SVC_ATTR.NETMASK, netmask);
  const buf = new ArrayBuffer(4);
  new DataView(buf).setUint32(0, netmask >>> 0, false);
  return nla(IPVS_SVC_ATTR.NETMASK, new Uint8Array(buf));
}

function serviceKeyAttrs(k: IpvsServiceKey): Uint8Array[] {
  const parts = [nlaU16(IPVS_SVC_ATTR.AF, k.af)];
  if (k.fwmark !== undefined && k.fwmark !== 0) {
    parts.push(nlaU32(IPVS_SVC_ATTR.FWMARK, k.fwmark));
  } else {
    parts.push(nlaU16(IPVS_SVC_ATTR.PROTOCOL, k.protocol ?? 6));
    parts.push(nla(IPVS_SVC_ATTR.ADDR, inetAddr(k.addr ?? (k.af === 10 ? "::" : "0.0.0.0"))));
    parts.push(nlaBe16(IPVS_SVC_ATTR.PORT, k.port ?? 0));
  }
  return parts;
}

/** IPVS_CMD_ATTR_SERVICE for a full service (NEW / SET). */
export function serviceAttr(s: IpvsService): Uint8Array {
  const fb = new ArrayBuffer(8);
  const flags = new Uint8Array(fb);
  const v = new DataView(fb);
  v.setUint32(0, s.flags >>> 0, true);
  v.setUint32(4, 0xffffffff, true);
  return nlaNested(IPVS_CMD_ATTR.SERVICE, [
    ...serviceKeyAttrs(s),
    nlaString(IPVS_SVC_ATTR.SCHED_NAME, s.sched),
    s.peName !== undefined && nlaString(IPVS_SVC_ATTR.PE_NAME, s.peName),
    nla(IPVS_SVC_ATTR.FLAGS, flags),
    nlaU32(IPVS_SVC_ATTR.TIMEOUT, s.timeout),
    netmaskAttr(s.af, s.netmask),
  ]);
}

/** IPVS_CMD_ATTR_SERVICE holding only the key (DEL / GET / dest commands). */
export function serviceKeyAttr(k: IpvsServiceKey): Uint8Array {
  return nlaNested(IPVS_CMD_ATTR.SERVICE, serviceKeyAttrs(k));
}

/** IPVS_CMD_ATTR_DEST for a real server; `full` adds forwarding, weight and thresholds (NEW / SET). */
export function destAttr(d: IpvsDest, full = true): Uint8Array {
  const tunnel = d.fwd === "tunnel" && d.tunType !== undefined;
  return nlaNested(IPVS_CMD_ATTR.DEST, [
    nla(IPVS_DEST_ATTR.ADDR, inetAddr(d.addr)),
    nlaBe16(IPVS_DEST_ATTR.PORT, d.port),
    full && nlaU32(IPVS_DEST_ATTR.FWD_METHOD, fwdMethodValue(d.fwd)),
    full && nlaU32(IPVS_DEST_ATTR.WEIGHT, d.weight),
    full && tunnel && nlaU8(IPVS_DEST_ATTR.TUN_TYPE, d.tunType ?? 0),
    full && tunnel && d.tunPort !== undefined && nlaBe16(IPVS_DEST_ATTR.TUN_PORT, d.tunPort),
    full && tunnel && d.tunFlags !== undefined && nlaU16(IPVS_DEST_ATTR.TUN_FLAGS, d.tunFlags),
    full && nlaU32(IPVS_DEST_ATTR.U_THRESH, d.uThresh),
    full && nlaU32(IPVS_DEST_ATTR.L_THRESH, d.lThresh),
    d.addrFamily !== undefined && nlaU16(IPVS_DEST_ATTR.ADDR_FAMILY, d.addrFamily),
  ]);
}

const DO = NLM_F.REQUEST | NLM_F.ACK;
const DUMP = NLM_F.REQUEST | NLM_F.DUMP;

/** Builds an IPVS message; `family` is the id CTRL_CMD_GETFAMILY returned for "IPVS". */
export function ipvsMsg(family: number, cmd: number, flags: number, seq: number, ...attrs: (Uint8Array | false)[]): Uint8Array {
  return genlmsg(family, cmd, IPVS_GENL_VERSION, flags, seq, concatBytes(...attrs));
}

/** IPVS_CMD_NEW_SERVICE (ipvsadm -A). */
export function encodeIpvsNewService(family: number, seq: number, s: IpvsService): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.NEW_SERVICE, DO, seq, serviceAttr(s));
}
/** IPVS_CMD_SET_SERVICE (ipvsadm -E). */
export function encodeIpvsSetService(family: number, seq: number, s: IpvsService): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.SET_SERVICE, DO, seq, serviceAttr(s));
}
/** IPVS_CMD_DEL_SERVICE (ipvsadm -D). */
export function encodeIpvsDelService(family: number, seq: number, k: IpvsServiceKey): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.DEL_SERVICE, DO, seq, serviceKeyAttr(k));
}
/** IPVS_CMD_GET_SERVICE for one service, or a dump of all when `k` is omitted (ipvsadm -L). */
export function encodeIpvsGetService(family: number, seq: number, k?: IpvsServiceKey): Uint8Array {
  return k ? ipvsMsg(family, IPVS_CMD.GET_SERVICE, DO, seq, serviceKeyAttr(k)) : ipvsMsg(family, IPVS_CMD.GET_SERVICE, DUMP, seq);
}
/** IPVS_CMD_NEW_DEST (ipvsadm -a). */
export function encodeIpvsNewDest(family: number, seq: number, k: IpvsServiceKey, d: IpvsDest): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.NEW_DEST, DO, seq, serviceKeyAttr(k), destAttr(d));
}
/** IPVS_CMD_SET_DEST (ipvsadm -e; keepalived's weight changes). */
export function encodeIpvsSetDest(family: number, seq: number, k: IpvsServiceKey, d: IpvsDest): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.SET_DEST, DO, seq, serviceKeyAttr(k), destAttr(d));
}
/** IPVS_CMD_DEL_DEST (ipvsadm -d). */
export function encodeIpvsDelDest(family: number, seq: number, k: IpvsServiceKey, d: Pick<IpvsDest, "addr" | "port" | "addrFamily">): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.DEL_DEST, DO, seq, serviceKeyAttr(k), destAttr({ ...d, fwd: "masq", weight: 0, uThresh: 0, lThresh: 0 }, false));
}
/** IPVS_CMD_GET_DEST dump of one service's real servers. */
export function encodeIpvsGetDests(family: number, seq: number, k: IpvsServiceKey): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.GET_DEST, DUMP, seq, serviceKeyAttr(k));
}

function daemonAttr(d: Partial<IpvsDaemon> & { state: number }): Uint8Array {
  const g = d.mcastGroup;
  return nlaNested(IPVS_CMD_ATTR.DAEMON, [
    nlaU32(IPVS_DAEMON_ATTR.STATE, d.state),
    d.mcastIfn !== undefined && nlaString(IPVS_DAEMON_ATTR.MCAST_IFN, d.mcastIfn),
    d.syncId !== undefined && nlaU32(IPVS_DAEMON_ATTR.SYNC_ID, d.syncId),
    d.syncMaxLen !== undefined && nlaU16(IPVS_DAEMON_ATTR.SYNC_MAXLEN, d.syncMaxLen),
    g !== undefined && !g.includes(":") && nla(IPVS_DAEMON_ATTR.MCAST_GROUP, addrToBytes(g) ?? new Uint8Array(4)),
    g !== undefined && g.includes(":") && nla(IPVS_DAEMON_ATTR.MCAST_GROUP6, inetAddr(g)),
    // Host byte order: the kernel keeps the sync port as a plain u16 (unlike service and real server ports).
    d.mcastPort !== undefined && nlaU16(IPVS_DAEMON_ATTR.MCAST_PORT, d.mcastPort),
    d.mcastTtl !== undefined && nlaU8(IPVS_DAEMON_ATTR.MCAST_TTL, d.mcastTtl),
  ]);
}

/** IPVS_CMD_NEW_DAEMON (ipvsadm --start-daemon). */
export function encodeIpvsNewDaemon(family: number, seq: number, d: IpvsDaemon): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.NEW_DAEMON, DO, seq, daemonAttr(d));
}
/** IPVS_CMD_DEL_DAEMON (ipvsadm --stop-daemon master|backup). */
export function encodeIpvsDelDaemon(family: number, seq: number, state: number): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.DEL_DAEMON, DO, seq, daemonAttr({ state }));
}
/** IPVS_CMD_GET_DAEMON dump. */
export function encodeIpvsGetDaemon(family: number, seq: number): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.GET_DAEMON, DUMP, seq);
}
/** IPVS_CMD_SET_CONFIG (ipvsadm --set tcp tcpfin udp); 0 leaves a timeout unchanged. */
export function encodeIpvsSetConfig(family: number, seq: number, t: IpvsTimeouts): Uint8Array {
  return ipvsMsg(
    family,
    IPVS_CMD.SET_CONFIG,
    DO,
    seq,
    nlaU32(IPVS_CMD_ATTR.TIMEOUT_TCP, t.tcp),
    nlaU32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, t.tcpFin),
    nlaU32(IPVS_CMD_ATTR.TIMEOUT_UDP, t.udp),
  );
}
/** IPVS_CMD_GET_CONFIG (the reply is SET_CONFIG with the three timeouts). */
export function encodeIpvsGetConfig(family: number, seq: number): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.GET_CONFIG, DO, seq);
}
/** IPVS_CMD_GET_INFO (the reply is SET_INFO with version and connection table size). */
export function encodeIpvsGetInfo(family: number, seq: number): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.GET_INFO, DO, seq);
}
/** IPVS_CMD_ZERO: zero the counters of one service, or of all when `k` is omitted (ipvsadm -Z). */
export function encodeIpvsZero(family: number, seq: number, k?: IpvsServiceKey): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.ZERO, DO, seq, k !== undefined && serviceKeyAttr(k));
}
/** IPVS_CMD_FLUSH: remove every service (ipvsadm -C). */
export function encodeIpvsFlush(family: number, seq: number): Uint8Array {
  return ipvsMsg(family, IPVS_CMD.FLUSH, DO, seq);
}
