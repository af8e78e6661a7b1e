/**
 * keepalived.json in keepalived 2.2.7's --enable-json shape: one {data, stats} object per instance,
 * keys in keepalived's order, states 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, one line with "/" escaped as
 * json-c writes it.
 */
import type { VrrpSlice } from "../config/slice.ts";
import type { VrrpInstance } from "../config/model.ts";
import type { VrrpInstanceRunner } from "../vrrp/instance.ts";
import { type Clock, type VrrpDumpSource, vrrpLive } from "../vrrp/dump.ts";
import { addressText, quotedCommand, routeText, ruleText } from "./ka-values.ts";
import type { InstanceLive } from "./ka-vrrp.ts";

const STATE_NUM: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

function scriptFields(c: VrrpInstance): Record<string, string> {
  const out: Record<string, string> = {};
  const n = c.notify;
  const pairs: [string, typeof n.master][] = [
    ["script_backup", n.backup],
    ["script_master", n.master],
    ["script_fault", n.fault],
    ["script_stop", n.stop],
    ["script_deleted", n.deleted],
    ["script_master_rx_lower_pri", n.masterRxLowerPri],
    ["script", n.generic],
  ];
  for (const [k, s] of pairs) if (s) out[k] = quotedCommand(s);
  return out;
}

function listFields(cfg: VrrpSlice, c: VrrpInstance, ifname: string, set: boolean): Record<string, string[]> {
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
function jsonData(cfg: VrrpSlice, r: VrrpInstanceRunner, live: InstanceLive, marks: string[]): Record<string, unknown> {
  const c = r.cfg;
  const mark = `@@${marks.length}@@`;
  marks.push(((live.lastTransitionMs ?? 0) / 1000).toFixed(6));
  const state = STATE_NUM[r.state] ?? -1;
  const want = r.state === "MASTER" || r.state === "BACKUP" ? state : STATE_NUM[c.initialState]!;
  const adver = c.advertIntMs / 1000;
  return {
    iname: c.name,
    dont_track_primary: c.dontTrackPrimary ? 1 : 0,
    skip_check_adv_addr: c.skipCheckAdvAddr ? 1 : 0,
    strict_mode: c.strictMode ? 1 : 0,
    vmac_ifname: c.vmac ? r.place.ifname : "",
    ifp_ifname: r.place.ifname,
    master_priority: r.state === "BACKUP" ? (live.master?.priority ?? 0) : 0,
    last_transition: mark,
    garp_delay: c.garpMasterDelayMs / 1000,
    garp_refresh: c.garpMasterRefreshMs / 1000,
    garp_rep: c.garpMasterRepeat,
    garp_refresh_rep: c.garpMasterRefreshRepeat,
    garp_lower_prio_delay: c.garpLowerPrioDelayMs / 1000,
    garp_lower_prio_rep: c.garpLowerPrioRepeat,
    lower_prio_no_advert: c.lowerPrioNoAdvert ? 1 : 0,
    higher_prio_send_advert: c.higherPrioSendAdvert ? 1 : 0,
    vrid: c.vrid,
    base_priority: c.priority,
    effective_priority: r.fsm.priority,
    vipset: r.state === "MASTER",
    promote_secondaries: c.promoteSecondaries,
    adver_int: adver,
    master_adver_int: adver,
    accept: c.accept ? 1 : 0,
    nopreempt: c.nopreempt,
    preempt_delay: c.preemptDelayMs / 1000,
    state,
    wantstate: want,
    version: c.version,
    smtp_alert: c.smtpAlert ?? cfg.global.smtpAlertVrrp ?? cfg.global.smtpAlert ?? false,
    notify_deleted: c.notify.deleted !== null,
    ...scriptFields(c),
    ...listFields(cfg, c, r.place.ifname, r.state === "MASTER"),
    auth_type: c.auth ? (c.auth.type === "PASS" ? 1 : 2) : 0,
    ...(c.auth ? { auth_data: c.auth.password } : {}),
  };
}

/** The JSON dump text. */
export function jsonDump(cfg: VrrpSlice, src: VrrpDumpSource, clock: Clock = { wallMs: Date.now(), monoMs: performance.now() }): string {
  const live = vrrpLive(cfg, src, clock);
  const marks: string[] = [];
  const list = src.instances().map((r) => {
    const s = r.stats;
    return {
      data: jsonData(cfg, r, live.instances.get(r.cfg.name)!, marks),
      stats: {
        advert_rcvd: s.advertRcvd,
        advert_sent: s.advertSent,
        become_master: s.becomeMaster,
        release_master: s.releaseMaster,
        packet_len_err: s.packetLenErr,
        advert_interval_err: s.advertIntervalErr,
        ip_ttl_err: s.ipTtlErr,
        invalid_type_rcvd: s.invalidType,
        addr_list_err: s.addrListErr,
        invalid_authtype: s.invalidAuthType,
        authtype_mismatch: s.authTypeMismatch,
        auth_failure: s.authFailure,
        pri_zero_rcvd: s.pri0Rcvd,
        pri_zero_sent: s.pri0Sent,
      },
    };
  });
  return JSON.stringify(list).replaceAll("/", "\\/").replace(/"@@(\d+)@@"/g, (_, i: string) => marks[Number(i)]!);
}
