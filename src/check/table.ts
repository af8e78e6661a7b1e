/**
 * The desired IPVS table, pure (keepalived.conf(5) virtual_server, virtual_server_group,
 * sorry_server, inhibit_on_failure): services from a VS address, a fwmark or a group's address
 * ranges and fwmarks (or, under nftables_ipvs, the one fwmark nft-ipvs-rules.ts gave the group);
 * destinations from the live real servers. A dead real server is left out,
 * or kept with weight 0 under inhibit_on_failure. Without quorum and with a sorry server, the
 * real servers give way to the sorry server (inhibited ones stay with weight 0); with
 * sorry_server_inhibit the sorry server stays with weight 0 while quorum holds.
 * Field names follow src/proto/ipvs.ts (IpvsService / IpvsDest) so the reconciler takes them as is.
 */
import type { ForwardMethod, RealServer, VirtualServer, VirtualServerGroup, VsgEntry } from "../config/model-check.ts";
import { autoFwmarkKey, groupFamilies } from "./nft-ipvs-rules.ts";
import { rsKey, rsPort, type VsStatus } from "./topology.ts";

/** AF_INET / AF_INET6. */
const AF: Record<string, number> = { ipv4: 2, ipv6: 10 };
/** IPPROTO numbers. */
const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };
/** IP_VS_SVC_F_* flags. */
const F_PERSISTENT = 0x1, F_ONEPACKET = 0x4;
const SCHED_FLAGS: Record<string, number> = {
  "flag-1": 0x8,
  "flag-2": 0x10,
  "flag-3": 0x20,
  "sh-fallback": 0x8,
  "sh-port": 0x10,
  "mh-fallback": 0x8,
  "mh-port": 0x10,
};

/** A service to program: key, scheduler and persistence, and its destinations. */
export interface DesiredService {
  af: number;
  protocol?: number;
  addr?: string;
  port?: number;
  fwmark?: number;
  sched: string;
  flags: number;
  /** Persistence timeout, seconds (0 = none). */
  timeout: number;
  /** IPv4: 32-bit mask; IPv6: prefix length. */
  netmask: number;
  peName?: string;
  dests: DesiredDest[];
}

/** A destination (real or sorry server). */
export interface DesiredDest {
  addr: string;
  port: number;
  fwd: "masq" | "route" | "tunnel";
  weight: number;
  uThresh: number;
  lThresh: number;
  tunType?: number;
  tunPort?: number;
  tunFlags?: number;
  /** AF_INET / AF_INET6 when it differs from the service's (a tunnelled IPv4 real server of an IPv6 service). */
  addrFamily?: number;
}

/** Stable text key of a service (for diffs and logs). */
export function serviceId(s: Pick<DesiredService, "af" | "protocol" | "addr" | "port" | "fwmark">): string {
  return s.fwmark !== undefined ? `fwmark:${s.af}:${s.fwmark}` : `${s.protocol}:[${s.addr}]:${s.port}`;
}

/** IPVS forwarding fields of a method. */
export function fwdFields(f: ForwardMethod): Pick<DesiredDest, "fwd" | "tunType" | "tunPort" | "tunFlags"> {
  if (f.method === "DR") return { fwd: "route" };
  if (f.method === "NAT") return { fwd: "masq" };
  const out: Pick<DesiredDest, "fwd" | "tunType" | "tunPort" | "tunFlags"> = { fwd: "tunnel" };
  out.tunType = f.tunnelType === "gue" ? 1 : f.tunnelType === "gre" ? 2 : 0;
  if (f.tunnelPort !== null) out.tunPort = f.tunnelPort;
  if (f.tunnelChecksum !== null) out.tunFlags = { nocsum: 0, csum: 1, remcsum: 2 }[f.tunnelChecksum];
  return out;
}

/** Expands an address range "a-b" of a group entry (the last IPv4 byte or IPv6 group varies). */
export function expandRange(first: string, last: string | null): string[] {
  if (last === null || last === first) return [first];
  if (!first.includes(":")) {
    const p = first.split(".").map(Number);
    const end = Number(last.split(".").at(-1));
    const out: string[] = [];
    for (let b = p[3] ?? 0; b <= end && b <= 255; b++) out.push(`${p[0]}.${p[1]}.${p[2]}.${b}`);
    return out;
  }
  const head = first.slice(0, first.lastIndexOf(":") + 1);
  const from = parseInt(first.slice(first.lastIndexOf(":") + 1) || "0", 16);
  const to = parseInt(last.slice(last.lastIndexOf(":") + 1) || "0", 16);
  const out: string[] = [];
  for (let v = from; v <= to && v <= 0xffff; v++) out.push(head + v.toString(16));
  return out;
}

/** The fwmarks nftables_ipvs gave groups: autoFwmarkKey(group, protocol) -> fwmark. */
export type AutoFwmarks = ReadonlyMap<string, number>;

/** The fwmark a group VS has from nftables_ipvs, if any. */
export function autoFwmarkOf(vs: VirtualServer, auto: AutoFwmarks | undefined): number | undefined {
  return vs.kind === "group" ? auto?.get(autoFwmarkKey(vs.group ?? "", vs.protocol)) : undefined;
}

/** The service keys a VS stands for (one, or one per group address / fwmark, or per family of a group's fwmark). */
export function serviceKeys(
  vs: VirtualServer,
  groups: readonly VirtualServerGroup[],
  auto?: AutoFwmarks,
): Pick<DesiredService, "af" | "protocol" | "addr" | "port" | "fwmark">[] {
  const fam = (f: string | null, a?: string | null) => AF[f ?? (a?.includes(":") ? "ipv6" : "ipv4")] ?? 2;
  const proto = PROTO[vs.protocol] ?? 6;
  if (vs.kind === "fwmark") return [{ af: fam(vs.family), fwmark: vs.fwmark ?? 0 }];
  if (vs.kind === "address") {
    return [{ af: fam(vs.family, vs.address), protocol: proto, addr: vs.address ?? "", port: vs.port ?? 0 }];
  }
  const g = groups.find((x) => x.name === vs.group);
  const mark = autoFwmarkOf(vs, auto);
  if (g && mark !== undefined) return groupFamilies(g).map((f) => ({ af: AF[f]!, fwmark: mark }));
  const out: Pick<DesiredService, "af" | "protocol" | "addr" | "port" | "fwmark">[] = [];
  for (const e of g?.entries ?? []) out.push(...entryKeys(e, vs, proto));
  return out;
}

function entryKeys(
  e: VsgEntry,
  vs: VirtualServer,
  proto: number,
): Pick<DesiredService, "af" | "protocol" | "addr" | "port" | "fwmark">[] {
  if (e.kind === "fwmark") return [{ af: AF[e.family ?? vs.family ?? "ipv4"] ?? 2, fwmark: e.fwmark ?? 0 }];
  const addrs = expandRange(e.address ?? "", e.lastAddress);
  return addrs.map((a) => ({
    af: a.includes(":") ? 10 : 2,
    protocol: proto,
    addr: a,
    port: e.port ?? vs.port ?? 0,
  }));
}

function serviceShape(
  vs: VirtualServer,
  af: number,
): Pick<DesiredService, "sched" | "flags" | "timeout" | "netmask" | "peName"> {
  let flags = vs.ops ? F_ONEPACKET : 0;
  for (const f of vs.schedFlags) flags |= SCHED_FLAGS[f] ?? 0;
  const persistent = vs.persistenceTimeoutMs !== null;
  if (persistent) flags |= F_PERSISTENT;
  const out: Pick<DesiredService, "sched" | "flags" | "timeout" | "netmask" | "peName"> = {
    sched: vs.scheduler,
    flags,
    timeout: persistent ? Math.round((vs.persistenceTimeoutMs ?? 0) / 1000) : 0,
    netmask: af === 10 ? 128 : 0xffffffff,
  };
  if (vs.persistenceGranularity !== null) out.netmask = granularity(vs.persistenceGranularity, af);
  if (vs.persistenceEngine !== null) out.peName = vs.persistenceEngine;
  return out;
}

/** persistence_granularity: an IPv4 dotted mask as a 32-bit number, or an IPv6 prefix length. */
export function granularity(text: string, af: number): number {
  if (af === 10) return Number(text.replace(/^\//, "")) || 128;
  const p = text.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) return 0xffffffff;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function realDest(vs: VirtualServer, rs: RealServer, weight: number): DesiredDest {
  return {
    addr: rs.address,
    port: rsPort(vs, rs),
    ...fwdFields(rs.forward ?? vs.forward),
    weight,
    uThresh: rs.uthreshold ?? 0,
    lThresh: rs.lthreshold ?? 0,
  };
}

/** The destinations of a VS for its current status. */
export function vsDests(vs: VirtualServer, st: VsStatus): DesiredDest[] {
  const sorry = vs.sorryServer;
  const sorryActive = sorry !== null && !st.quorumUp;
  const out: DesiredDest[] = [];
  for (const rs of vs.realServers) {
    const s = st.rs.get(rsKey(vs, rs));
    if (!s) continue;
    const inhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure;
    if (s.alive && !sorryActive) out.push(realDest(vs, rs, s.weight));
    else if (inhibit) out.push(realDest(vs, rs, 0));
  }
  if (sorry && (sorryActive || sorry.inhibit)) {
    out.push({
      addr: sorry.address,
      port: sorry.port ?? vs.port ?? 0,
      ...fwdFields(sorry.forward ?? vs.forward),
      weight: sorryActive ? 1 : 0,
      uThresh: 0,
      lThresh: 0,
    });
  }
  return out;
}

/**
 * A destination's port in one service: a fwmark service's DR and tunnel destinations have none
 * (keepalived 2.2.7 sends 0, also for a group's fwmark entry and an nftables_ipvs fwmark); NAT keeps
 * the real server's.
 */
function destPort(d: DesiredDest, k: Pick<DesiredService, "fwmark">): number {
  return d.fwd !== "masq" && k.fwmark !== undefined ? 0 : d.port;
}

/** The whole desired table of one VS. */
export function vsTable(
  vs: VirtualServer,
  groups: readonly VirtualServerGroup[],
  st: VsStatus,
  auto?: AutoFwmarks,
): DesiredService[] {
  const dests = vsDests(vs, st);
  return serviceKeys(vs, groups, auto).map((k) => ({
    ...k,
    ...serviceShape(vs, k.af),
    dests: dests.map((d) => {
      const af = d.addr.includes(":") ? 10 : 2;
      return { ...d, port: destPort(d, k), ...(af !== k.af ? { addrFamily: af } : {}) };
    }),
  }));
}

/** Lines describing how `next` differs from `prev` ("add dest", "remove dest", "weight"). */
export function describeChanges(prev: readonly DesiredService[], next: readonly DesiredService[]): string[] {
  const lines: string[] = [];
  const before = new Map(prev.map((s) => [serviceId(s), s]));
  const after = new Map(next.map((s) => [serviceId(s), s]));
  const dk = (d: DesiredDest) => `[${d.addr}]:${d.port}`;
  for (const [id, s] of after) {
    const old = before.get(id);
    if (!old) lines.push(`add service ${id}`);
    const od = new Map((old?.dests ?? []).map((d) => [dk(d), d]));
    for (const d of s.dests) {
      const o = od.get(dk(d));
      if (!o) lines.push(`add ${dk(d)} weight ${d.weight} to service ${id}`);
      else if (o.weight !== d.weight) {
        lines.push(`set ${dk(d)} weight ${o.weight} -> ${d.weight} in service ${id}`);
      }
    }
    const nd = new Set(s.dests.map(dk));
    for (const d of old?.dests ?? []) if (!nd.has(dk(d))) lines.push(`remove ${dk(d)} from service ${id}`);
  }
  for (const id of before.keys()) if (!after.has(id)) lines.push(`remove service ${id}`);
  return lines;
}
