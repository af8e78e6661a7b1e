/**
 * From configuration to checkers (keepalived.conf(5) CHECKER_TYPE blocks): builds the attempt
 * function of each polling checker (TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK,
 * UDP_CHECK, MISC_CHECK, PING_CHECK) with its endpoint (connect_ip/connect_port/bindto/
 * bind_port/bind_if/fwmark) and timing, and describes the push checkers (FILE_CHECK,
 * BFD_CHECK) that the runtime feeds from inotify and from bfdState messages.
 */
import type { Scheduler } from "../core/scheduler.ts";
import type { Checker, HttpUrl as HttpUrlCfg, RealServer, VirtualServer } from "../config/model.ts";
import type { CheckSlice } from "../config/slice.ts";
import type { UserEntry } from "../core/script.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import type { DnsTypeName } from "../proto/dns.ts";
import { makeDnsCheck } from "./checkers/dns.ts";
import { type HttpProtocol, type HttpUrl, makeHttpCheck } from "./checkers/http.ts";
import { makeMiscCheck } from "./checkers/misc.ts";
import { makePingCheck } from "./checkers/ping.ts";
import { makeSmtpCheck } from "./checkers/smtp.ts";
import { makeTcpCheck } from "./checkers/tcp.ts";
import { type CheckResult, type Endpoint, fail, type RunCheck } from "./checkers/types.ts";
import { makeUdpCheck, parseHexString } from "./checkers/udp.ts";
import type { CheckerTiming } from "./runner.ts";
import { fmtService, rsPort } from "./topology.ts";

/** What the runtime needs to run one checker. */
export interface CheckerPlan {
  /** Log name: "TCP_CHECK on [192.0.2.2]:tcp:80". */
  readonly name: string;
  timing: CheckerTiming;
  /** Polling checkers: one attempt. */
  run?: RunCheck;
  /** Push checkers: what feeds them. */
  push?: { kind: "file"; path: string; weight: number; reverse: boolean } | { kind: "bfd"; name: string };
  /** Converts a passing result's weight into a weight delta. */
  weightOf: (r: CheckResult) => number;
  /** HTTP_GET / SSL_GET: keepalived's pacing of a failed url (CheckerRunnerOptions.failedUrlPacing). */
  failedUrlPacing?: boolean;
}

/** Shared inputs of checker building. */
export interface BuildContext {
  config: CheckSlice;
  watcher: FdWatcher;
  /** Identity for MISC_CHECK scripts without `user`. */
  scriptUser: UserEntry;
  /** The child's scheduler: TCP_CHECK looks at a pending connect on it (batched with the checks). */
  sched?: Scheduler;
}

/** The endpoint a checker talks to. */
export function endpointOf(vs: VirtualServer, rs: RealServer, c: Checker): Endpoint {
  const ep: Endpoint = { address: c.connectIp ?? rs.address, port: c.connectPort ?? rsPort(vs, rs) };
  if (c.bindTo !== null) ep.bindTo = c.bindTo;
  if (c.bindPort !== null) ep.bindPort = c.bindPort;
  if (c.bindIf !== null) ep.bindIf = c.bindIf;
  if (c.fwmark !== null && c.fwmark !== 0) ep.fwmark = c.fwmark;
  return ep;
}

/**
 * Timings in use, by their values: checkers with equal timing share one frozen object (10,000 real
 * servers of one VS have one). Bounded: emptied when it grows past TIMINGS_MAX distinct timings.
 */
const timings = new Map<string, CheckerTiming>();
const TIMINGS_MAX = 1000;

/** The timing of a checker, with the RS / VS / global fallbacks applied (a shared, frozen object). */
export function timingOf(
  vs: VirtualServer,
  rs: RealServer,
  c: Checker,
  cfg: CheckSlice,
): CheckerTiming {
  const alpha = c.alpha || (rs.alpha ?? vs.alpha);
  const logAllFailures = c.logAllFailures || cfg.global.checkerLogAllFailures;
  const key = `${c.delayLoopMs}|${c.retry}|${c.delayBeforeRetryMs}|${c.warmupMs}|${alpha}|${logAllFailures}`;
  let t = timings.get(key);
  if (!t) {
    if (timings.size >= TIMINGS_MAX) timings.clear();
    t = Object.freeze({
      delayLoopMs: c.delayLoopMs,
      retry: c.retry,
      delayBeforeRetryMs: c.delayBeforeRetryMs,
      warmupMs: c.warmupMs,
      alpha,
      logAllFailures,
    });
    timings.set(key, t);
  }
  return t;
}

function httpUrls(urls: readonly HttpUrlCfg[]): HttpUrl[] {
  return urls.map((u) => {
    const out: HttpUrl = {
      path: u.path,
      statusCodes: u.statusCodes.map(([a, b]) => [a, b] as [number, number]),
    };
    if (u.digest !== null) out.digest = u.digest;
    if (u.virtualhost !== null) out.virtualhost = u.virtualhost;
    if (u.regex !== null) {
      out.regex = u.regex;
      out.regexNoMatch = u.regexNoMatch;
      out.regexOptions = [...u.regexOptions];
      if (u.regexMinOffset !== null) out.regexMinOffset = u.regexMinOffset;
      if (u.regexMaxOffset !== null) out.regexMaxOffset = u.regexMaxOffset;
    }
    return out;
  });
}

function httpRun(
  c: Extract<Checker, { type: "HTTP_GET" | "SSL_GET" }>,
  vs: VirtualServer,
  rs: RealServer,
  ep: Endpoint,
  cfg: CheckSlice,
): RunCheck {
  const vhost = c.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
  const ssl = cfg.check.ssl;
  const proto: HttpProtocol = c.httpProtocol === "1.1" ? "1.1" : c.httpProtocol === "1.0C" ? "1.0C" : "1.0";
  return makeHttpCheck({
    endpoint: ep,
    connectTimeoutMs: c.connectTimeoutMs,
    delayLoopMs: c.delayLoopMs,
    fastRecovery: c.fastRecovery,
    urls: httpUrls(c.urls),
    httpProtocol: proto,
    ssl: c.type === "SSL_GET",
    enableSni: c.enableSni,
    tlsCompliant: c.tlsCompliant,
    ...(vhost !== null ? { virtualhost: vhost } : {}),
    ...(c.sniName !== null ? { sniName: c.sniName } : {}),
    ...(ssl
      ? {
        sslFiles: {
          ...(ssl.caFile !== null ? { ca: ssl.caFile } : {}),
          ...(ssl.certificateFile !== null ? { certificate: ssl.certificateFile } : {}),
          ...(ssl.keyFile !== null ? { key: ssl.keyFile } : {}),
          ...(ssl.password !== null ? { password: ssl.password } : {}),
        },
      }
      : {}),
  });
}

function udpRun(c: Extract<Checker, { type: "UDP_CHECK" }>, ep: Endpoint): RunCheck {
  const payload = c.payloadHex === null ? undefined : parseHexString(c.payloadHex);
  const reply = c.requireReplyHex === null ? undefined : parseHexString(c.requireReplyHex, true);
  if (payload && !payload.ok) return async () => fail(`udp: payload: ${payload.reason}`);
  if (reply && !reply.ok) return async () => fail(`udp: require_reply: ${reply.reason}`);
  return makeUdpCheck({
    endpoint: ep,
    connectTimeoutMs: c.connectTimeoutMs,
    minReplyLength: c.minReplyLength,
    maxReplyLength: c.maxReplyLength,
    ...(payload?.ok ? { payload: payload.value.bytes } : {}),
    ...(reply?.ok ? { requireReply: reply.value } : c.requireReply ? { requireReply: true as const } : {}),
  });
}

function pollRun(
  c: Checker,
  vs: VirtualServer,
  rs: RealServer,
  ep: Endpoint,
  b: BuildContext,
): RunCheck | undefined {
  const t = c.connectTimeoutMs;
  switch (c.type) {
    case "TCP_CHECK":
      return makeTcpCheck({ endpoint: ep, connectTimeoutMs: t, ...(b.sched ? { sched: b.sched } : {}) });
    case "HTTP_GET":
    case "SSL_GET":
      return httpRun(c, vs, rs, ep, b.config);
    case "SMTP_CHECK":
      return makeSmtpCheck({
        endpoint: ep,
        connectTimeoutMs: t,
        ...(c.heloName !== null ? { heloName: c.heloName } : {}),
      });
    case "DNS_CHECK":
      return makeDnsCheck({
        endpoint: ep,
        connectTimeoutMs: t,
        type: c.queryType as DnsTypeName,
        name: c.name,
      });
    case "UDP_CHECK":
      return udpRun(c, ep);
    case "PING_CHECK":
      return makePingCheck({ endpoint: ep, connectTimeoutMs: t, watcher: b.watcher });
    case "MISC_CHECK": {
      if (!c.script) return async () => fail("misc: no misc_path");
      const s = c.script;
      return makeMiscCheck({
        miscPath: s.cmd,
        miscTimeoutMs: c.miscTimeoutMs ?? c.delayLoopMs,
        miscDynamic: c.miscDynamic,
        defaultUser: b.scriptUser,
        ...(s.user !== null ? { user: { user: s.user, ...(s.group !== null ? { group: s.group } : {}) } } : {}),
      });
    }
    default:
      return undefined;
  }
}

/**
 * A plan whose log name is made when a line needs it: 10,000 real servers held 1.4 MiB of name strings
 * (bench/check-heap.ts). `proto` null: MISC_CHECK, named by the real server alone ("[addr]:port").
 */
class Plan implements CheckerPlan {
  run?: RunCheck;
  push?: CheckerPlan["push"];
  weightOf: (r: CheckResult) => number = noWeight;
  failedUrlPacing?: boolean;
  constructor(
    readonly type: string,
    readonly address: string,
    readonly proto: string | null,
    readonly port: number,
    public timing: CheckerTiming,
  ) {}
  get name(): string {
    const where = this.proto === null ? `[${this.address}]:${this.port}` : fmtService(this.address, this.proto, this.port);
    return `${this.type} on ${where}`;
  }
}

/** The weight delta of a checker that gives none (one function shared by every such plan). */
const noWeight = (): number => 0;

/** Plans one checker of a real server. */
export function planChecker(vs: VirtualServer, rs: RealServer, c: Checker, b: BuildContext): CheckerPlan {
  const ep = endpointOf(vs, rs, c);
  const plan = c.type === "MISC_CHECK"
    ? new Plan(c.type, rs.address, null, rsPort(vs, rs), timingOf(vs, rs, c, b.config))
    : new Plan(c.type, ep.address, c.type === "PING_CHECK" ? "icmp" : vs.protocol, ep.port, timingOf(vs, rs, c, b.config));
  if (c.type === "FILE_CHECK") {
    const def = b.config.vrrp.trackFiles.find((f) => f.name === c.trackFile);
    plan.timing = { ...plan.timing, alpha: false };
    plan.push = {
      kind: "file",
      path: def?.path ?? "",
      weight: c.weight ?? def?.weight ?? 1,
      reverse: c.weightReverse || (def?.weightReverse ?? false),
    };
    plan.weightOf = (r) => r.weight ?? 0;
    return plan;
  }
  if (c.type === "BFD_CHECK") {
    plan.push = { kind: "bfd", name: c.name ?? "" };
    return plan;
  }
  plan.run = pollRun(c, vs, rs, ep, b);
  if (c.type === "HTTP_GET" || c.type === "SSL_GET") plan.failedUrlPacing = true;
  if (c.type === "MISC_CHECK" && c.miscDynamic) {
    plan.weightOf = (r) => (r.weight === undefined ? 0 : r.weight - rs.weight);
  }
  return plan;
}
