/**
 * The checker child's dump in keepalived 2.2.7's layout (keepalived_check.data on SIGUSR1, and its `-d`
 * text): Global definitions, SSL definitions, `LVS Topology` (virtual server groups, virtual servers with
 * their real servers), then the health checkers and the checker track files and BFDs (ka-checkers.ts).
 * Values as keepalived formats them (seconds with six decimals, `ON`/`OFF`, `[addr]:proto:port`).
 */
import type { ForwardMethod, RealServer, SslSettings, VirtualServer, VirtualServerGroup } from "../config/model.ts";
import type { CheckSlice } from "../config/slice.ts";
import { rsKey, rsPort } from "../check/topology.ts";
import { globalSection } from "./ka-global.ts";
import type { CheckLive, RsLive, VsLive } from "./ka-check-live.ts";
import { checkerSections, trackLines } from "./ka-checkers.ts";
import { fsecs, scriptLine } from "./ka-values.ts";

const onOff = (b: boolean): string => (b ? "ON" : "OFF");
const enDis = (b: boolean): string => (b ? "enabled" : "disabled");
/** keepalived's default connect timeout of virtual and real servers (5 s). */
const DEFAULT_CONNECT_MS = 5000;

function sslLines(ssl: SslSettings | null): string[] {
  const out = ["------< SSL definitions >------"];
  if (!ssl || (!ssl.password && !ssl.caFile && !ssl.certificateFile && !ssl.keyFile)) return [...out, " Using autogen SSL context"];
  if (ssl.password) out.push(` Password : ${ssl.password}`);
  if (ssl.caFile) out.push(` CA-file : ${ssl.caFile}`);
  if (ssl.certificateFile) out.push(` Certificate file : ${ssl.certificateFile}`);
  if (ssl.keyFile) out.push(` Key file : ${ssl.keyFile}`);
  return out;
}

/** `NAT`, `DR`, `TUN, type = IPIP` (GUE with its port, GRE; a checksum option after). */
export function forwardText(f: ForwardMethod): string {
  if (f.method !== "TUN") return f.method;
  let t = `TUN, type = ${(f.tunnelType ?? "ipip").toUpperCase()}`;
  if (f.tunnelType === "gue") t += `, port = ${f.tunnelPort ?? 0}`;
  if (f.tunnelChecksum) t += `, ${f.tunnelChecksum}`;
  return t;
}

function groupLines(g: VirtualServerGroup, c: CheckSlice, live: CheckLive): string[] {
  const users = c.check.virtualServers.filter((v) => v.kind === "group" && v.group === g.name);
  const fams = new Set([...g.entries.map((e) => e.family), ...users.map((v) => v.family)]);
  const out = [
    " ------< Virtual server group >------",
    ` Virtual Server Group = ${g.name}, IPv4 = ${fams.has("ipv4") ? "yes" : "no"}, IPv6 = ${fams.has("ipv6") ? "yes" : "no"}`,
  ];
  const alive = (pick: (v: VirtualServer) => boolean): number => users.filter(pick).reduce((n, v) => n + (live.vs(v)?.dests ?? 0), 0);
  for (const e of g.entries) {
    if (e.kind === "fwmark") {
      out.push(`   FWMARK = ${e.fwmark ?? 0}`, `     Alive: ${alive((v) => v.family !== "ipv6")} IPv4, ${alive((v) => v.family === "ipv6")} IPv6`);
    } else {
      const range = e.lastAddress && e.lastAddress !== e.address;
      out.push(range ? `   VIP Range = ${e.address}-${e.lastAddress}, VPORT = ${e.port ?? 0}` : `   VIP = ${e.address}, VPORT = ${e.port ?? 0}`);
      const p = (proto: string): number => alive((v) => v.protocol === proto);
      out.push(`     Alive: ${p("TCP")} tcp, ${p("UDP")} udp, ${p("SCTP")} sctp`);
    }
    out.push("     reloaded = False");
  }
  return out;
}

function schedFlagLines(v: VirtualServer): string[] {
  const has = (f: string): boolean => v.schedFlags.includes(f);
  if (v.scheduler === "sh") return [`   sh-port = ${enDis(has("sh-port"))}`, `   sh-fallback = ${enDis(has("sh-fallback"))}`];
  if (v.scheduler === "mh") return [`   mh-port = ${enDis(has("mh-port"))}`, `   mh-fallback = ${enDis(has("mh-fallback"))}`];
  return [1, 2, 3].map((n) => `   flag-${n} = ${enDis(has(`flag-${n}`))}`);
}

/** Retry count / Retry delay / Warmup lines, printed where written (a real server's include its VS's). */
function timingLines(t: VirtualServer["timing"]): string[] {
  const out: string[] = [];
  if (t.retry !== null) out.push(`   Retry count = ${t.retry}`);
  if (t.delayBeforeRetryMs !== null) out.push(`   Retry delay = ${fsecs(t.delayBeforeRetryMs)}`);
  if (t.warmupMs !== null) out.push(`   Warmup = ${fsecs(t.warmupMs)}`);
  return out;
}

function vsHead(v: VirtualServer): string {
  if (v.kind === "group") return ` VS GROUP = [${v.group ?? ""}]:0`;
  if (v.kind === "fwmark") return ` VS FWMARK = ${v.fwmark ?? 0}`;
  return ` VS VIP = ${v.address ?? ""}, VPORT = ${v.port ?? 0}`;
}

function vsLines(v: VirtualServer, c: CheckSlice, st: VsLive | undefined): string[] {
  const out = [" ------< Virtual server >------", vsHead(v)];
  if (v.virtualhost) out.push(`   VirtualHost = ${v.virtualhost}`);
  if (v.family) out.push(`   Address family = ${v.family === "ipv6" ? "inet6" : "inet"}`);
  out.push(`   connection timeout = ${fsecs(v.timing.connectTimeoutMs ?? DEFAULT_CONNECT_MS)}`, `   delay_loop = ${fsecs(v.delayLoopMs)}`);
  out.push(`   lvs_sched = ${v.scheduler}`, "   Hashed = disabled", ...schedFlagLines(v));
  out.push(`   One packet scheduling = ${enDis(v.ops)}${v.ops && v.protocol !== "UDP" ? " (inactive due to not UDP)" : ""}`);
  if (v.persistenceTimeoutMs !== null) out.push(`   persistence timeout = ${Math.floor(v.persistenceTimeoutMs / 1000)}`);
  if (v.persistenceGranularity !== null) out.push(`   persistence granularity = ${v.persistenceGranularity}`);
  out.push(`   protocol = ${v.kind === "fwmark" ? "none" : v.protocol}`, `   alpha is ${onOff(v.alpha)}`, `   omega is ${onOff(v.omega)}`);
  out.push(...timingLines(v.timing), `   Inhibit on failure is ${onOff(v.inhibitOnFailure)}`, `   quorum = ${v.quorum}, hysteresis = ${v.hysteresis}`);
  if (v.quorumUp) out.push(`   Quorum up notify script = ${scriptLine(v.quorumUp, c.global)}`);
  if (v.quorumDown) out.push(`   Quorum down notify script = ${scriptLine(v.quorumDown, c.global)}`);
  if (v.haSuspend) out.push("   Using HA suspend");
  out.push(`   Using smtp notification = ${v.smtpAlert ? "yes" : "no"}`, `   default forwarding method = ${forwardText(v.forward)}`);
  const s = v.sorryServer;
  if (s) {
    const proto = v.kind === "fwmark" ? "none" : v.protocol.toLowerCase();
    out.push(`   sorry server = [${s.address}]:${proto}:${s.port ?? v.port ?? 0}`);
    out.push(`     forwarding method = ${forwardText(s.forward ?? v.forward)}`, `     Inhibit on failure is ${onOff(s.inhibit)}`);
  }
  out.push("   alive = 1", `   quorum_state_up = ${st?.quorumUp ? 1 : 0}`, "   reloaded = 0");
  return out;
}

function rsLines(v: VirtualServer, rs: RealServer, c: CheckSlice, st: RsLive | undefined): string[] {
  const weight = st?.weight ?? rs.weight;
  const out = ["   ------< Real server >------", `   RIP = ${rs.address}, RPORT = ${rsPort(v, rs)}, WEIGHT = ${weight} EFF WEIGHT = ${weight}`];
  out.push(`   forwarding method = ${forwardText(rs.forward ?? v.forward)}`, `   Alpha is ${onOff(rs.alpha ?? v.alpha)}`);
  out.push(`   connection timeout = ${fsecs(rs.timing.connectTimeoutMs ?? DEFAULT_CONNECT_MS)}`);
  out.push(`   connection limit range = ${rs.lthreshold ?? 0} -> ${rs.uthreshold ?? 0}`, `   Delay loop = ${fsecs(rs.timing.delayLoopMs ?? v.delayLoopMs)}`);
  out.push(...timingLines(rs.timing), `   Inhibit on failure is ${onOff(rs.inhibitOnFailure ?? v.inhibitOnFailure)}`);
  if (rs.notifyUp) out.push(`     RS up notify script = ${scriptLine(rs.notifyUp, c.global)}`);
  if (rs.notifyDown) out.push(`     RS down notify script = ${scriptLine(rs.notifyDown, c.global)}`);
  if (rs.virtualhost) out.push(`    VirtualHost = '${rs.virtualhost}'`);
  out.push(`   Using smtp notification = ${rs.smtpAlert === false ? "no" : "yes"}`);
  out.push(`   initial weight = ${rs.weight}`, `   effective weight = ${weight}`, "   previous effective_weight = 0");
  const failed = (st?.checkers ?? []).filter((k) => !k.up).length;
  out.push(`   alive = ${st?.alive ? 1 : 0}`, `   num failed checkers = ${failed}`, `   RS set = ${st?.set ? 1 : 0}`, "   reloaded = 0");
  out.push(...trackLines(rs, c));
  return out;
}

/** keepalived_check.data / the checker's `-d` text, as lines. */
export function checkDumpLines(c: CheckSlice, live: CheckLive): string[] {
  const out = globalSection(c.global, "check");
  const vss = c.check.virtualServers;
  if (c.check.ssl || vss.some((v) => v.realServers.some((r) => r.checkers.some((k) => k.type === "SSL_GET")))) out.push(...sslLines(c.check.ssl));
  if (vss.length) {
    out.push("------< LVS Topology >------", " System is compiled with LVS v1.2.1");
    for (const g of c.check.virtualServerGroups) out.push(...groupLines(g, c, live));
    for (const v of vss) {
      const st = live.vs(v);
      out.push(...vsLines(v, c, st));
      for (const rs of v.realServers) out.push(...rsLines(v, rs, c, st?.rs.get(rsKey(v, rs))));
    }
  }
  out.push(...checkerSections(c, live));
  return out;
}
