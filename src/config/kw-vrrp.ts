/**
 * Keyword table for `vrrp_instance` (keepalived.conf(5) VRRPD CONFIGURATION; RFC 3768 / RFC 5798
 * fields: VRID, priority, advert interval, auth, addresses) and the track/notify helpers it shares
 * with `vrrp_sync_group`.
 */
import type { IpAddressSpec, NotifyScripts, RouteSpec, RuleSpec, TrackRef, UnicastPeer, VmacSpec, VrrpInstance } from "./model.ts";
import type { Where } from "./diag.ts";
import type { ArgsHandler, KwDef, Table } from "./tree.ts";
import { parseIp, parseMac } from "./ip.ts";
import { parseAddressEntry, parseRouteEntry, parseRuleEntry } from "./iproute.ts";
import { boolKw, type Draft, flagKw, intKw, need, pushTo, readInt, readScript, readTimerMs, readWeight, strKw } from "./values.ts";

/** A vrrp_instance as filled by handlers; validation turns it into a VrrpInstance. */
export interface InstanceDraft extends Draft<VrrpInstance> {
  stateRaw?: "MASTER" | "BACKUP";
  acceptRaw?: boolean;
  versionRaw?: 2 | 3;
  strictRaw?: boolean;
  authType?: "PASS" | "AH";
  authPass?: string;
  notifyD: Draft<NotifyScripts>;
  /** Extra fields with inherited defaults. */
  garp: Record<string, number>;
  ips: IpAddressSpec[];
  eips: IpAddressSpec[];
  routes: RouteSpec[];
  rules: RuleSpec[];
  /** Line of the `interface` keyword (keepalived reports interface problems there). */
  interfaceAt?: Where;
}

/** Notify-script keywords shared by instances and sync groups. */
export function notifyTable<T extends { notifyD: Draft<NotifyScripts> }>(instance = true): Table<T> {
  const s = (k: keyof NotifyScripts): KwDef<T> => ({
    h: (d, a, c) => {
      const sc = readScript(a, c);
      if (sc) (d.notifyD as Record<string, unknown>)[k] = sc;
    },
  });
  const instanceOnly: Table<T> = instance ? { notify_deleted: s("deleted"), notify_master_rx_lower_pri: s("masterRxLowerPri") } : {};
  return {
    ...instanceOnly,
    notify_master: s("master"),
    notify_backup: s("backup"),
    notify_fault: s("fault"),
    notify_stop: s("stop"),
    notify: s("generic"),
    notify_priority_changes: {
      h: (d, a, c) => {
        const b = a[0] === undefined
          ? true
          : ["on", "true", "yes"].includes(a[0].text.toLowerCase())
          ? true
          : ["off", "false", "no"].includes(a[0].text.toLowerCase())
          ? false
          : undefined;
        if (b === undefined) c.diags.error(c.at, `notify_priority_changes: bad value '${a[0]?.text}'`);
        else d.notifyD.priorityChanges = b;
      },
    },
  };
}

/** Resolve a notify draft into NotifyScripts. */
export function finishNotify(n: Draft<NotifyScripts>): NotifyScripts {
  return {
    master: n.master ?? null,
    backup: n.backup ?? null,
    fault: n.fault ?? null,
    stop: n.stop ?? null,
    deleted: n.deleted ?? null,
    masterRxLowerPri: n.masterRxLowerPri ?? null,
    generic: n.generic ?? null,
    priorityChanges: n.priorityChanges ?? false,
  };
}

/** A `track_*` value block entry: `NAME [weight N [reverse|noreverse]]`. */
export function trackKw<T>(field: string, min: number, max: number): KwDef<T> {
  return {
    values: {
      item: (d, w, ctx) => {
        let weight: number | null = null;
        let reverse = false;
        if (w[1] !== undefined) {
          if (w[1].text !== "weight") {
            ctx.diags.error(ctx.at, `${ctx.kw}: expected 'weight' after '${w[0]!.text}', got '${w[1].text}'`);
            return;
          }
          const r = readWeight(w, 2, min, max, ctx);
          if (!r) return;
          [weight, reverse] = r;
        }
        const ref: TrackRef = { name: w[0]!.text, weight, reverse, src: ctx.at };
        pushTo(d as Draft<Record<string, TrackRef[]>>, field, ref);
      },
    },
  };
}

const state: ArgsHandler<InstanceDraft> = (d, a, c) => {
  const s = a[0]?.text;
  if (s === "MASTER" || s === "BACKUP") d.stateRaw = s;
  else c.diags.error(c.at, `state must be MASTER or BACKUP, not '${s ?? ""}'`);
};

const useVmac: ArgsHandler<InstanceDraft> = (d, a, c) => {
  const v: { -readonly [K in keyof VmacSpec]: VmacSpec[K] } = {
    name: null,
    mac: null,
    ipvlan: false,
    ipvlanAddress: null,
    ipvlanMode: null,
  };
  for (const t of a) {
    const mac = parseMac(t.text) ??
      (/^([0-9a-f]{1,2}:){4}[0-9a-f]{1,2}$/i.test(t.text) ? t.text.toLowerCase() : undefined);
    if (mac) v.mac = mac;
    else if (v.name === null) v.name = t.text;
    else c.diags.error(c.at, `use_vmac: unexpected '${t.text}'`);
  }
  if (v.name !== null && v.name.length > 15) {
    c.diags.error(c.at, `use_vmac: interface name '${v.name}' is longer than 15 characters`);
    v.name = null;
  }
  d.vmac = v;
};

const useIpvlan: ArgsHandler<InstanceDraft> = (d, a, c) => {
  const v: { -readonly [K in keyof VmacSpec]: VmacSpec[K] } = {
    name: null,
    mac: null,
    ipvlan: true,
    ipvlanAddress: null,
    ipvlanMode: null,
  };
  for (const t of a) {
    if (["bridge", "private", "vepa"].includes(t.text)) v.ipvlanMode = t.text;
    else if (t.text.includes("/") || parseIp(t.text)) v.ipvlanAddress = t.text;
    else if (v.name === null) v.name = t.text;
    else c.diags.error(c.at, `use_ipvlan: unexpected '${t.text}'`);
  }
  d.vmac = v;
};

const ipField = (field: "mcastSrcIp" | "unicastSrcIp" | "mcastDstIp"): ArgsHandler<InstanceDraft> => (d, a, c) => {
  if (!need(a, 1, c)) return;
  const ip = parseIp(a[0]!.text);
  if (!ip) {
    c.diags.error(c.at, `${c.kw}: '${a[0]!.text}' is not an IP address`);
    return;
  }
  d[field] = ip.text;
};

const unicastPeer = (
  d: InstanceDraft,
  w: readonly { text: string }[],
  c: Parameters<ArgsHandler<InstanceDraft>>[2],
): void => {
  const ip = parseIp(w[0]!.text);
  if (!ip) {
    c.diags.error(c.at, `unicast_peer: '${w[0]!.text}' is not an IP address; skipped`);
    return;
  }
  const p: { -readonly [K in keyof UnicastPeer]: UnicastPeer[K] } = {
    address: ip.text,
    minTtl: null,
    maxTtl: null,
  };
  for (let i = 1; i < w.length; i += 2) {
    const n = readInt(w[i + 1]?.text, 0, 255, c, `unicast_peer ${w[i]!.text}`);
    if (w[i]!.text === "min_ttl") p.minTtl = n ?? null;
    else if (w[i]!.text === "max_ttl") p.maxTtl = n ?? null;
    else c.diags.error(c.at, `unicast_peer: unknown option '${w[i]!.text}'`);
  }
  pushTo(d, "unicastPeers", p);
};

const garpSecs = (key: string): ArgsHandler<InstanceDraft> => (d, a, c) => {
  const n = readInt(a[0]?.text, 0, 86400, c);
  if (n !== undefined) d.garp[key] = n * 1000;
};
const garpCount = (key: string): ArgsHandler<InstanceDraft> => (d, a, c) => {
  const n = readInt(a[0]?.text, 0, 2147483647, c);
  if (n !== undefined) d.garp[key] = n;
};

const authTable: Table<InstanceDraft> = {
  auth_type: {
    h: (d, a, c) => {
      const t = a[0]?.text;
      if (t === "PASS" || t === "AH") d.authType = t;
      else c.diags.error(c.at, `auth_type must be PASS or AH, not '${t ?? ""}'`);
    },
  },
  auth_pass: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      const p = a.map((t) => t.text).join(" ");
      if (p.length > 8) {
        c.diags.warn(c.at, "auth_pass is longer than 8 characters; only the first 8 are used");
      }
      d.authPass = p.slice(0, 8);
    },
  },
};

const setInterface = strKw<VrrpInstance>("interface");

/** The vrrp_instance keyword table. */
export const VRRP_INSTANCE: Table<InstanceDraft> = {
  state: { h: state },
  interface: {
    h: (d, args, c) => {
      setInterface(d, args, c);
      d.interfaceAt = c.at;
      // keepalived refuses the loopback (one per network namespace, always named lo).
      if (d.interface === "lo") {
        c.diags.error(c.at, `(${d.name}) a loopback interface (${d.interface}) cannot carry VRRP; ignored`);
        d.interface = undefined;
      }
    },
  },
  vrf: {
    h: (_d, a, c) => {
      need(a, 1, c);
    },
  },
  use_vmac: { h: useVmac },
  use_vmac_addr: { h: flagKw("useVmacAddr") },
  vmac_xmit_base: { h: flagKw("vmacXmitBase") },
  use_ipvlan: { h: useIpvlan },
  native_ipv6: {
    // keepalived 2.2.7: the instance is IPv6 from here on; after IPv4 VIPs it is refused.
    h: (d, _a, c) => {
      if (d.ips.some((i) => i.family === "ipv4")) c.diags.error(c.at, `(${d.name}) Cannot specify native_ipv6 with IPv4 addresses`);
      else d.nativeIpv6 = true;
    },
  },
  dont_track_primary: { h: flagKw("dontTrackPrimary") },
  track_interface: trackKw("trackInterfaces", -253, 253),
  track_script: trackKw("trackScripts", -253, 253),
  track_file: trackKw("trackFiles", -254, 254),
  track_process: trackKw("trackProcesses", -254, 254),
  track_bfd: trackKw("trackBfds", -253, 253),
  mcast_src_ip: { h: ipField("mcastSrcIp") },
  unicast_src_ip: { h: ipField("unicastSrcIp") },
  mcast_dst_ip: { h: ipField("mcastDstIp") },
  track_src_ip: { h: flagKw("trackSrcIp") },
  version: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 2, 3, c);
      if (n !== undefined) d.versionRaw = n as 2 | 3;
    },
  },
  check_unicast_src: { h: flagKw("checkUnicastSrc") },
  unicast_peer: { values: { item: unicastPeer } },
  unicast_fault_no_peer: { h: flagKw("unicastFaultNoPeer") },
  unicast_ttl: { h: intKw("unicastTtl", 0, 255) },
  old_unicast_checksum: {
    h: (d, a) => {
      d.oldUnicastChecksum = a[0]?.text !== "never";
    },
  },
  garp_master_delay: { h: garpSecs("garpMasterDelayMs") },
  garp_master_repeat: { h: garpCount("garpMasterRepeat") },
  garp_lower_prio_delay: { h: garpSecs("garpLowerPrioDelayMs") },
  garp_lower_prio_repeat: { h: garpCount("garpLowerPrioRepeat") },
  garp_master_refresh: { h: garpSecs("garpMasterRefreshMs") },
  garp_master_refresh_repeat: { h: garpCount("garpMasterRefreshRepeat") },
  timer_expired_backup: {
    h: (d, a, c) => {
      const n = a.length ? readInt(a[0]!.text, 1, 254, c) : 254;
      if (n !== undefined) d.timerExpiredBackup = n;
    },
  },
  v3_checksum_as_v2: { h: flagKw("v3ChecksumAsV2") },
  no_virtual_ipaddress: { h: flagKw("noVirtualIpaddress") },
  vmac_garp_intvl: {
    h: (d, a, c) => {
      const all = a[0]?.text === "all";
      const ms = readTimerMs(a[all ? 1 : 0]?.text, 0, 86400, c);
      if (ms !== undefined) d.garpExtraIf = ms === 0 ? null : { delayMs: ms, all };
    },
  },
  garp_extra_if: {
    h: (d, a, c) => {
      const all = a[0]?.text === "all";
      const ms = readTimerMs(a[all ? 1 : 0]?.text, 0, 86400, c);
      if (ms !== undefined) d.garpExtraIf = ms === 0 ? null : { delayMs: ms, all };
    },
  },
  down_timer_adverts: { h: intKw("downTimerAdverts", 1, 100) },
  lower_prio_no_advert: { h: boolKw("lowerPrioNoAdvert") },
  higher_prio_send_advert: { h: boolKw("higherPrioSendAdvert") },
  virtual_router_id: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 255, c, "virtual_router_id");
      if (n !== undefined) d.vrid = n;
      else d.vrid = 0;
    },
  },
  priority: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 255, c, "priority");
      if (n !== undefined) d.priority = n;
      else c.diags.error(c.at, "priority: using the default 100");
    },
  },
  advert_int: {
    h: (d, a, c) => {
      const ms = readTimerMs(a[0]?.text, 0.01, 255, c);
      if (ms !== undefined) d.advertIntMs = ms;
    },
  },
  authentication: { block: { open: (d) => d, table: () => authTable as Table<never> } },
  virtual_ipaddress: {
    values: {
      item: (d, w, c) => {
        const ip = parseAddressEntry(w, c);
        if (ip) d.ips.push(ip);
      },
    },
  },
  virtual_ipaddress_excluded: {
    values: {
      item: (d, w, c) => {
        const ip = parseAddressEntry(w, c);
        if (ip) d.eips.push(ip);
      },
    },
  },
  promote_secondaries: { h: flagKw("promoteSecondaries") },
  virtual_routes: {
    values: {
      item: (d, w, c) => {
        const r = parseRouteEntry(w, c);
        if (r) d.routes.push(r);
      },
    },
  },
  virtual_rules: {
    values: {
      item: (d, w, c) => {
        const r = parseRuleEntry(w, c);
        if (r) d.rules.push(r);
      },
    },
  },
  accept: {
    h: (d) => {
      d.acceptRaw = true;
    },
  },
  no_accept: {
    h: (d) => {
      d.acceptRaw = false;
    },
  },
  nopreempt: { h: flagKw("nopreempt") },
  preempt: { h: flagKw("nopreempt", false) },
  preempt_delay: {
    h: (d, a, c) => {
      const ms = readTimerMs(a[0]?.text, 0, 1000, c);
      if (ms !== undefined) d.preemptDelayMs = ms;
    },
  },
  skip_check_adv_addr: { h: boolKw("skipCheckAdvAddr") },
  strict_mode: {
    h: (d, a, c) => {
      const b = a[0] === undefined ? true : ({ on: true, true: true, yes: true, off: false, false: false, no: false } as Record<
        string,
        boolean
      >)[a[0].text.toLowerCase()];
      if (b === undefined) c.diags.error(c.at, `strict_mode: bad value '${a[0]!.text}'`);
      else d.strictRaw = b;
    },
  },
  // keepalived.conf(5): "Debug level, not implemented yet"; 2.2.7 only shows it in its dumps, as we do.
  debug: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      const n = readInt(a[0]!.text, 0, 4, c);
      if (n !== undefined) d.debugLevel = n;
    },
  },
  smtp_alert: { h: boolKw("smtpAlert") },
  kernel_rx_buf_size: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 4294967295, c);
      if (n !== undefined) d.kernelRxBufSizeBytes = n;
    },
  },
  linkbeat_use_polling: { h: flagKw("linkbeatUsePolling") },
  lvs_sync_daemon_interface: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      c.diags.warn(c.at, `(${d.name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon`);
      d.lvsSyncDaemonInterface = a[0]!.text;
    },
  },
  ...notifyTable<InstanceDraft>(),
};

/** A fresh instance draft. */
export function newInstanceDraft(name: string, src: { file: string; line: number }): InstanceDraft {
  return { name, src, notifyD: {}, garp: {}, ips: [], eips: [], routes: [], rules: [] };
}
