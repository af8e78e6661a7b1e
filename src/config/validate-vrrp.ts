/**
 * VRRP validation with keepalived's semantics (RFC 3768 / RFC 5798 and keepalived.conf(5)):
 * VRID 1-255, priority 1-255 (default 100, 255 = owner forces MASTER), advert_int rounding (v2 whole
 * seconds, v3 centiseconds up to 40.95 s), IPv6 forces v3, one VIP family per instance, auth vs v3 /
 * strict mode / AH with MASTER, nopreempt needs BACKUP, strict-mode rules, interfaces must exist.
 */
import { VRRP_MCAST_V4, VRRP_MCAST_V6 } from "../core/inet.ts";
import { withAddrVmacs } from "./vmac-addr.ts";
import type { DiagSink, Where } from "./diag.ts";
import type { Family, GlobalDefs, IpAddressSpec, TrackRef, VrrpInstance } from "./model.ts";
import type { InstanceDraft } from "./kw-vrrp.ts";
import { finishNotify } from "./kw-vrrp.ts";

/** Lookups validation needs from the rest of the config. */
export interface VrrpRefs {
  readonly scripts: ReadonlySet<string>;
  readonly trackFiles: ReadonlySet<string>;
  readonly trackProcesses: ReadonlySet<string>;
  readonly bfds: ReadonlySet<string>;
  readonly interfaceExists: (name: string) => boolean;
}

function roundAdvert(d: InstanceDraft, version: 2 | 3, diags: DiagSink): number {
  const raw = d.advertIntMs ?? 1000;
  const at = d.src!;
  if (version === 2) {
    let s = Math.round(raw / 1000);
    if (s < 1) s = 1;
    if (s * 1000 !== raw) diags.warn(at, `(${d.name}) VRRPv2 advert_int must be whole seconds; using ${s}`);
    return s * 1000;
  }
  let cs = Math.round(raw / 10);
  if (cs < 1) cs = 1;
  if (cs > 4095) {
    diags.error(at, `(${d.name}) VRRPv3 advert_int is at most 40.95 s; using 40.95`);
    cs = 4095;
  } else if (cs * 10 !== raw) {
    diags.warn(at, `(${d.name}) VRRPv3 advert_int is in centiseconds; using ${cs / 100}`);
  }
  return cs * 10;
}

function vipFamily(d: InstanceDraft, diags: DiagSink): IpAddressSpec[] {
  const first = d.ips[0];
  if (!first) return [];
  const keep: IpAddressSpec[] = [];
  for (const ip of d.ips) {
    if (d.nativeIpv6 && ip.family !== "ipv6") {
      diags.error(ip.src, `(${d.name}): address family must match VRRP instance [${ip.address}/${ip.prefixLen}] - ignoring`);
    } else if (d.nativeIpv6 || ip.family === first.family) keep.push(ip);
    else {diags.error(
        ip.src,
        `(${d.name}) VIP ${ip.address} is not the same family as ${first.address}; use virtual_ipaddress_excluded; skipped`,
      );}
  }
  return keep;
}

function checkRefs(
  name: string,
  refs: readonly TrackRef[] | undefined,
  known: ReadonlySet<string>,
  what: string,
  diags: DiagSink,
): TrackRef[] {
  const out: TrackRef[] = [];
  for (const r of refs ?? []) {
    if (known.has(r.name)) out.push(r);
    else diags.error(r.src, `(${name}) ${what} '${r.name}' is not defined; ignored`);
  }
  return out;
}

function checkInterfaces(d: InstanceDraft, g: GlobalDefs, refs: VrrpRefs, diags: DiagSink): boolean {
  if (g.dynamicInterfaces) return true;
  let ok = true;
  const test = (ifname: string | null | undefined, at: Where, what: string): void => {
    if (!ifname || refs.interfaceExists(ifname)) return;
    diags.error(at, `(${d.name}) ${what} '${ifname}' does not exist`);
    ok = false;
  };
  test(d.interface, d.interfaceAt ?? d.src!, "interface");
  for (const t of d.trackInterfaces ?? []) test(t.name, t.src, "tracked interface");
  for (const ip of [...d.ips, ...d.eips]) test(ip.dev, ip.src, "address interface");
  for (const r of d.routes) test(r.dev, r.src, "route interface");
  return ok;
}

/**
 * `vrrp_mcast_group4` / `vrrp_mcast_group6` (keepalived.conf(5) global_defs): the group an instance
 * without `mcast_dst_ip` advertises to and listens on; null keeps RFC 5798's 224.0.0.18 / ff02::12.
 */
function globalGroup(g: GlobalDefs, family: Family | null): string | null {
  const group = family === "ipv6" ? g.vrrpMcastGroup6 : g.vrrpMcastGroup4;
  return group === (family === "ipv6" ? VRRP_MCAST_V6 : VRRP_MCAST_V4) ? null : group;
}

/** keepalived ignores tracking the instance's own interface (it is tracked anyway), with a warning. */
function ownInterfaceDropped(d: InstanceDraft, diags: DiagSink): TrackRef[] {
  return (d.trackInterfaces ?? []).filter((t) => {
    if (t.name !== d.interface) return true;
    diags.warn(t.src, `(${d.name}) Ignoring track_interface ${t.name} since own interface`);
    return false;
  });
}

function routeTracking(d: InstanceDraft, diags: DiagSink): void {
  for (const r of d.routes) {
    if (r.dev || r.noTrack || r.nexthops.some((n) => n.dev)) continue;
    diags.warn(r.src, `(${d.name}) route ${r.dest} has no interface, so it cannot be tracked`);
  }
}

interface Auth {
  type: "PASS" | "AH";
  password: string;
}

function checkAuth(
  d: InstanceDraft,
  version: 2 | 3,
  strict: boolean,
  state: { v: "MASTER" | "BACKUP" },
  priority: number,
  diags: DiagSink,
): Auth | null {
  if (d.authType === undefined && d.authPass === undefined) return null;
  const at = d.src!;
  if (strict) {
    diags.error(at, `(${d.name}) authentication is not allowed in strict mode; ignored`);
    return null;
  }
  if (version === 3) {
    diags.error(at, `(${d.name}) VRRPv3 has no authentication; ignored`);
    return null;
  }
  if (d.authType === undefined) {
    diags.error(at, `(${d.name}) auth_pass without auth_type; authentication ignored`);
    return null;
  }
  if (d.authPass === undefined) {
    diags.error(at, `(${d.name}) auth_type without auth_pass; authentication ignored`);
    return null;
  }
  if (d.authType === "AH" && state.v === "MASTER" && priority !== 255) {
    diags.error(
      at,
      `(${d.name}) initial state MASTER cannot be used with AH authentication; starting as BACKUP`,
    );
    state.v = "BACKUP";
  }
  return { type: d.authType, password: d.authPass };
}

/** The instance's role and preemption after keepalived's consistency rules, with the messages they give. */
interface Role {
  priority: number;
  initialState: "MASTER" | "BACKUP";
  auth: VrrpInstance["auth"];
  nopreempt: boolean;
  preemptDelayMs: number;
  vmacXmitBase: boolean;
  accept: boolean;
}

/** `state` and `priority`: MASTER without a priority is the address owner; strict mode ties them. */
function initialRole(d: InstanceDraft, strict: boolean, diags: DiagSink): { priority: number; state: { v: "MASTER" | "BACKUP" } } {
  // keepalived: `state MASTER` without a priority line makes the instance the address owner.
  const priority = d.priority ?? (d.stateRaw === "MASTER" ? 255 : 100);
  const state = { v: d.stateRaw ?? (priority === 255 ? "MASTER" : "BACKUP") as "MASTER" | "BACKUP" };
  if (strict && (state.v === "MASTER") !== (priority === 255)) {
    diags.error(
      d.src!,
      `(${d.name}) strict mode: state MASTER goes with priority 255 only; using ${priority === 255 ? "MASTER" : "BACKUP"}`,
    );
    state.v = priority === 255 ? "MASTER" : "BACKUP";
  }
  return { priority, state };
}

/** nopreempt and preempt_delay, dropped where keepalived ignores them. */
function preemption(
  d: InstanceDraft,
  state: "MASTER" | "BACKUP",
  priority: number,
  strict: boolean,
  diags: DiagSink,
): { nopreempt: boolean; preemptDelayMs: number } {
  const at = d.src!, name = d.name!;
  let nopreempt = d.nopreempt ?? false;
  if (nopreempt && state === "MASTER") {
    diags.error(at, `(${name}) nopreempt needs state BACKUP; nopreempt ignored`);
    nopreempt = false;
  }
  if (nopreempt && priority === 255) {
    diags.error(at, `(${name}) nopreempt does not apply to an address owner (priority 255); ignored`);
    nopreempt = false;
  }
  let preemptDelayMs = d.preemptDelayMs ?? 0;
  if (strict && preemptDelayMs > 0) {
    diags.error(at, `(${name}) strict mode does not allow preempt_delay; ignored`);
    preemptDelayMs = 0;
  }
  if (preemptDelayMs > 0 && state === "MASTER") {
    diags.warn(at, `(${name}) preempt_delay has no effect with state MASTER; ignored`);
    preemptDelayMs = 0;
  }
  return { nopreempt, preemptDelayMs };
}

/** Role, authentication, preemption, vmac_xmit_base and accept mode, checked in keepalived's order. */
function checkedRole(
  d: InstanceDraft,
  strict: boolean,
  version: 2 | 3,
  family: Family | null,
  ips: readonly IpAddressSpec[],
  diags: DiagSink,
): Role {
  const at = d.src!, name = d.name!;
  const { priority, state } = initialRole(d, strict, diags);
  const auth = checkAuth(d, version, strict, state, priority, diags);
  const { nopreempt, preemptDelayMs } = preemption(d, state.v, priority, strict, diags);
  let vmacXmitBase = d.vmacXmitBase ?? false;
  if (d.vmac && !d.vmac.ipvlan && d.unicastPeers?.length && !vmacXmitBase) {
    diags.warn(diags.endOf(d, at), `(${name}) use_vmac with unicast peers needs vmac_xmit_base; turned on`);
    vmacXmitBase = true;
  }
  let accept = d.acceptRaw ?? (strict ? priority === 255 : true);
  if (strict && version === 2 && d.acceptRaw === true) {
    diags.error(at, `(${name}) accept mode is not part of VRRPv2 (RFC 3768); turned off`);
    accept = priority === 255;
  }
  if (strict && family === "ipv6" && !/^fe[89ab][0-9a-f]:/.test(ips[0]!.address)) {
    diags.error(ips[0]!.src, `(${name}) strict mode: the first IPv6 VIP must be link-local`);
  }
  if (strict && vmacXmitBase) diags.error(at, `(${name}) strict mode does not allow vmac_xmit_base`);
  for (const p of d.unicastPeers ?? []) {
    if (family && (p.address.includes(":") ? "ipv6" : "ipv4") !== family) {
      diags.error(at, `(${name}) unicast peer ${p.address} is not the instance's address family`);
    }
  }
  return { priority, initialState: state.v, auth, nopreempt, preemptDelayMs, vmacXmitBase, accept };
}

/** Gratuitous ARP / NA timing: the instance's own values, else the global ones. */
function garpTimers(d: InstanceDraft, g: GlobalDefs) {
  const garp = d.garp;
  const masterDelay = garp.garpMasterDelayMs ?? g.vrrpGarpMasterDelayMs;
  const masterRepeat = garp.garpMasterRepeat ?? g.vrrpGarpMasterRepeat;
  return {
    garpMasterDelayMs: masterDelay,
    garpMasterRepeat: masterRepeat,
    // keepalived 2.2.7 falls back to the global GARP values, not the instance's garp_master_delay/repeat.
    garpLowerPrioDelayMs: garp.garpLowerPrioDelayMs ?? g.vrrpGarpLowerPrioDelayMs ?? g.vrrpGarpMasterDelayMs,
    garpLowerPrioRepeat: garp.garpLowerPrioRepeat ?? g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat,
    garpMasterRefreshMs: garp.garpMasterRefreshMs ?? g.vrrpGarpMasterRefreshMs,
    garpMasterRefreshRepeat: garp.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
    garpExtraIf: d.garpExtraIf === undefined ? g.vrrpGarpExtraIf : d.garpExtraIf,
  };
}

/** Unicast mode: source, peers and the checks on what peers send. */
function unicastSettings(d: InstanceDraft, g: GlobalDefs) {
  return {
    unicastSrcIp: d.unicastSrcIp ?? null,
    unicastPeers: d.unicastPeers ?? [],
    unicastFaultNoPeer: d.unicastFaultNoPeer ?? false,
    unicastTtl: d.unicastTtl ?? 255,
    checkUnicastSrc: d.checkUnicastSrc ??
      (g.vrrpCheckUnicastSrc || (d.unicastPeers ?? []).some((p) => p.minTtl !== null || p.maxTtl !== null)),
  };
}

/** The trackers, each reference checked against what is defined (unknown ones reported and dropped). */
function instanceTrackers(d: InstanceDraft, refs: VrrpRefs, diags: DiagSink) {
  const name = d.name!;
  return {
    trackInterfaces: ownInterfaceDropped(d, diags),
    trackScripts: checkRefs(name, d.trackScripts, refs.scripts, "track script", diags),
    trackFiles: checkRefs(name, d.trackFiles, refs.trackFiles, "track file", diags),
    trackProcesses: checkRefs(name, d.trackProcesses, refs.trackProcesses, "track process", diags),
    trackBfds: checkRefs(name, d.trackBfds, refs.bfds, "track bfd", diags),
  };
}

/** The VIPs and excluded addresses with their address VMACs named (use_vmac, use_vmac_addr). */
function instanceAddrs(d: InstanceDraft, g: GlobalDefs, ips: IpAddressSpec[], family: Family | null) {
  return withAddrVmacs(ips, d.eips, {
    vrid: d.vrid!,
    interface: d.interface ?? g.defaultInterface,
    family,
    instanceVmac: (d.vmac ?? null) !== null,
    useVmacAddr: d.useVmacAddr ?? false,
    prefix: g.vmacAddrPrefix ?? g.vmacPrefix,
  });
}

/** Validate one instance; returns undefined when it must be dropped. */
export function finishInstance(
  d: InstanceDraft,
  g: GlobalDefs,
  refs: VrrpRefs,
  diags: DiagSink,
): VrrpInstance | undefined {
  const at = d.src!;
  const name = d.name!;
  if (!d.vrid) {
    diags.error(at, `(${name}) virtual_router_id is missing or invalid; instance dropped`);
    return undefined;
  }
  const strict = d.strictRaw ?? g.vrrpStrict;
  const ips = vipFamily(d, diags);
  const family = ips[0]?.family ?? (d.nativeIpv6 ? "ipv6" : null);
  let version: 2 | 3 = d.versionRaw ?? g.vrrpVersion;
  if (family === "ipv6") version = 3; // IPv6 is VRRPv3 only (RFC 5798); keepalived switches silently
  if (ips.length === 0 && !d.noVirtualIpaddress) {
    diags.error(at, `(${name}) has no virtual_ipaddress; at least one is expected`);
  }
  if (!d.interface && !(d.unicastPeers?.length)) {
    diags.error(at, `(${name}) has no interface and no unicast peers`);
  }
  checkInterfaces(d, g, refs, diags);
  routeTracking(d, diags);
  const role = checkedRole(d, strict, version, family, ips, diags);
  const addrs = instanceAddrs(d, g, ips, family);
  return {
    name,
    initialState: role.initialState,
    interface: d.interface ?? null,
    vrid: d.vrid,
    priority: role.priority,
    advertIntMs: roundAdvert(d, version, diags),
    version,
    family,
    vmac: d.vmac ?? null,
    useVmacAddr: d.useVmacAddr ?? false,
    vmacXmitBase: role.vmacXmitBase,
    nativeIpv6: d.nativeIpv6 ?? false,
    dontTrackPrimary: d.dontTrackPrimary ?? false,
    mcastSrcIp: d.mcastSrcIp ?? null,
    mcastDstIp: d.mcastDstIp ?? globalGroup(g, family),
    ...unicastSettings(d, g),
    trackSrcIp: d.trackSrcIp ?? false,
    oldUnicastChecksum: d.oldUnicastChecksum ?? false,
    ...garpTimers(d, g),
    downTimerAdverts: d.downTimerAdverts ?? g.vrrpDownTimerAdverts,
    lowerPrioNoAdvert: strict ? true : d.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert,
    higherPrioSendAdvert: strict ? false : d.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert,
    timerExpiredBackup: d.timerExpiredBackup ?? null,
    ownerIgnoreAdverts: g.vrrpOwnerIgnoreAdverts,
    v3ChecksumAsV2: d.v3ChecksumAsV2 ?? false,
    noVirtualIpaddress: d.noVirtualIpaddress ?? false,
    auth: role.auth,
    virtualIpaddresses: addrs.vips,
    virtualIpaddressesExcluded: addrs.evips,
    promoteSecondaries: d.promoteSecondaries ?? false,
    virtualRoutes: d.routes,
    virtualRules: d.rules,
    accept: role.accept,
    nopreempt: role.nopreempt,
    preemptDelayMs: role.preemptDelayMs,
    skipCheckAdvAddr: d.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    strictMode: strict,
    notify: { ...finishNotify(d.notifyD), priorityChanges: d.notifyD.priorityChanges ?? g.vrrpNotifyPriorityChanges },
    smtpAlert: d.smtpAlert ?? g.smtpAlertVrrp ?? g.smtpAlert,
    ...instanceTrackers(d, refs, diags),
    lvsSyncDaemonInterface: d.lvsSyncDaemonInterface ?? null,
    kernelRxBufSizeBytes: d.kernelRxBufSizeBytes ?? null,
    linkbeatUsePolling: d.linkbeatUsePolling ?? false,
    debugLevel: d.debugLevel ?? 0,
    syncGroup: null,
    src: at,
  };
}

/** Report VRID clashes: same interface, family and VRID with multicast (keepalived rejects these). */
export function checkDuplicateVrids(list: readonly VrrpInstance[], diags: DiagSink): Set<string> {
  const seen = new Map<string, string>();
  const drop = new Set<string>();
  for (const v of list) {
    if (v.unicastPeers.length) continue;
    const key = `${v.interface ?? ""}|${v.family ?? "ipv4"}|${v.vrid}|${v.mcastDstIp ?? ""}`;
    const other = seen.get(key);
    if (other !== undefined) {
      diags.error(
        v.src,
        `(${v.name}) VRID ${v.vrid} is already used by ${other} on ${v.interface ?? "the default interface"}; instance dropped`,
      );
      drop.add(v.name);
    } else seen.set(key, v.name);
  }
  return drop;
}
