/**
 * KEEPALIVED-MIB (/usr/share/snmp/mibs/KEEPALIVED-MIB.txt, enterprises.9586.100.5) as keepalived
 * 2.2.7 answers it: the global scalars (keepalived 1) and the VRRP tables (keepalived 2) for sync
 * groups, their members, instances, tracked interfaces, tracked scripts, addresses and scripts. Values come
 * from the validated configuration and the parent's live view (src/snmp/live.ts). Where keepalived
 * 2.2.7 answers differently from the MIB text, we answer as keepalived does and say so.
 * Not served: routes, rules, the vrrpFile/Bfd/Process tables and the sync-group tracking tables.
 */
import type { IpAddressSpec, KeepalivedConfig, SyncGroup, VrrpInstance } from "../config/model.ts";
import type { VrrpStateName } from "../core/ipc.ts";
import { parseIp, VRRP_MCAST_V4, VRRP_MCAST_V6 } from "../core/inet.ts";
import type { InstanceLive } from "./live.ts";
import type { Varbind } from "./oid.ts";
import { scriptText } from "./script-text.ts";
import { linkbeatNames } from "../vrrp/linkbeat.ts";

/** enterprises.debian(9586).project(100).keepalived(5). */
export const KEEPALIVED_OID = [1, 3, 6, 1, 4, 1, 9586, 100, 5] as const;

/** VrrpState TC numbers. */
export const STATE_NUM: Readonly<Record<VrrpStateName, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 5, DELETED: 6 };

/** What the builders read besides the configuration. */
export interface MibEnv {
  readonly cfg: KeepalivedConfig;
  live(instance: string): InstanceLive | undefined;
  /** A vrrp_script the VRRP child runs: verdict and runs. */
  script?(name: string): { up: boolean; runs: number } | undefined;
  /** Index of an interface by name (0 = unknown). */
  ifindex(name: string): number;
  /** This host's name (router_id default). */
  readonly hostname: string;
  /** The version text served as `version.0`. */
  readonly version: string;
}

const K = (...sub: number[]): number[] => [...KEEPALIVED_OID, ...sub];
const int = (oid: number[], value: number): Varbind => ({ oid, type: "int", value });
const gauge = (oid: number[], value: number): Varbind => ({ oid, type: "gauge", value });
const str = (oid: number[], value: string | Uint8Array): Varbind => ({ oid, type: "str", value });
const yesNo = (b: boolean | null | undefined): number => (b ? 1 : 2);

/** Bytes of an address text (empty when it does not parse). */
export function ipBytes(text: string | null | undefined): Uint8Array {
  return (text && parseIp(text)?.bytes) || new Uint8Array();
}

/** The global scalars (keepalived.global). */
export function globalRows(env: MibEnv): Varbind[] {
  const g = env.cfg.global;
  const out: Varbind[] = [str(K(1, 1, 0), env.version), str(K(1, 2, 0), g.routerId ?? env.hostname)];
  const smtp = g.smtpServer ? parseIp(g.smtpServer.host) : undefined;
  // keepalived 2.2.7 answers ipv6(2) and four zero bytes when no smtp_server is set.
  out.push(int(K(1, 3, 1, 0), smtp ? (smtp.family === "ipv4" ? 1 : 2) : 2));
  out.push(str(K(1, 3, 2, 0), smtp ? smtp.bytes : new Uint8Array(4)));
  out.push(gauge(K(1, 3, 3, 0), g.smtpServer ? Math.round(g.smtpConnectTimeoutMs / 1000) : 0));
  if (g.notificationEmailFrom) out.push(str(K(1, 3, 4, 0), g.notificationEmailFrom));
  g.notificationEmails.forEach((e, i) => out.push(str(K(1, 3, 5, 1, 2, i + 1), e)));
  out.push(gauge(K(1, 3, 6, 0), g.smtpServer?.port ?? 0));
  out.push(int(K(1, 3, 7, 0), 1)); // email faults: keepalived 2.2.7 has no keyword to disable them
  const unset = (b: boolean | null) => (b === null ? 3 : b ? 1 : 2);
  out.push(int(K(1, 3, 8, 0), unset(g.smtpAlert)), int(K(1, 3, 9, 0), unset(g.smtpAlertVrrp)), int(K(1, 3, 10, 0), unset(g.smtpAlertChecker)));
  out.push(
    int(K(1, 4, 0), yesNo(g.enableTraps)),
    int(K(1, 5, 0), 1), // linkBeat: netlink
    int(K(1, 6, 0), yesNo(g.lvsFlush)),
    int(K(1, 7, 0), 1), // ipvs64BitStats: true
    str(K(1, 8, 0), g.netNamespace ?? ""), // keepalivedNetNamespace
    int(K(1, 9, 0), yesNo(g.enableDbus)),
    int(K(1, 10, 0), yesNo(g.dynamicInterfaces)),
    int(K(1, 11, 0), g.lvsFlushOnStop === "all" ? 1 : g.lvsFlushOnStop === "vs" ? 3 : 2),
  );
  return out;
}

/** A sync group's state: STOP when a member stopped, MASTER when every member is, FAULT when one is, else BACKUP (INIT before every member reported). */
export function groupState(g: SyncGroup, live: MibEnv["live"]): number {
  const states = g.members.map((m) => live(m)?.state);
  if (states.some((s) => s === undefined)) return STATE_NUM.INIT;
  if (states.some((s) => s === "STOP")) return STATE_NUM.STOP;
  if (states.every((s) => s === "MASTER")) return STATE_NUM.MASTER;
  if (states.some((s) => s === "FAULT")) return STATE_NUM.FAULT;
  return STATE_NUM.BACKUP;
}

function syncGroupRows(env: MibEnv): Varbind[] {
  const out: Varbind[] = [];
  const idx = new Map(env.cfg.vrrp.instances.map((v, i) => [v.name, i + 1]));
  env.cfg.vrrp.syncGroups.forEach((g, gi) => {
    const n = gi + 1, e = (c: number) => K(2, 1, 1, c, n);
    const scripts = [g.notify.master, g.notify.backup, g.notify.fault, g.notify.generic, g.notify.stop];
    out.push(str(e(2), g.name), int(e(3), groupState(g, env.live)), int(e(4), yesNo(g.smtpAlert)), int(e(5), yesNo(scripts.some(Boolean))));
    [6, 7, 8, 9, 11].forEach((col, i) => {
      const t = scriptText(scripts[i]);
      if (t) out.push(str(e(col), t));
    });
    out.push(int(e(10), yesNo(g.syncGroupTrackingWeight)));
    for (const m of g.members) {
      const mi = idx.get(m);
      if (mi) out.push(str(K(2, 2, 1, 2, n, mi), m));
    }
  });
  return out;
}

const AUTH_NUM = { none: 0, PASS: 1, AH: 2 } as const;
const GROUP = { ipv4: VRRP_MCAST_V4, ipv6: VRRP_MCAST_V6 } as const;

function instanceRows(env: MibEnv, v: VrrpInstance, n: number): Varbind[] {
  const live = env.live(v.name);
  const state = live?.state ?? "INIT";
  const e = (c: number) => K(2, 3, 1, c, n);
  const fam = v.family ?? "ipv4";
  const notify = v.notify;
  const out: Varbind[] = [
    str(e(2), v.name),
    gauge(e(3), v.vrid),
    int(e(4), STATE_NUM[state]),
    int(e(5), v.initialState === "MASTER" ? 2 : 1),
    // keepalived's wantstate: MASTER once it went MASTER, BACKUP once it went BACKUP.
    int(e(6), state === "MASTER" ? 2 : state === "BACKUP" ? 1 : v.initialState === "MASTER" ? 2 : 1),
    int(e(7), v.priority),
    int(e(8), live?.effectivePriority || v.priority),
    int(e(9), state === "MASTER" ? 1 : 2),
    str(e(10), v.interface ?? ""),
    // As keepalived 2.2.7 answers: tracked(1) when a track_interface without weight can put it in FAULT.
    int(e(11), !v.dontTrackPrimary && v.trackInterfaces.some((t) => t.weight === null) ? 1 : 2),
    gauge(e(12), v.version === 3 ? Math.round(v.advertIntMs / 10) : Math.round(v.advertIntMs / 1000)),
    int(e(13), v.nopreempt ? 2 : 1),
    gauge(e(14), Math.round(v.preemptDelayMs / 1000)),
    int(e(15), AUTH_NUM[v.auth?.type ?? "none"]),
    int(e(16), 2),
  ];
  if (v.syncGroup) out.push(str(e(18), v.syncGroup));
  out.push(gauge(e(19), Math.round(v.garpMasterDelayMs / 1000)), int(e(20), yesNo(v.smtpAlert)));
  const scripts = [notify.master, notify.backup, notify.fault, notify.stop, notify.generic];
  out.push(int(e(21), yesNo([...scripts, notify.deleted, notify.masterRxLowerPri].some(Boolean))));
  [22, 23, 24, 25, 26].forEach((col, i) => {
    const t = scriptText(scripts[i]);
    if (t) out.push(str(e(col), t));
  });
  // keepalived 2.2.7 answers 0 for a VRRPv2 instance's accept mode.
  out.push(int(e(27), v.version === 3 ? yesNo(v.accept) : 0), int(e(28), yesNo(v.promoteSecondaries)));
  out.push(int(e(29), v.interface && linkbeatNames(env.cfg).has(v.interface) ? 1 : 2), int(e(30), v.version)); // vrrpInstanceUseLinkbeat
  const rx = scriptText(notify.masterRxLowerPri), del = scriptText(notify.deleted);
  if (rx) out.push(str(e(31), rx));
  if (del) out.push(str(e(32), del));
  out.push(int(e(33), yesNo(notify.deleted !== null)), int(e(34), fam === "ipv4" ? 1 : 2));
  out.push(str(e(35), ipBytes(v.mcastDstIp ?? GROUP[fam])));
  return out;
}

function trackRows(env: MibEnv, v: VrrpInstance, n: number): Varbind[] {
  const out: Varbind[] = [];
  // keepalived 2.2.7 indexes the rows by position, not by the ifIndex the MIB text names.
  let ix = 0;
  for (const t of v.trackInterfaces) {
    if (!env.ifindex(t.name)) continue;
    ix++;
    out.push(str(K(2, 4, 1, 1, n, ix), t.name), int(K(2, 4, 1, 2, n, ix), t.weight ?? 0), int(K(2, 4, 1, 3, n, ix), yesNo(t.reverse)));
  }
  // keepalived drops weighted track_script of sync group members unless sync_group_tracking_weight is set.
  const group = env.cfg.vrrp.syncGroups.find((g) => g.name === v.syncGroup);
  let si = 0;
  for (const t of v.trackScripts) {
    const s = env.cfg.vrrp.scripts.find((x) => x.name === t.name);
    const weight = t.weight ?? s?.weight ?? 0;
    if (group && weight !== 0 && !group.syncGroupTrackingWeight) continue;
    si++;
    out.push(str(K(2, 5, 1, 2, n, si), t.name), int(K(2, 5, 1, 3, n, si), weight), int(K(2, 5, 1, 4, n, si), yesNo(t.reverse || s?.weightReverse)));
  }
  return out;
}

const SCOPE: Readonly<Record<string, number>> = { host: 1, link: 2, site: 5 };

function addressRows(env: MibEnv, v: VrrpInstance, n: number): Varbind[] {
  const out: Varbind[] = [];
  const set = env.live(v.name)?.state === "MASTER";
  const all: [IpAddressSpec, boolean][] = [
    ...v.virtualIpaddresses.map((a) => [a, true] as [IpAddressSpec, boolean]),
    ...v.virtualIpaddressesExcluded.map((a) => [a, false] as [IpAddressSpec, boolean]),
  ];
  all.forEach(([a, advertised], i) => {
    const e = (c: number) => K(2, 6, 1, c, n, i + 1);
    const dev = a.dev ?? v.interface ?? "";
    out.push(int(e(2), a.family === "ipv4" ? 1 : 2), str(e(3), ipBytes(a.address)));
    if (a.family === "ipv4") out.push(str(e(4), a.broadcast && a.broadcast !== "+" && a.broadcast !== "-" ? ipBytes(a.broadcast) : new Uint8Array(4)));
    out.push(gauge(e(5), a.prefixLen), int(e(6), SCOPE[a.scope ?? ""] ?? 14), int(e(7), env.ifindex(dev)), str(e(8), dev));
    if (a.label) out.push(str(e(9), a.label));
    out.push(int(e(10), set ? 1 : 2), int(e(11), advertised ? 1 : 2));
    if (a.peer) out.push(str(e(12), ipBytes(a.peer.replace(/\/\d+$/, ""))));
  });
  return out;
}

/** vrrpScriptTable (vrrp 9): the scripts the VRRP child runs, with keepalived's result numbers. */
function scriptRows(env: MibEnv): Varbind[] {
  const out: Varbind[] = [];
  let n = 0;
  for (const s of env.cfg.vrrp.scripts) {
    const st = env.script?.(s.name);
    if (!st) continue;
    n++;
    const e = (c: number) => K(2, 9, 1, c, n);
    const result = st.runs === 0 ? (s.initFail ? 5 : 1) : st.up ? 3 : 2;
    out.push(str(e(2), s.name), str(e(3), scriptText(s.script) ?? ""), int(e(4), Math.round(s.intervalMs / 1000)), int(e(5), s.weight));
    out.push(int(e(6), result), gauge(e(7), s.rise), gauge(e(8), s.fall), int(e(9), yesNo(s.weightReverse)));
  }
  return out;
}

/** The VRRP part (keepalived.vrrp): sync groups, members, instances, tracking, addresses, scripts. */
export function vrrpRows(env: MibEnv): Varbind[] {
  const out = [...syncGroupRows(env), ...scriptRows(env)];
  env.cfg.vrrp.instances.forEach((v, i) => {
    out.push(...instanceRows(env, v, i + 1), ...trackRows(env, v, i + 1), ...addressRows(env, v, i + 1));
  });
  return out;
}
