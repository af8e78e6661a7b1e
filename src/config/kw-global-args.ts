/**
 * The argument handlers of global_defs keywords that need more than a plain value (the tables that
 * use them: src/config/kw-global.ts).
 */
import { availableParallelism } from "node:os";
import type { Family } from "../core/inet.ts";
import type { GlobalDefs, MetricsCompat, ProcessSchedule, RcvBuf } from "./model.ts";
import type { ArgsHandler } from "./tree.ts";
import { parseIp } from "./ip.ts";
import { type Draft, need, readBool, readInt, readScript, readTimerMs, toInt } from "./values.ts";

/** Draft of global_defs as filled by handlers. */
export type GlobalDraft = Draft<GlobalDefs>;

export const UINT = 4294967295;

/** Default per-process scheduling. */
export const DEFAULT_SCHED: ProcessSchedule = {
  priority: null,
  noSwap: false,
  rtPriority: null,
  cpuAffinity: [],
  rlimitRttimeUs: null,
};

/** Online CPUs, for `*_cpu_affinity` (keepalived takes CPU numbers 0..sysconf(_SC_NPROCESSORS_ONLN)-1). */
export const onlineCpus = (): number => availableParallelism();

/** SCHED_RR's priority range (sched_get_priority_min/max on Linux). */
const RT_MIN = 1, RT_MAX = 99;

/** A `*_rt_priority` value: keepalived takes any integer and clamps it to 1..99 with an error. */
function rtPriority(text: string | undefined, proc: string, ctx: Parameters<ArgsHandler<GlobalDraft>>[2]): number | undefined {
  if (text === undefined) return void ctx.diags.error(ctx.at, `No ${proc} process real-time priority specified`);
  const n = toInt(text);
  if (n === undefined) return void ctx.diags.error(ctx.at, `${proc} process real-time priority '${text}' invalid`);
  if (n < RT_MIN) ctx.diags.error(ctx.at, `${proc} process real-time priority ${n} less than minimum ${RT_MIN} - setting to minimum`);
  else if (n > RT_MAX) ctx.diags.error(ctx.at, `${proc} process real-time priority ${n} greater than maximum ${RT_MAX} - setting to maximum`);
  return Math.min(RT_MAX, Math.max(RT_MIN, n));
}

/** A `*_cpu_affinity` list: CPU numbers (words), each below the number of online CPUs; one bad one empties it. */
function cpuList(args: readonly { text: string }[], proc: string, ctx: Parameters<ArgsHandler<GlobalDraft>>[2]): number[] | undefined {
  if (args.length === 0) return void ctx.diags.error(ctx.at, `No ${proc} cpu_id set specified`);
  const max = onlineCpus() - 1;
  const cpus: number[] = [];
  for (const a of args) {
    const c = toInt(a.text);
    if (c === undefined || c < 0 || c > max) {
      ctx.diags.error(ctx.at, `Invalid cpu_id:${a.text} specified for ${proc} process (0-${max})`);
      return [];
    }
    if (!cpus.includes(c)) cpus.push(c);
  }
  return cpus;
}

export function schedKw(
  field: "vrrpSched" | "checkerSched" | "bfdSched",
  key: keyof ProcessSchedule,
): ArgsHandler<GlobalDraft> {
  const proc = field === "vrrpSched" ? "vrrp" : field === "checkerSched" ? "checker" : "bfd";
  return (d, args, ctx) => {
    const cur: ProcessSchedule = d[field] ?? DEFAULT_SCHED;
    let v: unknown;
    if (key === "priority") v = readInt(args[0]?.text, -20, 19, ctx);
    else if (key === "rtPriority") v = rtPriority(args[0]?.text, proc, ctx);
    else if (key === "rlimitRttimeUs") {
      if (ctx.kw.endsWith("_rtime")) ctx.diags.add(ctx.at, "info", `Keyword '${ctx.kw}' is deprecated - please use '${proc}_rlimit_rttime'`);
      // The soft limit is half of it and must not be 0: keepalived raises 1 to 2.
      v = readInt(args[0]?.text, 1, UINT, ctx);
      if (v === 1) v = 2;
    } else if (key === "noSwap") v = true;
    else v = cpuList(args, proc, ctx);
    if (v !== undefined) d[field] = { ...cur, [key]: v };
  };
}

export function rcvKw(
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
    // 0 leaves the size unset, as in keepalived.
    const n = readInt(args[0]?.text, 0, UINT, ctx);
    if (n) d[field] = { ...cur, bytes: n };
  };
}

export function fifoKw(
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

/** The kernel keeps this many bytes of a process name (TASK_COMM_LEN - 1). */
export const PROCESS_NAME_MAX = 15;

export function procName(key: "parent" | "vrrp" | "checker" | "bfd"): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    const cur = d.processNames ?? { parent: null, vrrp: null, checker: null, bfd: null };
    const dflt = {
      parent: "keepalived",
      vrrp: "keepalived_vrrp",
      checker: "keepalived_ipvs",
      bfd: "keepalived_bfd",
    }[key];
    if (ctx.kw === "lvs_process_name") ctx.diags.add(ctx.at, "info", "'lvs_process_name' is deprecated - please use 'checker_process_name'");
    let name = args[0]?.text ?? dflt;
    if (new TextEncoder().encode(name).length > PROCESS_NAME_MAX) {
      ctx.diags.warn(ctx.at, `Process name ${name} more than ${PROCESS_NAME_MAX} characters, truncating`);
      name = new TextDecoder().decode(new TextEncoder().encode(name).slice(0, PROCESS_NAME_MAX)).replace(/\uFFFD$/, "");
    }
    d.processNames = { ...cur, [key]: name };
  };
}

export function nftKw(
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
    if (key === "table" && cur.table) return void ctx.diags.error(ctx.at, "nftables already specified - ignoring");
    let v: unknown;
    if (key === "table") v = args[0]?.text ?? "keepalived";
    else if (key === "ipvsTable") v = args[0]?.text ?? "keepalived_ipvs";
    else if (key === "counters" || key === "ifindex") v = true;
    else if (key === "ipvsStartFwmark") v = readInt(args[0]?.text, 1, UINT, ctx);
    else v = readInt(args[0]?.text, -2147483648, 2147483647, ctx);
    if (v !== undefined) d.nftables = { ...cur, [key]: v };
  };
}

export function mcastGroup(
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

export const lvsSyncDaemon: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
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

export const lvsTimeouts: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
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

export const UMASK_BITS: Readonly<Record<string, number>> = {
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

export const umask: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
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

export const smtpServer: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (!need(args, 1, ctx)) return;
  const port = args[1] === undefined ? 25 : readInt(args[1].text, 1, 65535, ctx, "smtp_server port");
  if (port !== undefined) d.smtpServer = { host: parseIp(args[0]!.text)?.text ?? args[0]!.text, port, src: ctx.at };
};

// Beyond keepalived (issue 7): STARTTLS and AUTH for alert mail, and the metrics endpoint.
export const smtpStarttls: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const mode = args[0]?.text ?? "verify";
  if (mode !== "verify" && mode !== "noverify") {
    ctx.diags.error(ctx.at, `smtp_starttls: expected 'verify' or 'noverify', got '${mode}'`);
    return;
  }
  d.smtpStarttls = mode;
};

export function smtpAuthPart(part: "user" | "pass"): ArgsHandler<GlobalDraft> {
  return (d, args, ctx) => {
    if (!need(args, 1, ctx)) return;
    d.smtpAuth = { user: "", pass: "", ...d.smtpAuth, [part]: args[0]!.text };
  };
}

export const metricsListen: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
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
export const metricsCompat: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
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
export const controlSocket: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
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

export const garpExtraIf: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const all = args[0]?.text === "all";
  const ms = readTimerMs(args[all ? 1 : 0]?.text, 0, 86400, ctx);
  if (ms !== undefined) d.vrrpGarpExtraIf = { delayMs: ms, all };
};

/**
 * `vrrp_min_garp [BOOL]`: one GARP/NA at the transition to MASTER, no second round, no refresh. As in
 * keepalived 2.2.7 it acts where it stands: each GARP default that still holds its default value (set or
 * not) takes the minimal one, and a vrrp_garp_* keyword later in the file wins over it.
 */
export const minGarp: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  if (!readBool(args, ctx)) return;
  if ((d.vrrpGarpMasterRepeat ?? 5) === 5) d.vrrpGarpMasterRepeat = 1;
  if ((d.vrrpGarpMasterRefreshRepeat ?? 1) === 1) d.vrrpGarpMasterRefreshRepeat = 0;
  if ((d.vrrpGarpMasterDelayMs ?? 5000) === 5000) d.vrrpGarpMasterDelayMs = 0;
};

export const vrrpVersion: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const n = readInt(args[0]?.text, 2, 3, ctx);
  if (n !== undefined) d.vrrpVersion = n as 2 | 3;
};

/**
 * `vrrp_iptables [IN [OUT]]`: keepalived 2.2.7 as Debian builds it has no iptables; it reports the line as
 * a configuration error and, unless `nftables` came first, uses nftables with its default table name
 * (any chain names given are dropped). Its `vrrp_ipsets` is not registered at all (an unknown keyword).
 */
export const vrrpIptables: ArgsHandler<GlobalDraft> = (d, _args, ctx) => {
  ctx.diags.error(
    ctx.at,
    "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option",
  );
  if (!d.nftables?.table) nftKw("table")(d, [], ctx);
};

export const lvsFlushOnStop: ArgsHandler<GlobalDraft> = (d, args, ctx) => {
  const a = args[0]?.text;
  if (a === undefined) d.lvsFlushOnStop = "all";
  else if (a === "VS") d.lvsFlushOnStop = "vs";
  else ctx.diags.error(ctx.at, `lvs_flush_on_stop: expected nothing or VS, not '${a}'`);
};

/** A flag with an optional <BOOL>; anything else is keepalived's "Invalid value" error. */
export function optBool(field: "noCheckerEmails" | "rsInitNotifies"): ArgsHandler<GlobalDraft> {
  return (d, a, c) => {
    const w = a[0]?.text.toLowerCase();
    if (w === undefined || ["on", "true", "yes"].includes(w)) d[field] = true;
    else if (["off", "false", "no"].includes(w)) d[field] = false;
    else c.diags.error(c.at, `Invalid value '${a[0]!.text}' for global ${c.kw} specified`);
  };
}

/** Address count when a notification_email block opened, to spot an empty block at its `}`. */
