/**
 * Keyword table for `global_defs` (keepalived.conf(5) "Global definitions": identity, email, scripts,
 * FIFOs, VRRP defaults, firewall, LVS, scheduling, buffers, SNMP, D-Bus, reload/dump) and the
 * top-level globals (net_namespace, instance, use_pid_dir, child_wait_time, linkbeat_use_polling...).
 */
import type { Family } from "../core/inet.ts";
import type { GlobalDefs, MetricsCompat, ProcessSchedule, RcvBuf } from "./model.ts";
import type { ArgsHandler, Table } from "./tree.ts";
import { parseIp } from "./ip.ts";
import { rxBufsPolicyKw } from "./rx-bufs.ts";
import { boolKw, type Draft, flagKw, intKw, need, pushTo, readBool, readInt, readScript, readTimerMs, strKw, timerKw, toInt } from "./values.ts";

/** Draft of global_defs as filled by handlers. */
export type GlobalDraft = Draft<GlobalDefs>;

const UINT = 4294967295;

/** Default per-process scheduling. */
export const DEFAULT_SCHED: ProcessSchedule = {
  priority: null,
  noSwap: false,
  rtPriority: null,
  cpuAffinity: [],
  rlimitRttimeUs: null,
};

function schedKw(
  field: "vrrpSched" | "checkerSched" | "bfdSched",
  key: keyof ProcessSchedule,
): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    const cur: ProcessSchedule = d[field] ?? DEFAULT_SCHED;
    let v: unknown;
    if (key === "priority") v = readInt(args[0]?.text, -20, 19, ctx);
    else if (key === "rtPriority") v = readInt(args[0]?.text, 1, 99, ctx);
    else if (key === "rlimitRttimeUs") v = readInt(args[0]?.text, 1, UINT, ctx);
    else if (key === "noSwap") v = true;
    else {
      if (args.length === 0) {
        ctx.diags.error(ctx.at, `No ${ctx.kw.replace(/_cpu_affinity$/, "")} cpu_id set specified`);
        return;
      }
      const cpus = args.map((a) => toInt(a.text));
      if (cpus.some((c) => c === undefined || c < 0)) {
        ctx.diags.error(ctx.at, `${ctx.kw}: CPU numbers must be whole numbers >= 0`);
        return;
      }
      v = cpus;
    }
    if (v !== undefined) d[field] = { ...cur, [key]: v };
  };
}

function rcvKw(
  field:
    | "vrrpNetlinkCmdRcvBufs"
    | "vrrpNetlinkMonitorRcvBufs"
    | "lvsNetlinkCmdRcvBufs"
    | "lvsNetlinkMonitorRcvBufs"
    | "processMonitorRcvBufs",
  force: boolean,
): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    const cur: RcvBuf = d[field] ?? { bytes: null, force: false };
    if (force) {
      const b = readBool(args, ctx);
      if (b !== undefined) d[field] = { ...cur, force: b };
      return;
    }
    const n = readInt(args[0]?.text, 0, UINT, ctx);
    if (n !== undefined) d[field] = { ...cur, bytes: n };
  };
}

function fifoKw(
  field: "notifyFifo" | "vrrpNotifyFifo" | "lvsNotifyFifo",
  script: boolean,
): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    const cur = d[field] ?? { path: "", user: null, group: null, script: null };
    if (script) {
      const s = readScript(args, ctx);
      if (s) d[field] = { ...cur, script: s };
      return;
    }
    if (!need(args, 1, ctx)) return;
    d[field] = { ...cur, path: args[0]!.text, user: args[1]?.text ?? null, group: args[2]?.text ?? null };
  };
}

function procName(key: "parent" | "vrrp" | "checker" | "bfd"): ArgsHandler<GlobalDraft> {
  return (d, args) => {
    const cur = d.processNames ?? { parent: null, vrrp: null, checker: null, bfd: null };
    const dflt = {
      parent: "keepalived",
      vrrp: "keepalived_vrrp",
      checker: "keepalived_ipvs",
      bfd: "keepalived_bfd",
    }[key];
    d.processNames = { ...cur, [key]: args[0]?.text ?? dflt };
  };
}

function nftKw(
  key: "table" | "priority" | "counters" | "ifindex" | "ipvsTable" | "ipvsPriority" | "ipvsStartFwmark",
): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    const cur = d.nftables ??
      {
        table: null,
        priority: -1,
        counters: false,
        ifindex: false,
        ipvsTable: null,
        ipvsPriority: -1,
        ipvsStartFwmark: 1000,
      };
    let v: unknown;
    if (key === "table") v = args[0]?.text ?? "keepalived";
    else if (key === "ipvsTable") v = args[0]?.text ?? "keepalived_ipvs";
    else if (key === "counters" || key === "ifindex") v = true;
    else if (key === "ipvsStartFwmark") v = readInt(args[0]?.text, 1, UINT, ctx);
    else v = readInt(args[0]?.text, -2147483648, 2147483647, ctx);
    if (v !== undefined) d.nftables = { ...cur, [key]: v };
  };
}

function mcastGroup(
  field: "vrrpMcastGroup4" | "vrrpMcastGroup6",
  family: Family,
): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    if (!need(args, 1, ctx)) return;
    const ip = parseIp(args[0]!.text);
    if (!ip || ip.family !== family) {
      ctx.diags.error(
        ctx.at,
        `${ctx.kw}: '${args[0]!.text}' is not an ${family === "ipv4" ? "IPv4" : "IPv6"} multicast address`,
      );
      return;
    }
    d[field] = ip.text;
  };
}

const lvsSyncDaemon: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (!need(args, 1, ctx)) return;
  const s = {
    interface: args[0]!.text,
    vrrpInstance: null as string | null,
    syncId: null as number | null,
    maxLen: null as number | null,
    port: null as number | null,
    ttl: null as number | null,
    group: null as string | null,
  };
  for (let i = 1; i < args.length; i++) {
    const w = args[i]!.text;
    const v = args[i + 1]?.text;
    if (w === "inst") {
      s.vrrpInstance = v ?? null;
      i++;
    } else if (w === "id") {
      s.syncId = readInt(v, 0, 255, ctx, "lvs_sync_daemon id") ?? null;
      i++;
    } else if (w === "maxlen") {
      s.maxLen = readInt(v, 1, 65507, ctx, "lvs_sync_daemon maxlen") ?? null;
      i++;
    } else if (w === "port") {
      s.port = readInt(v, 1, 65535, ctx, "lvs_sync_daemon port") ?? null;
      i++;
    } else if (w === "ttl") {
      s.ttl = readInt(v, 1, 255, ctx, "lvs_sync_daemon ttl") ?? null;
      i++;
    } else if (w === "group") {
      s.group = v === undefined ? null : parseIp(v)?.text ?? null;
      if (!s.group) ctx.diags.error(ctx.at, `lvs_sync_daemon: bad group '${v ?? ""}'`);
      i++;
    } else if (i === 1 && s.vrrpInstance === null) s.vrrpInstance = w;
    else ctx.diags.error(ctx.at, `lvs_sync_daemon: unknown option '${w}'`);
  }
  d.lvsSyncDaemon = s;
};

const lvsTimeouts: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const cur = { ...(d.lvsTimeouts ?? { tcpS: null, tcpFinS: null, udpS: null }) };
  if (args.length === 0) ctx.diags.error(ctx.at, "lvs_timeouts needs at least one of tcp, tcpfin, udp");
  for (let i = 0; i < args.length; i += 2) {
    const w = args[i]!.text;
    const n = readInt(args[i + 1]?.text, 0, 86400 * 31, ctx, `lvs_timeouts ${w}`);
    if (n === undefined) continue;
    if (w === "tcp") cur.tcpS = n;
    else if (w === "tcpfin") cur.tcpFinS = n;
    else if (w === "udp") cur.udpS = n;
    else ctx.diags.error(ctx.at, `lvs_timeouts: unknown protocol '${w}'`);
  }
  d.lvsTimeouts = cur;
};

const UMASK_BITS: Readonly<Record<string, number>> = {
  IRUSR: 0o400,
  IWUSR: 0o200,
  IXUSR: 0o100,
  IRGRP: 0o40,
  IWGRP: 0o20,
  IXGRP: 0o10,
  IROTH: 0o4,
  IWOTH: 0o2,
  IXOTH: 0o1,
};

const umask: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const text = args.map((a) => a.text).join("");
  if (/^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(text)) {
    d.umask = text.startsWith("0x") ? parseInt(text, 16) : text.startsWith("0") ? parseInt(text, 8) : parseInt(text, 10);
    return;
  }
  let m = 0;
  for (const b of text.split("|")) {
    const v = UMASK_BITS[b];
    if (v === undefined) {
      ctx.diags.error(ctx.at, `umask: unknown bit '${b}'`);
      return;
    }
    m |= v;
  }
  d.umask = m;
};

const smtpServer: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (!need(args, 1, ctx)) return;
  const port = args[1] === undefined ? 25 : readInt(args[1].text, 1, 65535, ctx, "smtp_server port");
  if (port !== undefined) d.smtpServer = { host: parseIp(args[0]!.text)?.text ?? args[0]!.text, port, src: ctx.at };
};

// Beyond keepalived (issue 7): STARTTLS and AUTH for alert mail, and the metrics endpoint.
const smtpStarttls: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const mode = args[0]?.text ?? "verify";
  if (mode !== "verify" && mode !== "noverify") {
    ctx.diags.error(ctx.at, `smtp_starttls: expected 'verify' or 'noverify', got '${mode}'`);
    return;
  }
  d.smtpStarttls = mode;
};

function smtpAuthPart(part: "user" | "pass"): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    if (!need(args, 1, ctx)) return;
    d.smtpAuth = { user: "", pass: "", ...d.smtpAuth, [part]: args[0]!.text };
  };
}

const metricsListen: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (!need(args, 1, ctx)) return;
  const text = args[0]!.text;
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d+)$/.exec(text);
  const host = m ? parseIp(m[1] ?? m[2] ?? "")?.text : undefined;
  const port = m ? readInt(m[3], 1, 65535, ctx, "metrics_listen port") : undefined;
  if (host === undefined) {
    ctx.diags.error(ctx.at, `metrics_listen: expected ADDR:PORT or [ADDR6]:PORT, got '${text}'`);
  } else if (port !== undefined) d.metricsListen = { host, port };
};

/** `metrics_compat mehdy|gen2brain|none ...`: repeated lines add up; `none` clears. */
const metricsCompat: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (!need(args, 1, ctx)) return;
  let cur: MetricsCompat[] = [...(d.metricsCompat ?? [])];
  for (const a of args) {
    const t = a.text;
    if (t === "none") cur = [];
    else if (t === "mehdy" || t === "gen2brain") cur = cur.includes(t) ? cur : [...cur, t];
    else ctx.diags.error(ctx.at, `metrics_compat: expected mehdy, gen2brain or none, got '${t}'`);
  }
  d.metricsCompat = cur;
};

/** `control_socket none` or `control_socket PATH [MODE] [GROUP]` (docs/control.md). */
const controlSocket: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const [p, m, g] = args.map((a) => a.text);
  if (p === "none" && args.length === 1) {
    d.controlSocket = null;
    return;
  }
  if (!p?.startsWith("/") || p.endsWith("/")) return ctx.diags.error(ctx.at, `control_socket: expected an absolute socket path or none, got '${p ?? ""}'`);
  const mode = m === undefined ? 0o600 : /^0?[0-7]{3}$/.test(m) ? parseInt(m, 8) : NaN;
  // Owner read/write always; group may get access; others never (the socket changes the daemon's state).
  if (!(Number.isInteger(mode) && (mode & 0o600) === 0o600 && (mode & 0o117) === 0)) {
    return ctx.diags.error(ctx.at, `control_socket: mode '${m}' must be 0600, 0620, 0640 or 0660`);
  }
  if (args.length > 3) return ctx.diags.error(ctx.at, `control_socket: unexpected '${args[3]!.text}'`);
  d.controlSocket = { path: p, mode, group: g ?? null };
};

const garpExtraIf: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const all = args[0]?.text === "all";
  const ms = readTimerMs(args[all ? 1 : 0]?.text, 0, 86400, ctx);
  if (ms !== undefined) d.vrrpGarpExtraIf = { delayMs: ms, all };
};

const vrrpVersion: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const n = readInt(args[0]?.text, 2, 3, ctx);
  if (n !== undefined) d.vrrpVersion = n as 2 | 3;
};

const vrrpIptables: ArgsHandler<GlobalDraft> = (d, args) => {
  d.vrrpIptables = {
    inChain: args[0]?.text ?? "INPUT",
    outChain: args[1]?.text ?? (args.length === 0 ? "OUTPUT" : null),
  };
};

const lvsFlushOnStop: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const a = args[0]?.text;
  if (a === undefined) d.lvsFlushOnStop = "all";
  else if (a === "VS") d.lvsFlushOnStop = "vs";
  else ctx.diags.error(ctx.at, `lvs_flush_on_stop: expected nothing or VS, not '${a}'`);
};

/** A flag with an optional <BOOL>; anything else is keepalived's "Invalid value" error. */
function optBool(field: "noCheckerEmails" | "rsInitNotifies"): ArgsHandler<GlobalDraft> {
  return (d, a, c) => {
    const w = a[0]?.text.toLowerCase();
    if (w === undefined || ["on", "true", "yes"].includes(w)) d[field] = true;
    else if (["off", "false", "no"].includes(w)) d[field] = false;
    else c.diags.error(c.at, `Invalid value '${a[0]!.text}' for global ${c.kw} specified`);
  };
}

/** Address count when a notification_email block opened, to spot an empty block at its `}`. */
const emailsAtOpen = new WeakMap<GlobalDraft, number>();

const scriptUser: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (need(args, 1, ctx)) d.scriptUser = { user: args[0]!.text, group: args[1]?.text ?? null, src: ctx.at };
};

const optStr = (field: keyof GlobalDefs, dflt: string | null): ArgsHandler<GlobalDraft> => (d, args) => {
  (d as Record<string, unknown>)[field] = args[0]?.text ?? dflt;
};

/** Keywords valid only at the top level (outside global_defs). */
export const TOP_GLOBAL: Table<GlobalDraft> = {
  net_namespace: { h: strKw("netNamespace") },
  net_namespace_ipvs: { h: optStr("netNamespaceIpvs", "") },
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
  vrrp_min_garp: { h: boolKw("vrrpMinGarp") },
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
  vrrp_ipsets: {
    h: (d, a) => {
      d.vrrpIpsets = a.map((t) => t.text);
    },
  },
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
  json_version: { h: intKw("jsonVersion", 1, 2) },
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
