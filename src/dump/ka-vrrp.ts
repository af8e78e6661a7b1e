/**
 * `------< VRRP Topology >------` as keepalived 2.2.7 writes it (dump_vrrp): one block per instance with
 * its fields in keepalived's order and spelling. Without `live` it is the configuration dump (`-d`);
 * with it, the USR1 data dump (state, timers, effective priority, VIPs "set"). Fields of ours come at
 * the end of the block.
 */
import type { Family } from "../core/inet.ts";
import type { VrrpSlice } from "../config/slice.ts";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { GlobalDefs, NotifyScripts, TrackRef, VrrpInstance } from "../config/model.ts";
import { addressText, ed, routeText, ruleText, scriptLine, tf, yn } from "./ka-values.ts";

/** The run-time state of one instance that the data dump shows. */
export interface InstanceLive {
  state: "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP";
  ifname: string;
  ifindex: number;
  src: string;
  effectivePriority: number;
  /** Trackers that hold the instance in FAULT. */
  faults: number;
  /** Wall-clock ms of the last state change. */
  lastTransitionMs: number | undefined;
  /** The master we hear while BACKUP. */
  master: { address: string; priority: number } | undefined;
  /** Ours: why the sockets cannot be used, while they cannot. */
  socketFault: string | undefined;
}

/** How the configuration dump finds an interface's index and primary address (no live state yet). */
export interface HostLookup {
  ifindex(name: string): number;
  address(name: string, family: Family): string | undefined;
}

/** The running system's interfaces (this network namespace's). */
export const systemHost: HostLookup = {
  ifindex(name) {
    try {
      return Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim());
    } catch {
      return 0;
    }
  },
  address(name, family) {
    const list = networkInterfaces()[name] ?? [];
    const v6 = family === "ipv6";
    return list.find((a) => (v6 ? a.family === "IPv6" && a.address.startsWith("fe80:") : a.family === "IPv4"))?.address;
  },
};

/** `1796255468.787740 (Wed Dec  2 23:51:08.787740 2026)`: keepalived's timestamp with its local time. */
export function kaTime(ms: number): string {
  const d = new Date(ms);
  const usec = String(Math.round((ms % 1000) * 1000)).padStart(6, "0");
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getDay()];
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getMonth()];
  const p2 = (n: number) => String(n).padStart(2, "0");
  const hms = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return `${Math.floor(ms / 1000)}.${usec} (${day} ${mon} ${String(d.getDate()).padStart(2, " ")} ${hms}.${usec} ${d.getFullYear()})`;
}

/** RFC 3768/5798 Master_Down_Interval in µs: down_timer_adverts × interval + skew (v2: whole-second skew). */
export function masterDownUs(c: VrrpInstance, priority: number): number {
  const advUs = c.advertIntMs * 1000;
  const skew = c.version === 3 ? Math.floor(((256 - priority) * advUs) / 256) : Math.floor(((256 - priority) * 1000000) / 256);
  return c.downTimerAdverts * advUs + skew;
}

function wantState(c: VrrpInstance, cfg: VrrpSlice, live: InstanceLive | undefined): string {
  if (live && (live.state === "MASTER" || live.state === "BACKUP")) return live.state;
  // A sync group starts every member BACKUP unless all of them want MASTER.
  const g = c.syncGroup ? cfg.vrrp.syncGroups.find((x) => x.name === c.syncGroup) : undefined;
  const members = g ? cfg.vrrp.instances.filter((i) => g.members.includes(i.name)) : [];
  if (g && members.some((m) => m.initialState !== "MASTER")) return "BACKUP";
  return c.initialState;
}

function advertText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} sec` : `${ms} milli-sec`;
}

const NOTIFY_LABELS: [keyof NotifyScripts, string][] = [
  ["backup", "Backup state transition script"],
  ["master", "Master state transition script"],
  ["fault", "Fault state transition script"],
  ["stop", "Stop state transition script"],
  ["deleted", "Deleted state transition script"],
  ["generic", "Generic state transition script"],
  ["masterRxLowerPri", "Master receive lower priority script"],
];

/** The notify script lines of an instance or sync group. */
export function notifyLines(n: NotifyScripts, g: GlobalDefs): string[] {
  const out: string[] = [];
  for (const [k, label] of NOTIFY_LABELS) {
    const s = n[k];
    if (s && typeof s === "object") out.push(`   ${label} = ${scriptLine(s, g)}`);
  }
  return out;
}

/** Whether an instance's tracker weights count: not in a sync group without sync_group_tracking_weight (src/vrrp/trackers.ts). */
export function weightsCount(c: VrrpInstance, cfg: VrrpSlice): boolean {
  const g = c.syncGroup ? cfg.vrrp.syncGroups.find((x) => x.name === c.syncGroup) : undefined;
  return !g || g.syncGroupTrackingWeight;
}

function trackLines(c: VrrpInstance, cfg: VrrpSlice): string[] {
  const out: string[] = [];
  const on = weightsCount(c, cfg);
  const w = (r: TrackRef, def: number | undefined) => (on ? r.weight ?? def ?? 0 : 0);
  const rev = (r: TrackRef) => (r.reverse ? " reverse" : "");
  const v = cfg.vrrp;
  const list = (title: string, refs: readonly TrackRef[], sep: string, def: (n: string) => number | undefined) => {
    if (refs.length) out.push(`   ${title} :`, ...refs.map((r) => `     ${r.name}${sep} weight ${w(r, def(r.name))}${rev(r)}`));
  };
  list("Tracked interfaces", c.trackInterfaces, "", () => 0);
  list("Tracked scripts", c.trackScripts, "", (n) => v.scripts.find((s) => s.name === n)?.weight);
  list("Tracked files", c.trackFiles, ",", (n) => v.trackFiles.find((s) => s.name === n)?.weight);
  list("Tracked processes", c.trackProcesses, ",", (n) => v.trackProcesses.find((s) => s.name === n)?.weight);
  list("Tracked BFDs", c.trackBfds, ",", () => 0);
  return out;
}

function headLines(c: VrrpInstance, cfg: VrrpSlice, live: InstanceLive | undefined, nowMs: number): string[] {
  const out = [` VRRP Instance = ${c.name}`, `   VRRP Version = ${c.version}`];
  if (c.syncGroup) out.push(`   Sync group = ${c.syncGroup}`);
  if (c.family === "ipv6") out.push("   Using Native IPv6");
  if (live) {
    out.push(`   State = ${live.state}`);
    if (live.state === "BACKUP") out.push(`   Master router = ${live.master?.address ?? "(none)"}`, `   Master priority = ${live.master?.priority ?? 0}`);
  }
  out.push(...(c.unicastPeers.length ? ["   Flags:", "     Using unicast"] : ["   Flags: none"]));
  out.push(`   Wantstate = ${wantState(c, cfg, live)}`, "   Number of config faults = 0");
  if (live) {
    const down = masterDownUs(c, live.effectivePriority);
    const next = live.state === "MASTER" ? c.advertIntMs : down / 1000;
    out.push(
      `   Number of interface and track script faults = ${live.faults}`,
      "   Number of track scripts init = 0",
      `   Last transition = ${kaTime(live.lastTransitionMs ?? nowMs)}`,
      `   Read timeout = ${kaTime(nowMs + next)}`,
      `   Master down timer = ${down} usecs`,
    );
  }
  return out;
}

function addressingLines(c: VrrpInstance, cfg: VrrpSlice, live: InstanceLive | undefined, host: HostLookup): string[] {
  const ifname = live?.ifname ?? c.interface ?? cfg.global.defaultInterface ?? "eth0";
  const configured = c.unicastSrcIp ?? c.mcastSrcIp;
  const out = [`   Interface = ${ifname}`];
  const src = configured ?? live?.src ?? host.address(ifname, c.family ?? "ipv4");
  if (src) out.push(`   Using src_ip = ${src}${configured ? " (from configuration)" : ""}`);
  if (!c.unicastPeers.length) {
    const v6 = c.family === "ipv6";
    const group = c.mcastDstIp ?? (v6 ? cfg.global.vrrpMcastGroup6 : cfg.global.vrrpMcastGroup4);
    out.push(`   Multicast address ${group}${v6 ? `, ifindex ${live?.ifindex ?? host.ifindex(ifname)}` : ""}`);
  }
  out.push(
    `   Gratuitous ARP delay = ${c.garpMasterDelayMs / 1000}`,
    `   Gratuitous ARP repeat = ${c.garpMasterRepeat}`,
    `   Gratuitous ARP refresh = ${c.garpMasterRefreshMs / 1000}`,
    `   Gratuitous ARP refresh repeat = ${c.garpMasterRefreshRepeat}`,
    `   Gratuitous ARP lower priority delay = ${c.garpLowerPrioDelayMs / 1000}`,
    `   Gratuitous ARP lower priority repeat = ${c.garpLowerPrioRepeat}`,
    `   Down timer adverts = ${c.downTimerAdverts}`,
    `   Send advert after receive lower priority advert = ${tf(!c.lowerPrioNoAdvert)}`,
    `   Send advert after receive higher priority advert = ${tf(c.higherPrioSendAdvert)}`,
  );
  return out;
}

function priorityLines(c: VrrpInstance, live: InstanceLive | undefined): string[] {
  const out = [`   Virtual Router ID = ${c.vrid}`, `   Priority = ${c.priority}`];
  if (live) out.push(`   Effective priority = ${live.effectivePriority}`, `   Total priority = ${live.effectivePriority}`);
  out.push(`   Advert interval = ${advertText(c.advertIntMs)}`, `   Accept = ${ed(c.accept)}`, `   Preempt = ${ed(!c.nopreempt)}`);
  if (c.preemptDelayMs) out.push(`   Preempt delay = ${c.preemptDelayMs / 1000} secs`);
  out.push(`   Promote_secondaries = ${ed(c.promoteSecondaries)}`);
  if (c.version === 2) {
    const t = c.auth ? (c.auth.type === "PASS" ? "SIMPLE_PASSWORD" : "IPSEC_AH") : "none";
    out.push(`   Authentication type = ${t}`);
    if (c.auth) out.push(`   Password = ${c.auth.password}`);
  }
  if (c.kernelRxBufSizeBytes) out.push(`   Kernel rx buffer size = ${c.kernelRxBufSizeBytes}`);
  if (c.debugLevel) out.push(`   Debug level = ${c.debugLevel}`);
  return out;
}

function addressLists(c: VrrpInstance, ifname: string, set: boolean): string[] {
  const tail = set ? " set" : "";
  const out = [`   Virtual IP (${c.virtualIpaddresses.length}):`, ...c.virtualIpaddresses.map((a) => `     ${addressText(a, ifname)}${tail}`)];
  if (c.virtualIpaddressesExcluded.length) {
    out.push("   Virtual IP Excluded :", ...c.virtualIpaddressesExcluded.map((a) => `     ${addressText(a, ifname)}${tail}`));
  }
  if (c.unicastPeers.length) {
    out.push(
      `   Unicast TTL = ${c.unicastTtl}`,
      `   Check unicast src : ${yn(c.checkUnicastSrc)}`,
      "   Unicast Peer :",
      ...c.unicastPeers.map((p) => `     ${p.address} min_ttl ${p.minTtl ?? 0} max_ttl ${p.maxTtl ?? 255}`),
      `   Unicast checksum compatibility = ${yn(c.oldUnicastChecksum)}`,
    );
  }
  return out;
}

/** One instance's block. */
export function instanceLines(
  c: VrrpInstance,
  cfg: VrrpSlice,
  live: InstanceLive | undefined,
  nowMs: number,
  host: HostLookup,
): string[] {
  const ifname = live?.ifname ?? c.interface ?? cfg.global.defaultInterface ?? "eth0";
  const out = [
    ...headLines(c, cfg, live, nowMs),
    ...addressingLines(c, cfg, live, host),
    ...priorityLines(c, live),
    ...addressLists(c, ifname, live?.state === "MASTER"),
    // We do not hand out the socket's descriptor numbers: -1 is keepalived's unset fd.
    live ? "   fd_in -1, fd_out -1" : "   No sockets allocated",
  ];
  if (c.virtualRoutes.length) out.push("   Virtual Routes :", ...c.virtualRoutes.map((r) => `     ${routeText(r, true)}`));
  if (c.virtualRules.length) out.push("   Virtual Rules :", ...c.virtualRules.map((r) => `     ${ruleText(r)}`));
  out.push(...trackLines(c, cfg));
  out.push(`   Using smtp notification = ${yn(c.smtpAlert ?? cfg.global.smtpAlertVrrp ?? cfg.global.smtpAlert ?? false)}`);
  out.push(`   Notify deleted = ${c.notify.deleted ? "Deleted" : "Fault"}`, ...notifyLines(c.notify, cfg.global));
  out.push(`   Notify priority changes = ${tf(c.notify.priorityChanges)}`);
  if (live?.socketFault) out.push(`   Socket fault = ${live.socketFault} (retrying)`);
  return out;
}
