/**
 * Keyword table for `global_defs` (keepalived.conf(5) "Global definitions": identity, email, scripts,
 * FIFOs, VRRP defaults, firewall, LVS, scheduling, buffers, SNMP, D-Bus, reload/dump) and the
 * top-level globals (net_namespace, instance, use_pid_dir, child_wait_time, linkbeat_use_polling...).
 */
import type { GlobalDefs } from "./model.ts";
import type { ArgsHandler, Table } from "./tree.ts";
import { rxBufsPolicyKw } from "./rx-bufs.ts";
import { boolKw, flagKw, intKw, need, pushTo, readInt, readScript, strKw, timerKw } from "./values.ts";

export type { GlobalDraft } from "./kw-global-args.ts";
import {
  controlSocket,
  fifoKw,
  garpExtraIf,
  type GlobalDraft,
  lvsFlushOnStop,
  lvsSyncDaemon,
  lvsTimeouts,
  mcastGroup,
  metricsCompat,
  metricsListen,
  minGarp,
  nftKw,
  optBool,
  procName,
  rcvKw,
  schedKw,
  smtpAuthPart,
  smtpServer,
  smtpStarttls,
  UINT,
  umask,
  vrrpIptables,
  vrrpVersion,
} from "./kw-global-args.ts";
export { DEFAULT_SCHED } from "./kw-global-args.ts";

const emailsAtOpen = new WeakMap<GlobalDraft, number>();

const scriptUser: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (need(args, 1, ctx)) d.scriptUser = { user: args[0]!.text, group: args[1]?.text ?? null, src: ctx.at };
};

const optStr = (field: keyof GlobalDefs, dflt: string | null): ArgsHandler<GlobalDraft> => (d, args) => {
  (d as Record<string, unknown>)[field] = args[0]?.text ?? dflt;
};

/** A namespace keyword: keepalived 2.2.7 keeps the first one and warns about a second. */
const firstOnly = (field: "netNamespace" | "netNamespaceIpvs", kw: string, h: ArgsHandler<GlobalDraft>): ArgsHandler<GlobalDraft> => (d, args, c) => {
  if (d[field] === undefined || d[field] === null) return h(d, args, c);
  c.diags.add(c.at, "info", `Duplicate ${kw} definition ${args[0]?.text ?? ""} - ignoring`);
};

/** Keywords valid only at the top level (outside global_defs). */
export const TOP_GLOBAL: Table<GlobalDraft> = {
  net_namespace: { h: firstOnly("netNamespace", "net_namespace", strKw("netNamespace")) },
  net_namespace_ipvs: { h: firstOnly("netNamespaceIpvs", "net_namespace_ipvs", optStr("netNamespaceIpvs", "")) },
  namespace_with_ipsets: { h: flagKw("namespaceWithIpsets") },
  instance: { h: strKw("instanceName") },
  use_pid_dir: { h: flagKw("usePidDir") },
  child_wait_time: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.childWaitTimeMs = n * 1000;
    },
  },
  linkbeat_use_polling: { h: flagKw("linkbeatUsePolling") },
};

/** The global_defs block table. */
export const GLOBAL_DEFS: Table<GlobalDraft> = {
  router_id: { h: strKw("routerId") },
  default_interface: { h: strKw("defaultInterface") },
  dynamic_interfaces: {
    h: (d, a, c) => {
      d.dynamicInterfaces = true;
      if (a[0]?.text === "allow_if_changes") d.allowIfChanges = true;
      else if (a[0] !== undefined) c.diags.error(c.at, `Unknown dynamic_interfaces option '${a[0].text}'`);
    },
  },
  umask: { h: umask },
  process_names: {
    h: (d) => {
      d.processNames = {
        parent: "keepalived",
        vrrp: "keepalived_vrrp",
        checker: "keepalived_ipvs",
        bfd: "keepalived_bfd",
      };
    },
  },
  process_name: { h: procName("parent") },
  vrrp_process_name: { h: procName("vrrp") },
  checker_process_name: { h: procName("checker") },
  lvs_process_name: { h: procName("checker") },
  bfd_process_name: { h: procName("bfd") },
  tmp_config_directory: { h: strKw("tmpConfigDirectory") },
  config_save_dir: { h: strKw("configSaveDir") },
  notification_email: {
    values: {
      open: (d) => void emailsAtOpen.set(d, d.notificationEmails?.length ?? 0),
      item: (d, w) => {
        for (const t of w) pushTo(d, "notificationEmails", t.text);
      },
      close: (d, c) => {
        if ((d.notificationEmails?.length ?? 0) === emailsAtOpen.get(d)) {
          c.diags.warn(c.at, "Warning - empty notification_email block");
        }
      },
    },
  },
  notification_email_from: { h: strKw("notificationEmailFrom") },
  smtp_server: { h: smtpServer },
  // keepalived 2.2.7 accepts smtp_helo_name without a value (the host name is used).
  smtp_helo_name: { h: (d, a, c) => a.length > 0 && strKw<GlobalDefs>("smtpHeloName")(d, a, c) },
  smtp_connect_timeout: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 3600, c);
      if (n !== undefined) d.smtpConnectTimeoutMs = n * 1000;
    },
  },
  smtp_alert: { h: boolKw("smtpAlert") },
  smtp_alert_vrrp: { h: boolKw("smtpAlertVrrp") },
  smtp_alert_checker: { h: boolKw("smtpAlertChecker") },
  no_email_faults: { h: flagKw("noEmailFaults") },
  no_checker_emails: { h: optBool("noCheckerEmails") },
  smtp_starttls: { h: smtpStarttls },
  smtp_auth_user: { h: smtpAuthPart("user") },
  smtp_auth_pass: { h: smtpAuthPart("pass") },
  metrics_listen: { h: metricsListen },
  metrics_compat: { h: metricsCompat },
  control_socket: { h: controlSocket },
  script_user: { h: scriptUser },
  enable_script_security: { h: flagKw("enableScriptSecurity") },
  use_symlink_paths: { h: boolKw("useSymlinkPaths") },
  startup_script: {
    h: (d, a, c) => {
      const s = readScript(a, c);
      if (s) d.startupScript = s;
    },
  },
  startup_script_timeout: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 1000, c);
      if (n !== undefined) d.startupScriptTimeoutMs = n * 1000;
    },
  },
  shutdown_script: {
    h: (d, a, c) => {
      const s = readScript(a, c);
      if (s) d.shutdownScript = s;
    },
  },
  shutdown_script_timeout: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 1000, c);
      if (n !== undefined) d.shutdownScriptTimeoutMs = n * 1000;
    },
  },
  notify_fifo: { h: fifoKw("notifyFifo", false) },
  notify_fifo_script: { h: fifoKw("notifyFifo", true) },
  vrrp_notify_fifo: { h: fifoKw("vrrpNotifyFifo", false) },
  vrrp_notify_fifo_script: { h: fifoKw("vrrpNotifyFifo", true) },
  lvs_notify_fifo: { h: fifoKw("lvsNotifyFifo", false) },
  lvs_notify_fifo_script: { h: fifoKw("lvsNotifyFifo", true) },
  fifo_write_vrrp_states_on_reload: { h: flagKw("fifoWriteVrrpStatesOnReload") },
  vrrp_notify_priority_changes: { h: boolKw("vrrpNotifyPriorityChanges") },
  vrrp_version: { h: vrrpVersion },
  vrrp_mcast_group4: { h: mcastGroup("vrrpMcastGroup4", "ipv4") },
  vrrp_mcast_group6: { h: mcastGroup("vrrpMcastGroup6", "ipv6") },
  vrrp_garp_master_delay: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 86400, c);
      if (n !== undefined) d.vrrpGarpMasterDelayMs = n * 1000;
    },
  },
  vrrp_garp_master_repeat: { h: intKw("vrrpGarpMasterRepeat", 0, 2147483647) },
  vrrp_garp_master_refresh: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 86400, c);
      if (n !== undefined) d.vrrpGarpMasterRefreshMs = n * 1000;
    },
  },
  vrrp_garp_master_refresh_repeat: { h: intKw("vrrpGarpMasterRefreshRepeat", 0, 2147483647) },
  vrrp_garp_lower_prio_delay: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 86400, c);
      if (n !== undefined) d.vrrpGarpLowerPrioDelayMs = n * 1000;
    },
  },
  vrrp_garp_lower_prio_repeat: { h: intKw("vrrpGarpLowerPrioRepeat", 0, 2147483647) },
  vrrp_garp_interval: { h: timerKw("vrrpGarpIntervalMs", 0.000001, 4294.967295) },
  vrrp_gna_interval: { h: timerKw("vrrpGnaIntervalMs", 0.000001, 4294.967295) },
  vrrp_min_garp: { h: minGarp },
  vrrp_garp_extra_if: { h: garpExtraIf },
  vrrp_vmac_garp_intvl: {
    h: (d, a, c) => {
      c.diags.warn(c.at, 'Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"');
      garpExtraIf(d, a, c);
    },
  },
  vrrp_down_timer_adverts: { h: intKw("vrrpDownTimerAdverts", 1, 100) },
  vrrp_lower_prio_no_advert: { h: boolKw("vrrpLowerPrioNoAdvert") },
  vrrp_higher_prio_send_advert: { h: boolKw("vrrpHigherPrioSendAdvert") },
  vrrp_check_unicast_src: { h: flagKw("vrrpCheckUnicastSrc") },
  vrrp_skip_check_adv_addr: { h: flagKw("vrrpSkipCheckAdvAddr") },
  vrrp_strict: { h: flagKw("vrrpStrict") },
  vrrp_owner_ignore_adverts: { h: flagKw("vrrpOwnerIgnoreAdverts") },
  vrrp_startup_delay: { h: timerKw("vrrpStartupDelayMs", 0, 3600) },
  log_unknown_vrids: { h: flagKw("logUnknownVrids") },
  vmac_prefix: { h: strKw("vmacPrefix") },
  vmac_addr_prefix: { h: strKw("vmacAddrPrefix") },
  disable_local_igmp: { h: flagKw("disableLocalIgmp") },
  vrrp_rx_bufs_policy: { h: rxBufsPolicyKw },
  vrrp_rx_bufs_multiplier: { h: intKw("vrrpRxBufsMultiplier", 1, UINT) },
  vrrp_iptables: { h: vrrpIptables },
  nftables: { h: nftKw("table") },
  nftables_priority: { h: nftKw("priority") },
  nftables_counters: { h: nftKw("counters") },
  nftables_ifindex: { h: nftKw("ifindex") },
  nftables_ipvs: { h: nftKw("ipvsTable") },
  nftables_ipvs_priority: { h: nftKw("ipvsPriority") },
  nftables_ipvs_start_fwmark: { h: nftKw("ipvsStartFwmark") },
  lvs_sync_daemon: { h: lvsSyncDaemon },
  lvs_timeouts: { h: lvsTimeouts },
  lvs_flush: { h: flagKw("lvsFlush") },
  lvs_flush_on_stop: { h: lvsFlushOnStop },
  lvs_flush_onstop: { h: lvsFlushOnStop },
  checker_log_all_failures: { h: boolKw("checkerLogAllFailures") },
  rs_init_notifies: { h: optBool("rsInitNotifies") },
  max_auto_priority: {
    h: (d, a, c) => {
      d.maxAutoPriority = a[0] === undefined ? 99 : readInt(a[0].text, -1, 99, c) ?? null;
    },
  },
  min_auto_priority_delay: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 10_000_000, c);
      if (n !== undefined) d.minAutoPriorityDelayUs = n;
    },
  },
  ...schedTable(),
  vrrp_netlink_cmd_rcv_bufs: { h: rcvKw("vrrpNetlinkCmdRcvBufs", false) },
  vrrp_netlink_cmd_rcv_bufs_force: { h: rcvKw("vrrpNetlinkCmdRcvBufs", true) },
  vrrp_netlink_monitor_rcv_bufs: { h: rcvKw("vrrpNetlinkMonitorRcvBufs", false) },
  vrrp_netlink_monitor_rcv_bufs_force: { h: rcvKw("vrrpNetlinkMonitorRcvBufs", true) },
  lvs_netlink_cmd_rcv_bufs: { h: rcvKw("lvsNetlinkCmdRcvBufs", false) },
  lvs_netlink_cmd_rcv_bufs_force: { h: rcvKw("lvsNetlinkCmdRcvBufs", true) },
  lvs_netlink_monitor_rcv_bufs: { h: rcvKw("lvsNetlinkMonitorRcvBufs", false) },
  lvs_netlink_monitor_rcv_bufs_force: { h: rcvKw("lvsNetlinkMonitorRcvBufs", true) },
  process_monitor_rcv_bufs: { h: rcvKw("processMonitorRcvBufs", false) },
  process_monitor_rcv_bufs_force: { h: rcvKw("processMonitorRcvBufs", true) },
  snmp_socket: { h: strKw("snmpSocket") },
  enable_snmp_vrrp: { h: flagKw("enableSnmpVrrp") },
  enable_snmp_keepalived: { h: flagKw("enableSnmpVrrp") },
  enable_snmp_checker: { h: flagKw("enableSnmpChecker") },
  enable_snmp_rfc: {
    h: (d) => {
      d.enableSnmpRfcV2 = true;
      d.enableSnmpRfcV3 = true;
    },
  },
  enable_snmp_rfcv2: { h: flagKw("enableSnmpRfcV2") },
  enable_snmp_rfcv3: { h: flagKw("enableSnmpRfcV3") },
  enable_traps: { h: flagKw("enableTraps") },
  enable_dbus: { h: flagKw("enableDbus") },
  dbus_service_name: { h: strKw("dbusServiceName") },
  reload_check_config: {
    h: (d, a) => {
      d.reloadCheckConfig = { logFile: a[0]?.text ?? null };
    },
  },
  reload_time_file: { h: strKw("reloadTimeFile") },
  reload_repeat: { h: flagKw("reloadRepeat") },
  reload_file: { h: optStr("reloadFile", "keepalived.reload") },
  data_use_instance: { h: boolKw("dataUseInstance") },
  random_seed: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.randomSeed = n;
    },
  },
  state_dump_file: { h: strKw("stateDumpFile") },
  stats_dump_file: { h: strKw("statsDumpFile") },
  json_dump_file: { h: strKw("jsonDumpFile") },
  // keepalived 2.2.7 does not know json_version (its one JSON layout is what later keepalived calls version 1,
  // and what keepalived.json here is); version 2, a later keepalived's layout, is reported and not written.
  json_version: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 2, c);
      if (n === undefined) return;
      d.jsonVersion = n;
      if (n === 2) {
        c.diags.add(c.at, "unsupported", "'json_version 2' is not implemented (keepalived.json keeps keepalived 2.2.7's layout, version 1)");
      }
    },
  },
  include_check: {
    h: (d, a) => {
      d.includeCheck = a.map((t) => t.text);
    },
  },
};

function schedTable(): Table<GlobalDraft> {
  const t: Record<string, { h: ArgsHandler<GlobalDraft> }> = {};
  for (const [p, f] of [["vrrp", "vrrpSched"], ["checker", "checkerSched"], ["bfd", "bfdSched"]] as const) {
    t[`${p}_priority`] = { h: schedKw(f, "priority") };
    t[`${p}_no_swap`] = { h: schedKw(f, "noSwap") };
    t[`${p}_rt_priority`] = { h: schedKw(f, "rtPriority") };
    t[`${p}_cpu_affinity`] = { h: schedKw(f, "cpuAffinity") };
    t[`${p}_rlimit_rttime`] = { h: schedKw(f, "rlimitRttimeUs") };
    t[`${p}_rlimit_rtime`] = { h: schedKw(f, "rlimitRttimeUs") };
  }
  return t;
}
