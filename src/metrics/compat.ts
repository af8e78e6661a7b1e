/**
 * The metric names of the two keepalived exporters dashboards are written against (`metrics_compat`):
 * mehdy/keepalived-exporter and gen2brain/keepalived_exporter, with their label sets, types and value
 * encodings, made from the live instances instead of dump files (docs/metrics.md has the table). The
 * VRRP child adds these to its report; the parent adds `keepalived_up`.
 *   mehdy:     keepalived_vrrp_state{iname,intf,vrid,ip_address} (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT), one
 *              series per VIP (`ip_address` as keepalived prints it, `intf` the VIP's device; one series
 *              with ip_address="" when the instance has no VIP), keepalived_vrrp_excluded_state for
 *              excluded VIPs, counters `keepalived_*_total{iname,intf,vrid}`, keepalived_script_status
 *              {name} (0 BAD, 1 GOOD) and keepalived_script_state{name} (0 idle, 1 running).
 *   gen2brain: counters `keepalived_vrrp_*{name,intf,vrid,state}` without `_total`, state as its name.
 */
import type { MetricsCompat } from "../config/model.ts";
import type { MetricSample } from "../core/ipc.ts";
import { counter, gauge } from "./exposition.ts";

/** What the mapper reads of one instance (VrrpInstanceRunner has all of it). */
export interface CompatInstanceView {
  readonly cfg: {
    readonly name: string;
    readonly vrid: number;
    readonly garpMasterDelayMs: number;
    readonly virtualIpaddresses: readonly CompatVip[];
    readonly virtualIpaddressesExcluded: readonly CompatVip[];
  };
  /** The interface the instance runs on. */
  readonly place: { readonly ifname: string };
  readonly state: string;
  readonly stats: Readonly<Record<string, number>>;
}

/** A VIP as the config gives it. */
export interface CompatVip {
  readonly address: string;
  readonly prefixLen: number;
  readonly family: string;
  readonly dev: string | null;
}

/** A vrrp_script's state. */
export interface CompatScriptView {
  readonly name: string;
  readonly up: boolean;
  readonly running: boolean;
}

/** keepalived's state numbers, as both exporters read them. */
export const KEEPALIVED_STATE_NUMBER: Readonly<Record<string, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 0 };

/** The counters both exporters export, with their InstanceStats source and each exporter's name and help. */
const COUNTERS: readonly { stat: string; mehdy: string; gen2brain: string; help: string }[] = [
  { stat: "advertRcvd", mehdy: "advertisements_received", gen2brain: "advert_rcvd", help: "Advertisements received" },
  { stat: "advertSent", mehdy: "advertisements_sent", gen2brain: "advert_sent", help: "Advertisements sent" },
  { stat: "becomeMaster", mehdy: "become_master", gen2brain: "become_master", help: "Became master" },
  { stat: "releaseMaster", mehdy: "release_master", gen2brain: "release_master", help: "Released master" },
  { stat: "packetLenErr", mehdy: "packet_length_errors", gen2brain: "packet_len_err", help: "Packet length errors" },
  { stat: "advertIntervalErr", mehdy: "advertisements_interval_errors", gen2brain: "advert_interval_err", help: "Advertisement interval errors" },
  { stat: "ipTtlErr", mehdy: "ip_ttl_errors", gen2brain: "ip_ttl_err", help: "TTL errors" },
  { stat: "invalidType", mehdy: "invalid_type_received", gen2brain: "invalid_type_rcvd", help: "Invalid type errors" },
  { stat: "addrListErr", mehdy: "address_list_errors", gen2brain: "addr_list_err", help: "Address list errors" },
  { stat: "invalidAuthType", mehdy: "authentication_invalid", gen2brain: "invalid_authtype", help: "Authentication invalid" },
  { stat: "authTypeMismatch", mehdy: "authentication_mismatch", gen2brain: "authtype_mismatch", help: "Authentication mismatch" },
  { stat: "authFailure", mehdy: "authentication_failure", gen2brain: "auth_failure", help: "Authentication failure" },
  { stat: "pri0Rcvd", mehdy: "priority_zero_received", gen2brain: "pri_zero_rcvd", help: "Priority zero received" },
  { stat: "pri0Sent", mehdy: "priority_zero_sent", gen2brain: "pri_zero_sent", help: "Priority zero sent" },
];

/** A VIP in keepalived's data-dump spelling: the address, then "/N" unless N is the full length. */
export function vipText(v: CompatVip): string {
  return v.prefixLen === (v.family === "ipv6" ? 128 : 32) ? v.address : `${v.address}/${v.prefixLen}`;
}

function mehdy(r: CompatInstanceView, out: MetricSample[]): void {
  const l = { iname: r.cfg.name, intf: r.place.ifname, vrid: String(r.cfg.vrid) };
  const state = KEEPALIVED_STATE_NUMBER[r.state] ?? 0;
  for (const c of COUNTERS) out.push(counter(`keepalived_${c.mehdy}_total`, c.help, l, r.stats[c.stat] ?? 0));
  out.push(counter("keepalived_gratuitous_arp_delay_total", "Gratuitous ARP delay", l, r.cfg.garpMasterDelayMs / 1000));
  const vipSeries = (name: string, help: string, vips: readonly CompatVip[]) => {
    for (const v of vips) {
      out.push(gauge(name, help, { iname: l.iname, intf: v.dev ?? l.intf, vrid: l.vrid, ip_address: vipText(v) }, state));
    }
  };
  vipSeries("keepalived_vrrp_state", "State of vrrp", r.cfg.virtualIpaddresses);
  vipSeries("keepalived_vrrp_excluded_state", "State of vrrp with excluded VIP", r.cfg.virtualIpaddressesExcluded);
  if (r.cfg.virtualIpaddresses.length === 0) out.push(gauge("keepalived_vrrp_state", "State of vrrp", { ...l, ip_address: "" }, state));
}

function gen2brain(r: CompatInstanceView, out: MetricSample[]): void {
  const l = { name: r.cfg.name, intf: r.place.ifname, vrid: String(r.cfg.vrid), state: r.state === "STOP" ? "" : r.state };
  for (const c of COUNTERS) out.push(counter(`keepalived_vrrp_${c.gen2brain}`, c.help, l, r.stats[c.stat] ?? 0));
}

/** The samples of the chosen exporters for these instances and scripts. */
export function compatSamples(modes: readonly MetricsCompat[], instances: readonly CompatInstanceView[], scripts: readonly CompatScriptView[]): MetricSample[] {
  const out: MetricSample[] = [];
  for (const r of instances) {
    if (modes.includes("mehdy")) mehdy(r, out);
    if (modes.includes("gen2brain")) gen2brain(r, out);
  }
  if (modes.includes("mehdy")) {
    for (const s of scripts) {
      out.push(gauge("keepalived_script_status", "Tracker Script Status", { name: s.name }, s.up ? 1 : 0));
      out.push(gauge("keepalived_script_state", "Tracker Script State", { name: s.name }, s.running ? 1 : 0));
    }
  }
  return out;
}
