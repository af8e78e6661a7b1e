/**
 * `------< Health checkers >------` of keepalived 2.2.7's checker dump: one block per checker (its
 * virtual and real server, state, timings in µs, connection, then its type's fields), FILE_CHECKs after
 * the others as keepalived queues them; then `Checker track files` and `Checker track BFDs`, and the real
 * server's `Tracked Files` / `Tracked BFDs` lines. BFD_CHECK has no timings of its own: keepalived's
 * unset values (2^64-1, 2^32-1) as it prints them.
 */
import type { Checker, HttpUrl, RealServer, VirtualServer } from "../config/model.ts";
import type { CheckSlice } from "../config/slice.ts";
import type { HttpCheck } from "../config/model-check.ts";
import { fmtRs, fmtService, rsKey, rsPort } from "../check/topology.ts";
import { SMTP_DEFAULT_HELO } from "../check/checkers/smtp.ts";
import { parseHexString } from "../check/checkers/udp.ts";
import type { CheckerLive, CheckLive } from "./ka-check-live.ts";
import { fsecs, quotedCommand, uidGid, UNSET_U32, yn } from "./ka-values.ts";

/** keepalived's unset 64-bit value (ULONG_MAX). */
const UNSET_U64 = "18446744073709551615";

/** Each checker type's own default delay before retry, in µs, as keepalived 2.2.7 prints it. */
const DEFAULT_RETRY_DELAY_US: Readonly<Record<Checker["type"], number>> = {
  TCP_CHECK: 1000000,
  HTTP_GET: 3000000,
  SSL_GET: 3000000,
  SMTP_CHECK: 1000000,
  DNS_CHECK: 0,
  UDP_CHECK: 1000000,
  MISC_CHECK: 1000000,
  PING_CHECK: 1000000,
  FILE_CHECK: 1000000,
  BFD_CHECK: 1000000,
};

/** A virtual server as keepalived names it in checker lines: `[addr]:proto:port`, `FWM n`, `[group]:0`. */
export function kaVsName(v: VirtualServer): string {
  if (v.kind === "group") return `[${v.group ?? ""}]:0`;
  if (v.kind === "fwmark") return `FWM ${v.fwmark ?? 0}`;
  return fmtService(v.address ?? "", v.protocol, v.port ?? 0);
}

/**
 * keepalived's retry iteration count as measured in the VM: the retry count before the first attempt,
 * one more than it once the retries are used up and the checker is down; else the failed attempts so far.
 */
function retryIterations(k: Checker, st: CheckerLive | undefined): number {
  if (!st?.hasRun) return k.retry;
  return st.up ? st.retries ?? 0 : k.retry + 1;
}

function timingLines(k: Checker, st: CheckerLive | undefined): string[] {
  if (k.type === "BFD_CHECK") {
    return [
      `   Alpha = ${yn(k.alpha)}`,
      `   Delay loop = ${UNSET_U64} us`,
      `   Warmup = ${UNSET_U64} us`,
      `   Retries = ${UNSET_U32}`,
      `   Delay before retry = ${UNSET_U64} us`,
      `   Retries iterations = ${UNSET_U32}`,
    ];
  }
  const out = [`   Alpha = ${yn(k.alpha)}`, `   Delay loop = ${k.delayLoopMs * 1000} us`, `   Warmup = ${k.warmupMs * 1000} us`, `   Retries = ${k.retry}`];
  if (k.retry > 0) out.push(`   Delay before retry = ${k.delayBeforeRetryMs * 1000} us`, `   Retries iterations = ${retryIterations(k, st)}`);
  return out;
}

function connectionLines(v: VirtualServer, rs: RealServer, k: Checker): string[] {
  if (k.type === "MISC_CHECK" || k.type === "FILE_CHECK" || k.type === "BFD_CHECK") return [];
  const out = ["   Connection", `     Dest = [${k.connectIp ?? rs.address}]:${k.connectPort ?? rsPort(v, rs)}`];
  if (k.bindTo) out.push(`     Bind to = [${k.bindTo}]:${k.bindPort ?? 0}`);
  if (k.bindIf) out.push(`     Bind i/f = ${k.bindIf}`);
  if (k.fwmark !== null) out.push(`     Mark = ${k.fwmark}`);
  out.push(`     Timeout = ${fsecs(k.connectTimeoutMs)}`);
  return out;
}

function urlLines(u: HttpUrl, all: readonly HttpUrl[]): string[] {
  const out = [`   Checked url = ${u.path}`];
  if (u.digest) out.push(`     digest = ${u.digest}`);
  out.push("     HTTP Status Code(s)", ...u.statusCodes.map(([a, b]) => `       ${a === b ? a : `${a}-${b}`}`));
  if (u.virtualhost) out.push(`     Virtual host = ${u.virtualhost}`);
  if (u.regex) {
    // keepalived shares one compiled regex between the urls that give the same one: its ref count.
    const refs = all.filter((x) => x.regex === u.regex).length;
    out.push(`     Regex = "${u.regex}"`, `     Regex options:${u.regexOptions.map((o) => ` ${o}`).join("")}`, `     Regex ref count = ${refs}`);
  }
  return out;
}

/** `vhost`: the virtual host the checker itself was given (keepalived prints only that one). */
function httpLines(k: HttpCheck, vhost: string | null): string[] {
  const out = [`   Keepalive method = ${k.type}, http protocol ${k.httpProtocol}`];
  if (vhost) out.push(`   Virtualhost = ${vhost}`);
  out.push(`   Enable SNI ${k.enableSni ? "set" : "unset"}`, `   Fast recovery ${k.fastRecovery ? "set" : "unset"}`);
  return [...out, ...k.urls.flatMap((u) => urlLines(u, k.urls))];
}

/** A hex string's length in bytes and whether it has wildcard nibbles. */
function hexInfo(hex: string): { len: number; masked: boolean } {
  const r = parseHexString(hex, true);
  return r.ok ? { len: r.value.bytes.length, masked: r.value.mask.some((m) => m !== 0xff) } : { len: 0, masked: false };
}

function udpLines(k: Extract<Checker, { type: "UDP_CHECK" }>): string[] {
  const out = ["   Keepalive method = UDP_CHECK", k.payloadHex === null ? "   Payload specified = no" : `   Payload len = ${hexInfo(k.payloadHex).len}`];
  out.push(`   Require reply = ${yn(k.requireReply)}`);
  if (!k.requireReply) return out;
  out.push(`     Min reply length = ${k.minReplyLength}`, `     Max reply length = ${k.maxReplyLength}`);
  if (k.requireReplyHex !== null) {
    const h = hexInfo(k.requireReplyHex);
    out.push(`     Reply data len = ${h.len}`, `     Reply data mask = ${yn(h.masked)}`);
  }
  return out;
}

/** `0.000000 (Thu Jan  1 00:00:00 1970.000000)`: seconds.µs, then the UTC date with the µs after the year. */
function lastRan(ms: number): string {
  const d = new Date(ms);
  const us = String(Math.round((ms % 1000) * 1000)).padStart(6, "0");
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  const hms = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return `${Math.floor(ms / 1000)}.${us} (${day} ${mon} ${String(d.getUTCDate()).padStart(2, " ")} ${hms} ${d.getUTCFullYear()}.${us})`;
}

function typeLines(v: VirtualServer, rs: RealServer, k: Checker, c: CheckSlice, st: CheckerLive | undefined): string[] {
  switch (k.type) {
    case "HTTP_GET":
    case "SSL_GET": {
      // Our model resolves the virtual host through RS and VS: one that differs from theirs is the checker's own.
      const vhost = k.virtualhost !== (rs.virtualhost ?? v.virtualhost) ? k.virtualhost : null;
      // keepalived names the url that failed while the checker is down (the first: the others are not tried).
      return [...httpLines(k, vhost), ...(st?.hasRun && !st.up && k.urls[0] ? [`   Failed URL = ${k.urls[0].path}`] : [])];
    }
    case "SMTP_CHECK":
      return ["   Keepalive method = SMTP_CHECK", `   helo = ${k.heloName ?? SMTP_DEFAULT_HELO}`];
    case "DNS_CHECK":
      return ["   Keepalive method = DNS_CHECK", `   Type = ${k.queryType}`, `   Name = ${k.name}`];
    case "UDP_CHECK":
      return udpLines(k);
    case "MISC_CHECK":
      return [
        "   Keepalive method = MISC_CHECK",
        `   script = ${k.script ? quotedCommand(k.script) : ""}`,
        // Unset, keepalived prints 0 (the script then gets delay_loop).
        `   timeout = ${Math.floor((k.miscTimeoutMs ?? 0) / 1000)}`,
        `   dynamic = ${k.miscDynamic ? "YES" : "NO"}`,
        `   uid:gid = ${uidGid(k.script, c.global)}`,
        `   Last ran = ${lastRan(st?.lastRanMs ?? 0)}`,
        `   Last status = ${st?.lastStatus ?? 0}`,
      ];
    case "BFD_CHECK":
      return ["   Keepalive method = BFD_CHECK", `   Name = ${k.name ?? ""}`, `   Alpha is ${k.alpha ? "ON" : "OFF"}`];
    default:
      return [`   Keepalive method = ${k.type}`];
  }
}

function checkerBlock(v: VirtualServer, rs: RealServer, k: Checker, c: CheckSlice, st: CheckerLive | undefined): string[] {
  const out = [
    ` ${kaVsName(v)} -> ${fmtRs(v, rs)}`,
    `   Enabled = ${yn(st?.enabled ?? true)}`,
    `   Up = ${yn(st?.up ?? !k.alpha)}`,
    `   Has run = ${yn(st?.hasRun ?? false)}`,
  ];
  out.push(`   Current weight = ${st?.weight ?? 0}`);
  if (k.type === "FILE_CHECK") {
    return [
      ...out,
      `   Log all failures = ${yn(k.logAllFailures)}`,
      "   Keepalive method = FILE_CHECK",
      `     Tracked file = ${k.trackFile ?? ""}`,
      "     Reloaded = No",
    ];
  }
  out.push(...timingLines(k, st), `   Default delay before retry = ${DEFAULT_RETRY_DELAY_US[k.type]} us`, `   Log all failures = ${yn(k.logAllFailures)}`);
  return [...out, ...connectionLines(v, rs, k), ...typeLines(v, rs, k, c, st)];
}

/** Every checker in keepalived's queue order: the others in configuration order, then the FILE_CHECKs. */
function queue(c: CheckSlice): { v: VirtualServer; rs: RealServer; k: Checker; i: number }[] {
  const all = c.check.virtualServers.flatMap((v) => v.realServers.flatMap((rs) => rs.checkers.map((k, i) => ({ v, rs, k, i }))));
  return [...all.filter((e) => e.k.type !== "FILE_CHECK"), ...all.filter((e) => e.k.type === "FILE_CHECK")];
}

/** A FILE_CHECK's weight: its own, else its track file's. */
function fileWeight(k: Extract<Checker, { type: "FILE_CHECK" }>, c: CheckSlice): number {
  return k.weight ?? c.vrrp.trackFiles.find((t) => t.name === k.trackFile)?.weight ?? 1;
}

/** The real server's `Tracked Files` and `Tracked BFDs` lines. */
export function trackLines(rs: RealServer, c: CheckSlice): string[] {
  const out: string[] = [];
  const files = rs.checkers.flatMap((k) => (k.type === "FILE_CHECK" ? [k] : []));
  const bfds = rs.checkers.flatMap((k) => (k.type === "BFD_CHECK" ? [k] : []));
  if (files.length) out.push("   Tracked Files", ...files.map((k) => `     ${k.trackFile ?? ""}, weight ${fileWeight(k, c)}`));
  if (bfds.length) out.push("   Tracked BFDs", ...bfds.map((k) => `     ${k.name ?? ""}`));
  return out;
}

function trackFileSection(c: CheckSlice, live: CheckLive): string[] {
  const q = queue(c).filter((e) => e.k.type === "FILE_CHECK");
  const used = c.vrrp.trackFiles.filter((t) => q.some((e) => e.k.type === "FILE_CHECK" && e.k.trackFile === t.name));
  if (!used.length) return [];
  const out = ["------< Checker track files >------"];
  for (const t of used) {
    out.push(` Track file = ${t.name}`, `   File = ${t.path ?? ""}`, `   Status = ${live.trackFileValue(t.name) ?? 0}`);
    out.push(`   Weight = ${t.weightReverse ? -t.weight : t.weight}`, "   Tracking instances :");
    for (const e of q) {
      if (e.k.type === "FILE_CHECK" && e.k.trackFile === t.name) out.push(`     ${kaVsName(e.v)} -> ${fmtRs(e.v, e.rs)}, weight ${fileWeight(e.k, c)}`);
    }
  }
  return out;
}

function trackBfdSection(c: CheckSlice): string[] {
  const q = queue(c).filter((e) => e.k.type === "BFD_CHECK");
  const names = [...new Set(q.map((e) => (e.k.type === "BFD_CHECK" ? e.k.name ?? "" : "")))];
  if (!names.length) return [];
  const out = ["------< Checker track BFDs >------"];
  for (const n of names) {
    out.push(` Checker Track BFD = ${n}`, "   Tracking RS :");
    for (const e of q) if (e.k.type === "BFD_CHECK" && e.k.name === n) out.push(`   ${fmtRs(e.v, e.rs)}`);
  }
  return out;
}

/** Health checkers, Checker track files, Checker track BFDs. */
export function checkerSections(c: CheckSlice, live: CheckLive): string[] {
  const q = queue(c);
  if (!q.length) return [];
  const out = ["------< Health checkers >------"];
  for (const { v, rs, k, i } of q) out.push(...checkerBlock(v, rs, k, c, live.vs(v)?.rs.get(rsKey(v, rs))?.checkers[i]));
  return [...out, ...trackFileSection(c, live), ...trackBfdSection(c)];
}
