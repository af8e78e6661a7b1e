/**
 * Decoders for IPVS generic netlink replies (Linux UAPI linux/ip_vs.h): GET_SERVICE / GET_DEST /
 * GET_DAEMON dump entries (sent by the kernel as NEW_SERVICE / NEW_DEST / NEW_DAEMON), the GET_CONFIG
 * reply (SET_CONFIG with timeouts) and the GET_INFO reply (SET_INFO). Also used to read back our own
 * requests in tests. Never throws on wire input. Host byte order: little-endian assumed.
 */
import { bytesToAddr, type NlMessage } from "./netlink.ts";
import type { Result } from "./result.ts";
import { AttrReader } from "./netlink-attr.ts";
import { parseGenl } from "./genl.ts";
import {
  fwdMethodName,
  IPVS_CMD,
  IPVS_CMD_ATTR,
  IPVS_DAEMON_ATTR,
  IPVS_DEST_ATTR,
  IPVS_INFO_ATTR,
  IPVS_STATS_ATTR,
  IPVS_SVC_ATTR,
  type IpvsDaemon,
  type IpvsDest,
  type IpvsService,
  type IpvsStats,
  type IpvsTimeouts,
} from "./ipvs.ts";

/** Top-level attributes of an IPVS message, after checking its command is one of `cmds`. */
function top(msg: NlMessage, cmds: number[], what: string): Result<{ cmd: number; r: AttrReader }> {
  const g = parseGenl(msg);
  if (!g.ok) return g;
  if (!cmds.includes(g.value.cmd)) return { ok: false, reason: `IPVS command ${g.value.cmd} is not a ${what} message` };
  const r = AttrReader.parse(g.value.attrs, "IPVS_CMD_ATTR");
  return r.ok ? { ok: true, value: { cmd: g.value.cmd, r: r.value } } : r;
}

function inetAddr(r: AttrReader, type: number, af: number): string | undefined {
  const b = r.raw(type);
  if (b === undefined) return undefined;
  const want = af === 10 ? 16 : 4;
  if (b.length < want) {
    r.fail(`attribute ${type}: address of ${b.length} bytes for family ${af}`);
    return undefined;
  }
  return bytesToAddr(b.subarray(0, want));
}

/** Decodes a nested stats block; STATS64 values are u64, STATS values u32 except the byte counters. */
function parseStats(parent: AttrReader, type: number, wide: boolean): IpvsStats | undefined {
  const s = parent.nested(type, wide ? "STATS64" : "STATS");
  if (!s) return undefined;
  const get = (t: number, u64: boolean): number => Number((u64 ? s.u64(t) : s.u32(t)) ?? 0);
  const out: IpvsStats = {
    conns: get(IPVS_STATS_ATTR.CONNS, wide),
    inPkts: get(IPVS_STATS_ATTR.INPKTS, wide),
    outPkts: get(IPVS_STATS_ATTR.OUTPKTS, wide),
    inBytes: get(IPVS_STATS_ATTR.INBYTES, true),
    outBytes: get(IPVS_STATS_ATTR.OUTBYTES, true),
    cps: get(IPVS_STATS_ATTR.CPS, wide),
    inPps: get(IPVS_STATS_ATTR.INPPS, wide),
    outPps: get(IPVS_STATS_ATTR.OUTPPS, wide),
    inBps: get(IPVS_STATS_ATTR.INBPS, wide),
    outBps: get(IPVS_STATS_ATTR.OUTBPS, wide),
  };
  parent.adopt(s);
  return out;
}

function stats(r: AttrReader, stats64: number, stats32: number): IpvsStats | undefined {
  return r.has(stats64) ? parseStats(r, stats64, true) : parseStats(r, stats32, false);
}

/** Decodes the contents of an IPVS_CMD_ATTR_SERVICE nest. */
export function parseServiceAttrs(s: AttrReader): Result<IpvsService> {
  const af = s.u16(IPVS_SVC_ATTR.AF);
  if (af === undefined) return { ok: false, reason: s.error ?? "IPVS service without IPVS_SVC_ATTR_AF" };
  const out: IpvsService = { af, sched: s.str(IPVS_SVC_ATTR.SCHED_NAME) ?? "", flags: 0, timeout: 0, netmask: 0 };
  const fwmark = s.u32(IPVS_SVC_ATTR.FWMARK);
  if (fwmark !== undefined && fwmark !== 0) out.fwmark = fwmark;
  const protocol = s.u16(IPVS_SVC_ATTR.PROTOCOL);
  if (protocol !== undefined && out.fwmark === undefined) {
    out.protocol = protocol;
    const addr = inetAddr(s, IPVS_SVC_ATTR.ADDR, af);
    if (addr !== undefined) out.addr = addr;
    out.port = s.be16(IPVS_SVC_ATTR.PORT) ?? 0;
  }
  const flags = s.sized(IPVS_SVC_ATTR.FLAGS, 4);
  if (flags) out.flags = new DataView(flags.buffer, flags.byteOffset, 4).getUint32(0, true);
  out.timeout = s.u32(IPVS_SVC_ATTR.TIMEOUT) ?? 0;
  out.netmask = (af === 10 ? s.u32(IPVS_SVC_ATTR.NETMASK) : s.be32(IPVS_SVC_ATTR.NETMASK)) ?? 0;
  const pe = s.str(IPVS_SVC_ATTR.PE_NAME);
  if (pe !== undefined) out.peName = pe;
  const st = stats(s, IPVS_SVC_ATTR.STATS64, IPVS_SVC_ATTR.STATS);
  if (st) out.stats = st;
  return s.result(out);
}

/** Decodes the contents of an IPVS_CMD_ATTR_DEST nest; `af` is the service family (default for the address). */
export function parseDestAttrs(d: AttrReader, af: number): Result<IpvsDest> {
  const addrFamily = d.u16(IPVS_DEST_ATTR.ADDR_FAMILY);
  const addr = inetAddr(d, IPVS_DEST_ATTR.ADDR, addrFamily ?? af);
  if (addr === undefined) return { ok: false, reason: d.error ?? "IPVS dest without IPVS_DEST_ATTR_ADDR" };
  const fwdRaw = d.u32(IPVS_DEST_ATTR.FWD_METHOD) ?? 0;
  const fwd = fwdMethodName(fwdRaw);
  if (fwd === undefined) return { ok: false, reason: `IPVS dest: unknown forwarding method ${fwdRaw}` };
  const out: IpvsDest = {
    addr,
    port: d.be16(IPVS_DEST_ATTR.PORT) ?? 0,
    fwd,
    weight: d.s32(IPVS_DEST_ATTR.WEIGHT) ?? 0,
    uThresh: d.u32(IPVS_DEST_ATTR.U_THRESH) ?? 0,
    lThresh: d.u32(IPVS_DEST_ATTR.L_THRESH) ?? 0,
  };
  if (addrFamily !== undefined) out.addrFamily = addrFamily;
  const opt = <K extends keyof IpvsDest>(k: K, v: IpvsDest[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  opt("tunType", d.u8(IPVS_DEST_ATTR.TUN_TYPE));
  opt("tunPort", d.be16(IPVS_DEST_ATTR.TUN_PORT));
  opt("tunFlags", d.u16(IPVS_DEST_ATTR.TUN_FLAGS));
  opt("activeConns", d.u32(IPVS_DEST_ATTR.ACTIVE_CONNS));
  opt("inactConns", d.u32(IPVS_DEST_ATTR.INACT_CONNS));
  opt("persistConns", d.u32(IPVS_DEST_ATTR.PERSIST_CONNS));
  opt("stats", stats(d, IPVS_DEST_ATTR.STATS64, IPVS_DEST_ATTR.STATS));
  return d.result(out);
}

/** Parses a service message (GET_SERVICE dump entry / reply, or our NEW/SET/DEL request). */
export function parseIpvsService(msg: NlMessage): Result<IpvsService> {
  const t = top(msg, [IPVS_CMD.NEW_SERVICE, IPVS_CMD.SET_SERVICE, IPVS_CMD.DEL_SERVICE, IPVS_CMD.GET_SERVICE], "service");
  if (!t.ok) return t;
  const s = t.value.r.nested(IPVS_CMD_ATTR.SERVICE, "SERVICE");
  if (!s) return { ok: false, reason: t.value.r.error ?? "IPVS service message without IPVS_CMD_ATTR_SERVICE" };
  return parseServiceAttrs(s);
}

/** A destination message: the real server plus the service key when the message carries one. */
export interface IpvsDestEntry {
  dest: IpvsDest;
  service?: IpvsService;
}

/** Parses a destination message (GET_DEST dump entry, or our NEW/SET/DEL_DEST request). */
export function parseIpvsDest(msg: NlMessage, serviceAf = 2): Result<IpvsDestEntry> {
  const t = top(msg, [IPVS_CMD.NEW_DEST, IPVS_CMD.SET_DEST, IPVS_CMD.DEL_DEST], "destination");
  if (!t.ok) return t;
  const r = t.value.r;
  let service: IpvsService | undefined;
  const s = r.nested(IPVS_CMD_ATTR.SERVICE, "SERVICE");
  if (s) {
    const sv = parseServiceAttrs(s);
    if (!sv.ok) return sv;
    service = sv.value;
  }
  const d = r.nested(IPVS_CMD_ATTR.DEST, "DEST");
  if (!d) return { ok: false, reason: r.error ?? "IPVS destination message without IPVS_CMD_ATTR_DEST" };
  const dest = parseDestAttrs(d, service?.af ?? serviceAf);
  if (!dest.ok) return dest;
  return { ok: true, value: service ? { dest: dest.value, service } : { dest: dest.value } };
}

/** Parses a sync daemon message (GET_DAEMON dump entry, or our NEW/DEL_DAEMON request). */
export function parseIpvsDaemon(msg: NlMessage): Result<IpvsDaemon> {
  const t = top(msg, [IPVS_CMD.NEW_DAEMON, IPVS_CMD.DEL_DAEMON], "daemon");
  if (!t.ok) return t;
  const d = t.value.r.nested(IPVS_CMD_ATTR.DAEMON, "DAEMON");
  if (!d) return { ok: false, reason: t.value.r.error ?? "IPVS daemon message without IPVS_CMD_ATTR_DAEMON" };
  const out: IpvsDaemon = {
    state: d.u32(IPVS_DAEMON_ATTR.STATE) ?? 0,
    mcastIfn: d.str(IPVS_DAEMON_ATTR.MCAST_IFN) ?? "",
    syncId: d.u32(IPVS_DAEMON_ATTR.SYNC_ID) ?? 0,
  };
  const opt = <K extends keyof IpvsDaemon>(k: K, v: IpvsDaemon[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  opt("syncMaxLen", d.u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN));
  opt("mcastGroup", d.has(IPVS_DAEMON_ATTR.MCAST_GROUP6) ? d.addr(IPVS_DAEMON_ATTR.MCAST_GROUP6) : d.addr(IPVS_DAEMON_ATTR.MCAST_GROUP));
  opt("mcastPort", d.u16(IPVS_DAEMON_ATTR.MCAST_PORT));
  opt("mcastTtl", d.u8(IPVS_DAEMON_ATTR.MCAST_TTL));
  return d.result(out);
}

/** Parses the GET_CONFIG reply (or our SET_CONFIG request): the three timeouts in seconds. */
export function parseIpvsConfig(msg: NlMessage): Result<IpvsTimeouts> {
  const t = top(msg, [IPVS_CMD.SET_CONFIG], "config");
  if (!t.ok) return t;
  const r = t.value.r;
  return r.result({
    tcp: r.u32(IPVS_CMD_ATTR.TIMEOUT_TCP) ?? 0,
    tcpFin: r.u32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN) ?? 0,
    udp: r.u32(IPVS_CMD_ATTR.TIMEOUT_UDP) ?? 0,
  });
}

/** IPVS version and connection table size from the GET_INFO reply. */
export interface IpvsInfo {
  /** (major << 16) | (minor << 8) | patch, e.g. 0x010201 = 1.2.1. */
  version: number;
  connTabSize: number;
}

/** Parses the GET_INFO reply (cmd SET_INFO). */
export function parseIpvsInfo(msg: NlMessage): Result<IpvsInfo> {
  const t = top(msg, [IPVS_CMD.SET_INFO], "info");
  if (!t.ok) return t;
  const r = t.value.r;
  const version = r.u32(IPVS_INFO_ATTR.VERSION);
  if (version === undefined) return { ok: false, reason: r.error ?? "IPVS info without IPVS_INFO_ATTR_VERSION" };
  return r.result({ version, connTabSize: r.u32(IPVS_INFO_ATTR.CONN_TAB_SIZE) ?? 0 });
}
