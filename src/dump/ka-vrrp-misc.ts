/**
 * The VRRP child's other sections in keepalived 2.2.7's layout: static addresses/routes/rules, sync
 * groups, vrrp_scripts, track files and track processes, and the socket pool; plus the whole VRRP
 * text (`-d` and USR1 data) assembled from them and src/dump/ka-vrrp.ts.
 */
import type { VrrpSlice } from "../config/slice.ts";
import type { TrackRef, VrrpInstance } from "../config/model.ts";
import { globalSection } from "./ka-global.ts";
import { interfaceSection } from "./ka-interfaces.ts";
import { addressText, fsecs, quotedCommand, routeText, ruleText, uidGid, yn } from "./ka-values.ts";
import { type HostLookup, instanceLines, type InstanceLive, notifyLines, systemHost, weightsCount } from "./ka-vrrp.ts";

/** Run-time state of the VRRP child's other objects (the data dump). */
export interface VrrpLive {
  instances: ReadonlyMap<string, InstanceLive>;
  groups: ReadonlyMap<string, string>;
  scripts: ReadonlyMap<string, { up: boolean; running: boolean }>;
  files: ReadonlyMap<string, number>;
  processes: ReadonlyMap<string, { count: number; up: boolean }>;
  sockets: readonly SocketLive[];
  /** BFD session name -> Up, as the VRRP child last heard. */
  bfds: ReadonlyMap<string, boolean>;
}

/** One receive socket set. */
export interface SocketLive {
  ifname: string;
  family: "ipv4" | "ipv6";
  unicastSrc: string | null;
  /** The buffer size asked for (vrrp_rx_bufs_policy / kernel_rx_buf_size), 0 = the system default. */
  rxBufConfigured: number;
  /** Ours: the size the kernel reports. */
  rxBufferBytes: number;
  instances: readonly { name: string; vrid: number }[];
  /** Ours. */
  drops: number;
  overflows: number;
}

function staticLines(cfg: VrrpSlice, live: VrrpLive | undefined): string[] {
  const v = cfg.vrrp, dev = cfg.global.defaultInterface ?? "eth0";
  const out: string[] = [];
  if (v.staticIpaddresses.length) out.push("------< Static Addresses >------", ...v.staticIpaddresses.map((a) => `     ${addressText(a, dev)} set`));
  if (v.staticRoutes.length) {
    // The start-up dump (-d) adds keepalived's install note; the data dump does not.
    const note = live ? "" : " [installed ifindex 0]";
    out.push("------< Static Routes >------", ...v.staticRoutes.map((r) => `     ${routeText(r, false)}${note}`));
  }
  if (v.staticRules.length) out.push("------< Static Rules >------", ...v.staticRules.map((r) => `     ${ruleText(r)}`));
  return out;
}

function trackers(cfg: VrrpSlice, pick: (i: VrrpInstance) => readonly TrackRef[], name: string, def: number): string[] {
  const out: string[] = [];
  for (const i of cfg.vrrp.instances) {
    const on = weightsCount(i, cfg);
    for (const r of pick(i)) if (r.name === name) out.push(`     ${i.name}, weight ${on ? r.weight ?? def : 0}${r.reverse ? " reverse" : ""}`);
  }
  return out;
}

function groupLines(cfg: VrrpSlice, live: VrrpLive | undefined): string[] {
  if (!cfg.vrrp.syncGroups.length) return [];
  const out = ["------< VRRP Sync groups >------"];
  for (const g of cfg.vrrp.syncGroups) {
    const members = g.members.map((m) => live?.instances.get(m));
    const faults = members.filter((m) => m?.state === "FAULT").length;
    const init = live ? members.filter((m) => !m || m.state === "INIT").length : 0;
    out.push(
      ` VRRP Sync Group = ${g.name}, ${live?.groups.get(g.name) ?? "BACKUP"}`,
      `   Num member fault ${faults}, num member init ${init}`,
      "   VRRP member instances :",
      ...g.members.map((m) => `     ${m}`),
      `   Using smtp notification = ${yn(g.smtpAlert ?? cfg.global.smtpAlertVrrp ?? cfg.global.smtpAlert ?? false)}`,
      ...notifyLines(g.notify, cfg.global),
    );
  }
  return out;
}

/** Scripts some instance or group tracks (keepalived drops and does not dump the others). */
function usedScripts(cfg: VrrpSlice): Set<string> {
  const used = new Set<string>();
  for (const x of [...cfg.vrrp.instances, ...cfg.vrrp.syncGroups]) for (const r of x.trackScripts) used.add(r.name);
  return used;
}

function scriptLines(cfg: VrrpSlice, live: VrrpLive | undefined): string[] {
  const used = usedScripts(cfg);
  const list = cfg.vrrp.scripts.filter((s) => used.has(s.name));
  if (!list.length) return [];
  const out = ["------< VRRP Scripts >------"];
  for (const s of list) {
    const st = live?.scripts.get(s.name);
    out.push(
      ` VRRP Script = ${s.name}`,
      `   Command = ${s.script ? quotedCommand(s.script) : ""}`,
      `   Interval = ${Math.floor(s.intervalMs / 1000)} sec`,
      `   Timeout = ${Math.floor((s.timeoutMs ?? 0) / 1000)} sec`,
      `   Weight = ${s.weight}${s.weightReverse ? " reverse" : ""}`,
      `   Rise = ${s.rise}`,
      `   Fall = ${s.fall}`,
      // keepalived's result counter: rise+fall-1 once good, below fall when bad.
      `   Result = ${st?.up ? s.rise + s.fall - 1 : 0}`,
      "   Insecure = no",
      // keepalived shows INIT until the first result, then "unknown".
      `   Init state = ${live ? "unknown" : s.initFail ? "INIT_FAILED" : "INIT"}`,
      `   Status = ${st?.up ? "GOOD" : "BAD"}`,
      `   Script uid:gid = ${uidGid(s.script, cfg.global)}`,
      "   VRRP instances :",
      "   Tracking instances :",
      ...trackers(cfg, (i) => i.trackScripts, s.name, s.weight),
      `   State = ${st?.running ? "running" : "idle"}`,
    );
  }
  return out;
}

function fileLines(cfg: VrrpSlice, live: VrrpLive | undefined): string[] {
  if (!cfg.vrrp.trackFiles.length) return [];
  const out = ["------< VRRP Track files >------"];
  for (const f of cfg.vrrp.trackFiles) {
    out.push(
      ` Track file = ${f.name}`,
      `   File = ${f.path ?? ""}`,
      `   Status = ${live?.files.get(f.name) ?? 0}`,
      `   Weight = ${f.weight}${f.weightReverse ? " reverse" : ""}`,
      "   Tracking instances :",
      ...trackers(cfg, (i) => i.trackFiles, f.name, f.weight),
    );
  }
  return out;
}

function processLines(cfg: VrrpSlice, live: VrrpLive | undefined): string[] {
  if (!cfg.vrrp.trackProcesses.length) return [];
  const out = ["------< VRRP Track processes >------"];
  for (const p of cfg.vrrp.trackProcesses) {
    const st = live?.processes.get(p.name);
    out.push(` VRRP Track process = ${p.name}`, `   Process = ${[p.process ?? "", ...p.params].join(" ")}`);
    out.push(`   Min processes = ${p.quorum}`);
    if (p.quorumMax !== null) out.push(`   Max processes = ${p.quorumMax}`);
    out.push(
      `   Current processes = ${st?.count ?? 0}`,
      `   Have quorum = ${st?.up ? "true" : "false"}`,
      `   Weight = ${p.weight}${p.weightReverse ? " reverse" : ""}`,
      `   Terminate delay = ${fsecs(p.terminateDelayMs)}s`,
      `   Fork delay = ${fsecs(p.forkDelayMs)}s`,
    );
    if (live) out.push("   Fork delay timer not running", "   Terminate delay timer not running");
    out.push(`   Full command = ${p.fullCommand ? "true" : "false"}`, "   Tracking instances :", ...trackers(cfg, (i) => i.trackProcesses, p.name, p.weight));
  }
  return out;
}

function bfdLines(cfg: VrrpSlice, live: VrrpLive | undefined): string[] {
  if (!cfg.bfd.instances.length) return [];
  const out = ["------< VRRP Track BFDs >------"];
  for (const b of cfg.bfd.instances.filter((x) => x.toVrrp)) {
    out.push(` VRRP Track BFD = ${b.name}`, `   Weight = ${b.weight}${b.weightReverse ? " reverse" : ""}`);
    out.push(`   Bfd is ${live?.bfds.get(b.name) ? "up" : "down"}`, "   Tracking VRRP instances :");
    out.push(...trackers(cfg, (i) => i.trackBfds, b.name, b.weight));
  }
  return out;
}

function sockpoolLines(sockets: readonly SocketLive[]): string[] {
  const out = ["------< VRRP Sockpool >------"];
  for (const s of sockets) {
    out.push(
      " fd_in -1 fd_out = -1",
      `   Interface = ${s.ifname}`,
      `   Family = ${s.family === "ipv4" ? "IPv4" : "IPv6"}`,
      "   Protocol = VRRP",
      `   Type = ${s.unicastSrc ? "Unicast" : "Multicast"}`,
      ...(s.unicastSrc ? [`   Address = ${s.unicastSrc}`] : []),
      `   Rx buf size = ${s.rxBufConfigured}`,
      "   VRRP instances",
      // keepalived lists a socket's instances by VRID.
      ...[...s.instances].sort((a, b) => a.vrid - b.vrid).map((i) => `     ${i.name} vrid ${i.vrid}`),
      `   Receive buffer = ${s.rxBufferBytes} bytes`,
      `   Kernel drops = ${s.drops}`,
      `   Overflows = ${s.overflows}`,
    );
  }
  return out;
}

/**
 * `------< Gratuitous ARP delays >------`: one block per garp_group as keepalived 2.2.7 prints it (every
 * group numbered 0, intervals in seconds without trailing zeros, the unset next-send times, its
 * interfaces). Groups from garp_group only: the global vrrp_garp_interval makes none.
 */
function garpDelayLines(cfg: VrrpSlice): string[] {
  if (!cfg.vrrp.garpGroups.length) return [];
  const never = "0.000000 (Thu Jan  1 00:00:00.000000)";
  const out = ["------< Gratuitous ARP delays >------"];
  for (const g of cfg.vrrp.garpGroups) {
    out.push("------< GARP delay group 0 >------");
    if (g.garpIntervalMs !== null) out.push(` GARP interval = ${g.garpIntervalMs / 1000}`, ` GARP next time ${never}`);
    if (g.gnaIntervalMs !== null) out.push(` GNA interval = ${g.gnaIntervalMs / 1000}`, ` GNA next time ${never}`);
    out.push(" Interfaces", ...g.interfaces.map((i) => `  ${i}`));
  }
  return out;
}

/**
 * The VRRP child's text: `-d` (no `live`) or the USR1 data dump. `host` resolves interfaces for the
 * configuration dump (index for the IPv6 multicast line, primary address for src_ip).
 */
export function vrrpText(cfg: VrrpSlice, live?: VrrpLive, nowMs = Date.now(), host: HostLookup = systemHost): string[] {
  const out = [...globalSection(cfg.global, "vrrp"), ...garpDelayLines(cfg), ...staticLines(cfg, live)];
  if (cfg.vrrp.instances.length) out.push("------< VRRP Topology >------");
  for (const i of cfg.vrrp.instances) out.push(...instanceLines(i, cfg, live?.instances.get(i.name), nowMs, host));
  if (live?.sockets.length) out.push(...sockpoolLines(live.sockets));
  out.push(...groupLines(cfg, live), ...scriptLines(cfg, live), ...fileLines(cfg, live), ...processLines(cfg, live), ...bfdLines(cfg, live));
  if (cfg.vrrp.instances.length) out.push(...interfaceSection(cfg, live ? nowMs : undefined));
  return out;
}
