/**
 * The VRRP child's dumps in keepalived 2.2.7's layouts and file names: USR1 data (keepalived.data:
 * global definitions, static addresses/routes/rules, VRRP topology, socket pool, sync groups, scripts,
 * track files and processes, from src/dump/), USR2 statistics (keepalived.stats) and the JSON dump
 * (keepalived.json, keepalived's --enable-json shape: one {data, stats} object per instance, states
 * 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT). docs/dumps.md lists what differs from keepalived's files.
 */
import type { KeepalivedConfig, VrrpInstance } from "../config/model.ts";
import type { InstanceLive } from "../dump/ka-vrrp.ts";
import { type SocketLive, type VrrpLive, vrrpText } from "../dump/ka-vrrp-misc.ts";
import { addressText, quotedCommand, routeText, ruleText } from "../dump/ka-values.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import type { VrrpRuntime } from "./runtime.ts";

/** What the dumps read from the VRRP runtime. */
export type VrrpDumpSource = Pick<VrrpRuntime, "instances" | "sockets" | "scripts" | "groups" | "priorityReasons" | "trackerValues">;

const STATE_NUM: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

/** Converts the scheduler's monotonic ms to wall-clock ms. */
export interface Clock {
  wallMs: number;
  monoMs: number;
}

function instanceLive(src: VrrpDumpSource, r: VrrpInstanceRunner, clock: Clock): InstanceLive {
  const at = r.lastTransition?.at;
  return {
    state: r.state,
    ifname: r.place.ifname,
    ifindex: r.place.ifindex,
    src: r.place.src,
    effectivePriority: r.fsm.priority,
    faults: src.priorityReasons(r).faults.length,
    lastTransitionMs: at === undefined ? undefined : clock.wallMs - (clock.monoMs - at),
    master: r.heard ? { address: r.heard.address, priority: r.heard.priority } : undefined,
    socketFault: r.socketFault,
  };
}

function socketLive(cfg: KeepalivedConfig, src: VrrpDumpSource, runners: readonly VrrpInstanceRunner[]): SocketLive[] {
  return src.sockets().map((s) => {
    const users = runners.filter((r) => r.place.ifname === s.ifname && r.family === s.family);
    const unicast = users.some((r) => r.cfg.unicastPeers.length > 0);
    return {
      ifname: s.ifname,
      family: s.family,
      unicastSrc: unicast ? (s.key.split("/").slice(4).join("/") || null) : null,
      rxBufConfigured: cfg.global.vrrpRxBufsPolicy || users.some((r) => r.cfg.kernelRxBufSizeBytes) ? s.rxBufferBytes : 0,
      rxBufferBytes: s.rxBufferBytes,
      instances: users.map((r) => ({ name: r.cfg.name, vrid: r.cfg.vrid })),
      drops: s.drops,
      overflows: s.overflows,
    };
  });
}

/** The run-time view the keepalived-layout text needs. */
export function vrrpLive(cfg: KeepalivedConfig, src: VrrpDumpSource, clock: Clock): VrrpLive {
  const runners = src.instances();
  const t = src.trackerValues();
  return {
    instances: new Map(runners.map((r) => [r.cfg.name, instanceLive(src, r, clock)])),
    groups: new Map(src.groups().map((g) => [g.name, g.state])),
    scripts: new Map(src.scripts().map((s) => [s.name, { up: s.up, running: s.running }])),
    files: t.files,
    processes: t.processes,
    sockets: socketLive(cfg, src, runners),
  };
}

/** USR1 text (keepalived.data). */
export function dataDump(cfg: KeepalivedConfig, src: VrrpDumpSource, clock: Clock = { wallMs: Date.now(), monoMs: performance.now() }): string {
  return vrrpText(cfg, vrrpLive(cfg, src, clock), clock.wallMs).join("\n") + "\n";
}

/** USR2 text (keepalived.stats). "Other" (ours) ends the Packet Errors block. */
export function statsDump(instances: readonly VrrpInstanceRunner[]): string {
  const out: string[] = [];
  for (const r of instances) {
    const s = r.stats;
    out.push(
      `VRRP Instance: ${r.cfg.name}`,
      "  Advertisements:",
      `    Received: ${s.advertRcvd}`,
      `    Sent: ${s.advertSent}`,
      `  Became master: ${s.becomeMaster}`,
      `  Released master: ${s.releaseMaster}`,
      "  Packet Errors:",
      `    Length: ${s.packetLenErr}`,
      `    TTL: ${s.ipTtlErr}`,
      `    Invalid Type: ${s.invalidType}`,
      `    Advertisement Interval: ${s.advertIntervalErr}`,
      `    Address List: ${s.addrListErr}`,
      `    Other: ${s.otherErr}`,
      "  Authentication Errors:",
      `    Invalid Type: ${s.invalidAuthType}`,
      `    Type Mismatch: ${s.authTypeMismatch}`,
      `    Failure: ${s.authFailure}`,
      "  Priority Zero:",
      `    Received: ${s.pri0Rcvd}`,
      `    Sent: ${s.pri0Sent}`,
    );
  }
  return out.join("\n") + "\n";
}

function scriptFields(c: VrrpInstance): Record<string, string> {
  const out: Record<string, string> = {};
  const n = c.notify;
  const pairs: [string, typeof n.master][] = [
    ["script_backup", n.backup], ["script_master", n.master], ["script_fault", n.fault], ["script_stop", n.stop],
    ["script_deleted", n.deleted], ["script_master_rx_lower_pri", n.masterRxLowerPri], ["script", n.generic],
  ];
  for (const [k, s] of pairs) if (s) out[k] = quotedCommand(s);
  return out;
}

function listFields(cfg: KeepalivedConfig, c: VrrpInstance, ifname: string, set: boolean): Record<string, string[]> {
  const tail = set ? " set" : "";
  const out: Record<string, string[]> = { vips: c.virtualIpaddresses.map((a) => addressText(a, ifname) + tail) };
  if (c.virtualIpaddressesExcluded.length) out.evips = c.virtualIpaddressesExcluded.map((a) => addressText(a, ifname) + tail);
  if (c.virtualRoutes.length) out.vroutes = c.virtualRoutes.map((r) => routeText(r, true));
  if (c.virtualRules.length) out.vrules = c.virtualRules.map((r) => ruleText(r));
  if (c.trackInterfaces.length) out.track_ifp = c.trackInterfaces.map((t) => t.name);
  const scripts = c.trackScripts.map((t) => cfg.vrrp.scripts.find((s) => s.name === t.name)?.script).filter((s) => s !== null && s !== undefined);
  if (scripts.length) out.track_script = scripts.map((s) => quotedCommand(s));
  return out;
}

/** One instance's "data" object, keys in keepalived's order. */
function jsonData(cfg: KeepalivedConfig, r: VrrpInstanceRunner, live: InstanceLive, marks: string[]): Record<string, unknown> {
  const c = r.cfg;
  const mark = `@@${marks.length}@@`;
  marks.push(((live.lastTransitionMs ?? 0) / 1000).toFixed(6));
  const state = STATE_NUM[r.state] ?? -1;
  const want = r.state === "MASTER" || r.state === "BACKUP" ? state : STATE_NUM[c.initialState]!;
  const adver = c.advertIntMs / 1000;
  return {
    iname: c.name, dont_track_primary: c.dontTrackPrimary ? 1 : 0, skip_check_adv_addr: c.skipCheckAdvAddr ? 1 : 0,
    strict_mode: c.strictMode ? 1 : 0, vmac_ifname: c.vmac ? r.place.ifname : "", ifp_ifname: r.place.ifname,
    master_priority: r.state === "BACKUP" ? (live.master?.priority ?? 0) : 0, last_transition: mark,
    garp_delay: c.garpMasterDelayMs / 1000, garp_refresh: c.garpMasterRefreshMs / 1000, garp_rep: c.garpMasterRepeat,
    garp_refresh_rep: c.garpMasterRefreshRepeat, garp_lower_prio_delay: c.garpLowerPrioDelayMs / 1000,
    garp_lower_prio_rep: c.garpLowerPrioRepeat, lower_prio_no_advert: c.lowerPrioNoAdvert ? 1 : 0,
    higher_prio_send_advert: c.higherPrioSendAdvert ? 1 : 0, vrid: c.vrid, base_priority: c.priority,
    effective_priority: r.fsm.priority, vipset: r.state === "MASTER", promote_secondaries: c.promoteSecondaries,
    adver_int: adver, master_adver_int: adver, accept: c.accept ? 1 : 0, nopreempt: c.nopreempt,
    preempt_delay: c.preemptDelayMs / 1000, state, wantstate: want, version: c.version,
    smtp_alert: c.smtpAlert ?? cfg.global.smtpAlertVrrp ?? cfg.global.smtpAlert ?? false, notify_deleted: c.notify.deleted !== null,
    ...scriptFields(c), ...listFields(cfg, c, r.place.ifname, r.state === "MASTER"),
    auth_type: c.auth ? (c.auth.type === "PASS" ? 1 : 2) : 0, ...(c.auth ? { auth_data: c.auth.password } : {}),
  };
}

/** JSON dump (keepalived.json): one line, "/" escaped as json-c writes it. */
export function jsonDump(cfg: KeepalivedConfig, src: VrrpDumpSource, clock: Clock = { wallMs: Date.now(), monoMs: performance.now() }): string {
  const live = vrrpLive(cfg, src, clock);
  const marks: string[] = [];
  const list = src.instances().map((r) => {
    const s = r.stats;
    return {
      data: jsonData(cfg, r, live.instances.get(r.cfg.name)!, marks),
      stats: {
        advert_rcvd: s.advertRcvd, advert_sent: s.advertSent, become_master: s.becomeMaster, release_master: s.releaseMaster,
        packet_len_err: s.packetLenErr, advert_interval_err: s.advertIntervalErr, ip_ttl_err: s.ipTtlErr,
        invalid_type_rcvd: s.invalidType, addr_list_err: s.addrListErr, invalid_authtype: s.invalidAuthType,
        authtype_mismatch: s.authTypeMismatch, auth_failure: s.authFailure, pri_zero_rcvd: s.pri0Rcvd, pri_zero_sent: s.pri0Sent,
      },
    };
  });
  return JSON.stringify(list).replaceAll("/", "\\/").replace(/"@@(\d+)@@"/g, (_, i: string) => marks[Number(i)]!);
}
