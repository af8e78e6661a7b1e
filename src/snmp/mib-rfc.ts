/**
 * The standard VRRP MIBs as keepalived 2.2.7 serves them: VRRP-MIB (RFC 2787, mib-2.68: vrrpOperTable
 * §6, vrrpAssoIpAddrTable, the router statistics) for VRRPv2 instances, and VRRPv3-MIB (RFC 6527,
 * mib-2.207: vrrpv3OperationsTable, vrrpv3AssociatedIpAddrTable, vrrpv3StatisticsTable) for every
 * instance (keepalived's SNMP_V3_FOR_V2). Rows are indexed by ifIndex and VRID (and the address family
 * in v3). Unlike keepalived 2.2.7, which lists only the first VRRPv2 instance of each interface in
 * vrrpOperTable and vrrpRouterStatsTable, every instance has its row.
 */
import type { VrrpInstance } from "../config/model.ts";
import type { InstanceLive } from "./live.ts";
import { ipBytes, type MibEnv } from "./mib-keepalived.ts";
import type { Varbind } from "./oid.ts";

/** mib-2.vrrpMIB (RFC 2787). */
export const VRRP_MIB_OID = [1, 3, 6, 1, 2, 1, 68] as const;
/** mib-2.vrrpv3MIB (RFC 6527). */
export const VRRPV3_MIB_OID = [1, 3, 6, 1, 2, 1, 207] as const;

const V2 = (...s: number[]): number[] => [...VRRP_MIB_OID, ...s];
const V3 = (...s: number[]): number[] => [...VRRPV3_MIB_OID, ...s];
const int = (oid: number[], value: number): Varbind => ({ oid, type: "int", value });
const c32 = (oid: number[], value: number): Varbind => ({ oid, type: "counter", value: value >>> 0 });
const c64 = (oid: number[], value: number): Varbind => ({ oid, type: "counter64", value: BigInt(Math.max(0, Math.floor(value))) });

/** RFC 2787/6527 operational state: initialize(1), backup(2), master(3). */
export function operState(live: InstanceLive | undefined): number {
  const s = live?.state;
  return s === "MASTER" ? 3 : s === "BACKUP" ? 2 : 1;
}

function macBytes(mac: string | undefined): Uint8Array {
  const hex = (mac ?? "").split(":");
  return hex.length === 6 ? Uint8Array.from(hex.map((h) => parseInt(h, 16) & 0xff)) : new Uint8Array(6);
}

/** Ticks (1/100 s) since the parent started, when the instance last changed state. */
function upTicks(live: InstanceLive | undefined, startedAt: number): number {
  return live && live.changedAt ? Math.max(0, Math.round((live.changedAt - startedAt) / 10)) : 0;
}

interface Row {
  v: VrrpInstance;
  live: InstanceLive | undefined;
  ifindex: number;
}

function rows(env: MibEnv, version?: 2): Row[] {
  const out: Row[] = [];
  for (const v of env.cfg.vrrp.instances) {
    if (version && (v.version !== 2 || (v.family ?? "ipv4") !== "ipv4")) continue;
    const live = env.live(v.name);
    const ifindex = live?.ifindex ?? env.ifindex(v.interface ?? "");
    if (ifindex > 0) out.push({ v, live, ifindex });
  }
  return out.sort((a, b) => a.ifindex - b.ifindex || a.v.vrid - b.v.vrid);
}

/** VRRP-MIB rows (RFC 2787 §6). */
export function rfc2787Rows(env: MibEnv, startedAt: number): Varbind[] {
  const out: Varbind[] = [int(V2(1, 1, 0), 2), int(V2(1, 2, 0), env.cfg.global.enableTraps ? 1 : 2)];
  for (const { v, live, ifindex } of rows(env, 2)) {
    const ix = [ifindex, v.vrid];
    const e = (c: number) => V2(1, 3, 1, c, ...ix);
    const master = live?.state === "MASTER" ? "" : live?.master;
    out.push(
      { oid: e(2), type: "str", value: macBytes(live?.mac) },
      int(e(3), operState(live)),
      int(e(4), 1),
      int(e(5), live?.effectivePriority || v.priority),
      int(e(6), v.virtualIpaddresses.length),
      { oid: e(7), type: "ip", value: master ? ipBytes(master) : new Uint8Array(4) },
      { oid: e(8), type: "ip", value: live?.src ? ipBytes(live.src) : new Uint8Array(4) },
      int(e(9), v.auth?.type === "PASS" ? 2 : v.auth?.type === "AH" ? 3 : 1),
      int(e(11), Math.round(v.advertIntMs / 1000)),
      int(e(12), v.nopreempt ? 2 : 1),
      { oid: e(13), type: "ticks", value: upTicks(live, startedAt) },
      int(e(14), 1),
      int(e(15), 1),
    );
    for (const a of v.virtualIpaddresses) out.push(int(V2(1, 4, 1, 2, ...ix, ...ipBytes(a.address)), 1));
  }
  // Checksum, version and VRID errors of packets that reach no instance: not counted by the VRRP child.
  out.push(c32(V2(2, 1, 0), 0), c32(V2(2, 2, 0), 0), c32(V2(2, 3, 0), 0));
  for (const { v, live, ifindex } of rows(env, 2)) {
    const c = live?.counters ?? {};
    const keys = [
      "becomeMaster",
      "advertRcvd",
      "advertIntervalErr",
      "authFailure",
      "ipTtlErr",
      "pri0Rcvd",
      "pri0Sent",
      "invalidType",
      "addrListErr",
      "invalidAuthType",
      "authTypeMismatch",
      "packetLenErr",
    ];
    keys.forEach((k, i) => out.push(c32(V2(2, 4, 1, i + 1, ifindex, v.vrid), c[k] ?? 0)));
  }
  return out;
}

/** vrrpv3StatisticsNewMasterReason: notMaster(0), priority(1) for an owner, else masterNoResponse(3). */
function newMasterReason(v: VrrpInstance, live: InstanceLive | undefined): number {
  if (!live || !(live.counters.becomeMaster ?? (live.state === "MASTER" ? 1 : 0))) return 0;
  return v.priority === 255 ? 1 : 3;
}

/** VRRPv3-MIB rows (RFC 6527 §5). */
export function rfc6527Rows(env: MibEnv, startedAt: number): Varbind[] {
  const out: Varbind[] = [];
  for (const { v, live, ifindex } of rows(env)) {
    const ix = [ifindex, v.vrid, (v.family ?? "ipv4") === "ipv4" ? 1 : 2];
    const e = (c: number) => V3(1, 1, 1, 1, c, ...ix);
    const own = live?.src ? ipBytes(live.src) : new Uint8Array();
    const master = live?.state === "MASTER" || !live?.master ? own : ipBytes(live.master);
    out.push(
      { oid: e(3), type: "str", value: master },
      { oid: e(4), type: "str", value: own },
      { oid: e(5), type: "str", value: macBytes(live?.mac) },
      int(e(6), operState(live)),
      { oid: e(7), type: "gauge", value: live?.effectivePriority || v.priority },
      int(e(8), v.virtualIpaddresses.length),
      int(e(9), Math.round(v.advertIntMs / 10)),
      int(e(10), v.nopreempt ? 2 : 1),
      int(e(11), v.accept ? 1 : 2),
      { oid: e(12), type: "ticks", value: upTicks(live, startedAt) },
      int(e(13), 1),
    );
    for (const a of v.virtualIpaddresses) out.push(int(V3(1, 1, 2, 1, 2, ...ix, ...ipBytes(a.address)), 1));
    const c = live?.counters ?? {};
    const s = (col: number) => V3(1, 2, 5, 1, col, ...ix);
    out.push(
      c32(s(1), c.becomeMaster ?? 0),
      int(s(2), newMasterReason(v, live)),
      c64(s(3), c.advertRcvd ?? 0),
      c64(s(4), c.advertIntervalErr ?? 0),
      c64(s(5), c.ipTtlErr ?? 0),
      int(s(6), 0),
      c64(s(7), c.pri0Rcvd ?? 0),
      c64(s(8), c.pri0Sent ?? 0),
      c64(s(9), c.invalidType ?? 0),
      c64(s(10), c.addrListErr ?? 0),
      c64(s(11), c.packetLenErr ?? 0),
      { oid: s(12), type: "ticks", value: 0 },
      { oid: s(13), type: "gauge", value: v.advertIntMs },
    );
  }
  out.push(c64(V3(1, 2, 1, 0), 0), c64(V3(1, 2, 2, 0), 0), c64(V3(1, 2, 3, 0), 0), { oid: V3(1, 2, 4, 0), type: "ticks", value: 0 });
  return out;
}
