/**
 * LVS / checker validation with keepalived's semantics (keepalived.conf(5) LVS CONFIGURATION):
 * timing inheritance checker -> real_server -> virtual_server with defaults delay_loop 60 s,
 * connect_timeout 5 s, retry 1 (DNS 3, MISC 0), delay_before_retry 1 s (HTTP/SSL 3 s), warmup =
 * delay_loop; scheduler wlc, method NAT, quorum 1; group / track_file / bfd references must exist.
 */
import type { DiagSink } from "./diag.ts";
import type { Checker, CheckerCommon, Family, GlobalDefs, HttpUrl, RealServer, VirtualServer, VirtualServerGroup } from "./model.ts";
import type { CheckerDraft, TimingDraft } from "./kw-checkers.ts";
import type { RsDraft, VsDraft } from "./kw-check.ts";
import type { Draft } from "./values.ts";

/** Names other blocks define that checkers may reference. */
export interface CheckRefs {
  readonly trackFiles: ReadonlySet<string>;
  readonly bfds: ReadonlySet<string>;
  readonly groups: ReadonlyMap<string, VirtualServerGroup>;
}

function finishUrl(u: Draft<HttpUrl>, diags: DiagSink): HttpUrl | undefined {
  if (!u.path) {
    diags.error(u.src!, "url block has no path; ignored");
    return undefined;
  }
  return {
    path: u.path,
    digest: u.digest ?? null,
    statusCodes: u.statusCodes ?? [[200, 299]],
    virtualhost: u.virtualhost ?? null,
    regex: u.regex ?? null,
    regexNoMatch: u.regexNoMatch ?? false,
    regexOptions: u.regexOptions ?? [],
    regexStack: u.regexStack ?? null,
    regexMinOffset: u.regexMinOffset ?? null,
    regexMaxOffset: u.regexMaxOffset ?? null,
    src: u.src!,
  };
}

function common(c: CheckerDraft, rs: RsDraft, vs: VsDraft, g: GlobalDefs): CheckerCommon {
  const delayLoopMs = c.delayLoopMs ?? rs.delayLoopMs ?? vs.delayLoopMs ?? 60000;
  const http = c.type === "HTTP_GET" || c.type === "SSL_GET";
  const defRetry = c.type === "DNS_CHECK" ? 3 : c.type === "MISC_CHECK" ? 0 : 1;
  return {
    connectIp: c.connectIp ?? null,
    connectPort: c.connectPort ?? null,
    bindTo: c.bindTo ?? null,
    bindPort: c.bindPort ?? null,
    bindIf: c.bindIf ?? null,
    fwmark: c.fwmark ?? null,
    connectTimeoutMs: c.connectTimeoutMs ?? rs.connectTimeoutMs ?? vs.connectTimeoutMs ?? 5000,
    retry: c.retry ?? rs.retry ?? vs.retry ?? defRetry,
    delayBeforeRetryMs: c.delayBeforeRetryMs ?? rs.delayBeforeRetryMs ?? vs.delayBeforeRetryMs ??
      (http ? 3000 : 1000),
    warmupMs: c.warmupMs ?? rs.warmupMs ?? vs.warmupMs ?? delayLoopMs,
    delayLoopMs,
    alpha: c.alpha ?? rs.alpha ?? vs.alpha ?? false,
    logAllFailures: c.logAllFailures ?? g.checkerLogAllFailures,
    src: c.src,
  };
}

/** HTTP_GET / SSL_GET: at least one url, the rest defaulted from the real and virtual server. */
function finishHttp(
  c: CheckerDraft,
  type: "HTTP_GET" | "SSL_GET",
  base: CheckerCommon,
  rs: RsDraft,
  vs: VsDraft,
  diags: DiagSink,
): Checker | undefined {
  const urls = c.urls.map((u) => finishUrl(u, diags)).filter((u): u is HttpUrl => u !== undefined);
  if (urls.length === 0) {
    diags.error(c.src, `${type} has no url; checker removed`);
    return undefined;
  }
  return {
    ...base,
    type,
    urls,
    httpProtocol: c.httpProtocol ?? "1.0",
    virtualhost: c.virtualhost ?? rs.virtualhost ?? vs.virtualhost ?? null,
    fastRecovery: c.fastRecovery ?? false,
    enableSni: c.enableSni ?? false,
    sniName: c.sniName ?? null,
    tlsCompliant: c.tlsCompliant ?? false,
  };
}

/** UDP_CHECK: the reply length bounds must be in order. */
function finishUdp(c: CheckerDraft, base: CheckerCommon, diags: DiagSink): Checker {
  const min = c.minReplyLength ?? 0;
  const max = c.maxReplyLength ?? 255;
  if (max < min) diags.error(diags.endOf(c, c.src), `UDP_CHECK max_reply_length ${max} is below min_reply_length ${min}`);
  return {
    ...base,
    type: "UDP_CHECK",
    payloadHex: c.payloadHex ?? null,
    requireReply: c.requireReply ?? false,
    requireReplyHex: c.requireReplyHex ?? null,
    minReplyLength: min,
    maxReplyLength: max,
  };
}

function finishChecker(
  c: CheckerDraft,
  rs: RsDraft,
  vs: VsDraft,
  g: GlobalDefs,
  refs: CheckRefs,
  diags: DiagSink,
): Checker | undefined {
  const base = common(c, rs, vs, g);
  switch (c.type) {
    case "TCP_CHECK":
    case "PING_CHECK":
      return { ...base, type: c.type };
    case "HTTP_GET":
    case "SSL_GET":
      return finishHttp(c, c.type, base, rs, vs, diags);
    case "MISC_CHECK": {
      if (!c.script) {
        diags.error(diags.endOf(c, c.src), "MISC_CHECK has no misc_path; checker removed");
        return undefined;
      }
      const script = c.userRaw ? { ...c.script, user: c.userRaw.user, group: c.userRaw.group } : c.script;
      return {
        ...base,
        type: "MISC_CHECK",
        script,
        miscTimeoutMs: c.miscTimeoutMs ?? null,
        miscDynamic: c.miscDynamic ?? false,
      };
    }
    case "SMTP_CHECK":
      return { ...base, type: "SMTP_CHECK", heloName: c.heloName ?? null };
    case "DNS_CHECK":
      return { ...base, type: "DNS_CHECK", queryType: c.queryType ?? "SOA", name: c.name ?? "." };
    case "UDP_CHECK":
      return finishUdp(c, base, diags);
    case "FILE_CHECK":
      if (!c.trackFile || !refs.trackFiles.has(c.trackFile)) {
        diags.error(diags.endOf(c, c.src), `FILE_CHECK track_file '${c.trackFile ?? ""}' is not defined; checker removed`);
        return undefined;
      }
      return {
        ...base,
        type: "FILE_CHECK",
        trackFile: c.trackFile,
        weight: c.weight ?? null,
        weightReverse: c.weightReverse ?? false,
      };
    default:
      if (!c.name || !refs.bfds.has(c.name)) {
        diags.error(c.src, `BFD_CHECK bfd_instance '${c.name ?? ""}' is not defined; checker removed`);
        return undefined;
      }
      return { ...base, type: "BFD_CHECK", name: c.name };
  }
}

/** keepalived 2.2.7: "real server … is duplicated - removing second rs" (a config error). */
function dropDuplicateRs(list: RealServer[], label: string, diags: DiagSink): RealServer[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const key = `${r.address}|${r.port ?? ""}`;
    if (!seen.has(key)) return seen.add(key);
    diags.error(r.src, `virtual_server ${label}: real_server ${r.address} ${r.port ?? ""} is duplicated - removing second rs`);
    return false;
  });
}

function finishRs(rs: RsDraft, vs: VsDraft, g: GlobalDefs, refs: CheckRefs, diags: DiagSink): RealServer {
  const checkers = rs.checkers.map((c) => finishChecker(c, rs, vs, g, refs, diags)).filter((
    c,
  ): c is Checker => c !== undefined);
  if (rs.uthreshold !== undefined && rs.lthreshold !== undefined && rs.lthreshold! > rs.uthreshold!) {
    diags.error(rs.src!, `real_server ${rs.address}: lthreshold is above uthreshold`);
  }
  return {
    address: rs.address!,
    family: rs.family!,
    port: rs.port ?? null,
    weight: rs.weight ?? vs.weight ?? 1,
    forward: rs.forward ?? null,
    inhibitOnFailure: rs.inhibitRaw ?? null,
    uthreshold: rs.uthreshold ?? null,
    lthreshold: rs.lthreshold ?? null,
    notifyUp: rs.notifyUp ?? null,
    notifyDown: rs.notifyDown ?? null,
    smtpAlert: rs.smtpAlert ?? null,
    virtualhost: rs.virtualhost ?? null,
    snmpName: rs.snmpName ?? null,
    alpha: rs.alpha ?? null,
    timing: {
      connectTimeoutMs: rs.connectTimeoutMs ?? vs.connectTimeoutMs ?? null,
      retry: rs.retry ?? vs.retry ?? null,
      delayBeforeRetryMs: rs.delayBeforeRetryMs ?? vs.delayBeforeRetryMs ?? null,
      warmupMs: rs.warmupMs ?? vs.warmupMs ?? null,
      delayLoopMs: rs.delayLoopMs ?? vs.delayLoopMs ?? null,
    },
    checkers,
    src: rs.src!,
  };
}

function vsLabel(v: VsDraft): string {
  return v.kind === "fwmark" ? `FWM ${v.fwmark}` : v.kind === "group" ? `group ${v.group}` : `${v.address}:${v.port ?? 0}`;
}

/** keepalived's warnings for a virtual server that leaves protocol, scheduler or method to the defaults. */
function warnDefaults(v: VsDraft, label: string, diags: DiagSink): void {
  const at = v.src!;
  if (v.kind === "fwmark" && v.protocol !== undefined) {
    diags.warn(at, `virtual_server ${label}: protocol is ignored for a fwmark service`);
  }
  if (v.kind !== "fwmark" && v.protocol === undefined) {
    diags.warn(at, `virtual_server ${label}: no protocol given; using TCP`);
  }
  if (v.scheduler === undefined) diags.warn(at, `virtual_server ${label}: no lvs_sched given; using wlc`);
  if (v.forward === undefined) diags.warn(at, `virtual_server ${label}: no lvs_method given; using NAT`);
}

/** quorum capped at the real servers' total weight; hysteresis below quorum. */
function quorumBounds(v: VsDraft, realServers: readonly RealServer[], label: string, diags: DiagSink): { quorum: number; hysteresis: number } {
  const at = v.src!;
  const totalWeight = realServers.reduce((n, r) => n + r.weight, 0);
  let quorum = v.quorum ?? 1;
  if (quorum > totalWeight) {
    diags.warn(
      at,
      `virtual_server ${label}: quorum ${quorum} is above the real servers' total weight ${totalWeight}; using ${totalWeight}`,
    );
    quorum = totalWeight;
  }
  let hysteresis = v.hysteresis ?? 0;
  if (hysteresis > 0 && hysteresis >= quorum) {
    diags.error(
      at,
      `virtual_server ${label}: hysteresis ${hysteresis} must be below quorum ${quorum}; using 0`,
    );
    hysteresis = 0;
  }
  return { quorum, hysteresis };
}

/** The service's family: configured, else the first non-tunnelled real server's; others must match. */
function vsFamily(v: VsDraft, realServers: readonly RealServer[], label: string, diags: DiagSink): Family | null {
  let family = v.familyRaw ?? null;
  for (const [i, r] of realServers.entries()) {
    const tun = (r.forward ?? v.forward)?.method === "TUN";
    if (family === null && !tun) family = r.family;
    else if (family !== null && r.family !== family && !tun) {
      diags.error(
        diags.endOf(v.rs[i]!, r.src),
        `real_server ${r.address} is not the same address family as virtual_server ${label}`,
      );
    }
  }
  return family;
}

/** The sorry server, dropped when its family differs from the service's (unless tunnelled). */
function finishSorry(v: VsDraft, family: Family | null, label: string, diags: DiagSink): VirtualServer["sorryServer"] {
  const at = v.src!;
  let sorryOk = v.sorryRaw;
  const sorryTun = (v.sorryForward ?? v.forward)?.method === "TUN";
  if (sorryOk && family !== null && sorryOk.family !== family && !sorryTun) {
    diags.error(
      diags.endOf(v, at),
      `virtual_server ${label}: sorry_server ${sorryOk.address} is not the same address family; ignored`,
    );
    sorryOk = undefined;
  }
  return sorryOk
    ? {
      address: sorryOk.address,
      port: sorryOk.port,
      inhibit: v.sorryInhibit ?? false,
      forward: v.sorryForward ?? null,
    }
    : null;
}

/** Validate one virtual server; undefined when it must be dropped. */
export function finishVs(
  v: VsDraft,
  g: GlobalDefs,
  refs: CheckRefs,
  diags: DiagSink,
): VirtualServer | undefined {
  const at = v.src!;
  const label = vsLabel(v);
  warnDefaults(v, label, diags);
  if (v.rs.length === 0) {
    diags.warn(at, `virtual_server ${label} has no real servers; ignored`);
    return undefined;
  }
  const persistenceTimeoutMs = v.persistRaw === undefined ? null : v.persistRaw * 1000;
  if (v.kind === "address" && v.port === null && persistenceTimeoutMs === null) {
    diags.error(at, `virtual_server ${label}: a port may be left out only for a persistent service`);
  }
  const realServers = dropDuplicateRs(v.rs.map((r) => finishRs(r, v, g, refs, diags)), label, diags);
  const { quorum, hysteresis } = quorumBounds(v, realServers, label, diags);
  const family = vsFamily(v, realServers, label, diags);
  const sorryServer = finishSorry(v, family, label, diags);
  return {
    kind: v.kind!,
    address: v.address ?? null,
    port: v.port ?? null,
    fwmark: v.fwmark ?? null,
    group: v.group ?? null,
    family,
    protocol: v.protocol ?? "TCP",
    scheduler: v.scheduler ?? "wlc",
    schedFlags: v.schedFlags ?? [],
    ops: v.ops ?? false,
    forward: v.forward ?? { method: "NAT", tunnelType: null, tunnelPort: null, tunnelChecksum: null },
    persistenceTimeoutMs,
    persistenceGranularity: v.persistenceGranularity ?? null,
    persistenceEngine: v.persistenceEngine ?? null,
    haSuspend: v.haSuspend ?? false,
    virtualhost: v.virtualhost ?? null,
    snmpName: v.snmpName ?? null,
    alpha: v.alpha ?? false,
    omega: v.omega ?? false,
    quorum,
    hysteresis,
    quorumUp: v.quorumUp ?? null,
    quorumDown: v.quorumDown ?? null,
    sorryServer,
    inhibitOnFailure: v.inhibitOnFailure ?? false,
    delayLoopMs: v.delayLoopMs ?? 60000,
    smtpAlert: v.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert,
    weight: v.weight ?? 1,
    timing: {
      connectTimeoutMs: v.connectTimeoutMs ?? null,
      retry: v.retry ?? null,
      delayBeforeRetryMs: v.delayBeforeRetryMs ?? null,
      warmupMs: v.warmupMs ?? null,
      delayLoopMs: v.delayLoopMs ?? null,
    },
    realServers,
    src: at,
  };
}

/** Timing fields a VS draft may carry (re-exported for tests). */
export type { TimingDraft };
