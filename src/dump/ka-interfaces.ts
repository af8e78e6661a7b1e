/**
 * `------< Interfaces >------` as keepalived 2.2.7's VRRP child writes it: every link of the network
 * namespace in index order with its primary addresses, flags, MTU, hardware type and the instances that
 * track it. Read from sysfs and the address list at dump time (the VRRP child runs in the namespace).
 */
import { readdirSync, readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { VrrpSlice } from "../config/slice.ts";
import { weightsCount } from "./ka-vrrp.ts";

/** One link as the section needs it. */
export interface LinkView {
  name: string;
  index: number;
  flags: number;
  /** ARPHRD_* (1 Ethernet, 772 loopback). */
  type: number;
  mac: string;
  broadcast: string;
  mtu: number;
  ipv4: string | undefined;
  ipv6: string | undefined;
  /** /proc/sys/net/ipv6/conf/NAME/forwarding. */
  ipv6Forwarding: boolean;
}

const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_MULTICAST = 0x1000;
const HW: Record<number, string> = { 1: "ETHERNET", 772: "LOOPBACK", 768: "IPIP", 776: "SIT", 778: "GRE", 65534: "NONE" };

function sys(name: string, f: string): string {
  try {
    return readFileSync(`/sys/class/net/${name}/${f}`, "utf8").trim();
  } catch {
    return "";
  }
}

function proc(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

/** The namespace's links from sysfs. */
export function systemLinks(skip: ReadonlySet<string> = new Set()): LinkView[] {
  let names: string[] = [];
  try {
    names = readdirSync("/sys/class/net");
  } catch {
    return [];
  }
  const addrs = networkInterfaces();
  return names.map((name) => {
    const list = (addrs[name] ?? []).filter((a) => !skip.has(a.address));
    return {
      name,
      index: Number(sys(name, "ifindex")) || 0,
      // sysfs flags lack IFF_RUNNING (it is the operational state).
      flags: (Number(sys(name, "flags")) || 0) | (["up", "unknown"].includes(sys(name, "operstate")) ? IFF_RUNNING : 0),
      type: Number(sys(name, "type")) || 0,
      mac: sys(name, "address"),
      broadcast: sys(name, "broadcast"),
      mtu: Number(sys(name, "mtu")) || 0,
      ipv4: list.find((a) => a.family === "IPv4")?.address,
      ipv6: list.find((a) => a.family === "IPv6" && a.address.startsWith("fe80:"))?.address,
      ipv6Forwarding: proc(`/proc/sys/net/ipv6/conf/${name}/forwarding`) === "1",
    };
  }).sort((a, b) => a.index - b.index);
}

function stateText(flags: number): string {
  const out = [flags & IFF_UP ? "UP" : "DOWN"];
  if (flags & IFF_RUNNING) out.push("RUNNING");
  if (!(flags & IFF_BROADCAST)) out.push("no broadcast");
  if (flags & IFF_LOOPBACK) out.push("loopback");
  if (!(flags & IFF_MULTICAST)) out.push("no multicast");
  return out.join(", ");
}

/** `1796255510.319673 (Wed Dec  2 23:51:50 2026.319673)`: this line's own timestamp format. */
function checkedAt(ms: number): string {
  const usec = String(Math.round((ms % 1000) * 1000)).padStart(6, "0");
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const day = d.toLocaleString("en-US", { weekday: "short" });
  const mon = d.toLocaleString("en-US", { month: "short" });
  const t = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return `${Math.floor(ms / 1000)}.${usec} (${day} ${mon} ${String(d.getDate()).padStart(2, " ")} ${t} ${d.getFullYear()}.${usec})`;
}

/** Interfaces an instance depends on besides track_interface: its own, and those of its addresses and routes. */
function usedInterfaces(cfg: VrrpSlice, i: VrrpSlice["vrrp"]["instances"][number]): Set<string> {
  const own = i.interface ?? cfg.global.defaultInterface ?? "eth0";
  const out = new Set<string>(i.dontTrackPrimary ? [] : [own]);
  for (const a of [...i.virtualIpaddresses, ...i.virtualIpaddressesExcluded]) if (a.dev && !a.noTrack) out.add(a.dev);
  for (const r of i.virtualRoutes) if (r.dev && !r.noTrack) out.add(r.dev);
  return out;
}

function trackingLines(cfg: VrrpSlice, name: string): string[] {
  const out: string[] = [];
  for (const i of cfg.vrrp.instances) {
    if (usedInterfaces(cfg, i).has(name)) out.push(`     ${i.name}, weight 0`);
    const on = weightsCount(i, cfg);
    for (const r of i.trackInterfaces) if (r.name === name) out.push(`     ${i.name}, weight ${on ? r.weight ?? 0 : 0}${r.reverse ? " reverse" : ""}`);
  }
  return out.length ? ["   Tracking VRRP instances :", ...out] : [];
}

/** Addresses keepalived adds itself (static, virtual): not an interface's primary address. */
function ownAddresses(cfg: VrrpSlice): Set<string> {
  const v = cfg.vrrp;
  const all = [...v.staticIpaddresses, ...v.instances.flatMap((i) => [...i.virtualIpaddresses, ...i.virtualIpaddressesExcluded])];
  return new Set(all.map((a) => a.address));
}

/** An interface's garp_group intervals (keepalived prints them in ms). */
function garpLines(cfg: VrrpSlice, name: string): string[] {
  const g = cfg.vrrp.garpGroups.find((x) => x.interfaces.includes(name));
  if (!g) return [];
  const out: string[] = [];
  if (g.garpIntervalMs !== null) out.push(`   Gratuitous ARP interval ${g.garpIntervalMs}ms`);
  if (g.gnaIntervalMs !== null) out.push(`   Gratuitous NA interval ${g.gnaIntervalMs}ms`);
  return out;
}

/**
 * The Interfaces section; `checkedMs` (data dump only: keepalived checks IPv6 forwarding once running)
 * stamps the IPv6 forwarding line.
 */
export function interfaceSection(cfg: VrrpSlice, checkedMs: number | undefined, links: readonly LinkView[] = systemLinks(ownAddresses(cfg))): string[] {
  const out = ["------< Interfaces >------"];
  const delays = new Map(cfg.vrrp.interfaceUpDownDelays.map((d) => [d.ifname, d]));
  for (const l of links) {
    const d = delays.get(l.name);
    out.push(` Name = ${l.name}`, `   index = ${l.index}`, `   IPv4 address = ${l.ipv4 ?? "(none)"}`, `   IPv6 address = ${l.ipv6 ?? "(none)"}`);
    if (!(l.flags & IFF_LOOPBACK) && l.mac) out.push(`   MAC = ${l.mac}`, `   MAC broadcast = ${l.broadcast}`);
    out.push(
      `   State = ${stateText(l.flags)}`,
      `   Seen up = ${l.flags & IFF_UP ? 1 : 0}`,
      "   Delayed state change running = false",
      `   Up debounce timer = ${(d?.upDelayMs ?? 0) * 1000}us`,
      `   Down debounce timer = ${(d?.downDelayMs ?? 0) * 1000}us`,
      `   MTU = ${l.mtu}`,
      `   HW Type = ${HW[l.type] ?? `UNKNOWN (${l.type})`}`,
      "   NIC netlink status update",
      ...garpLines(cfg, l.name),
      "   Reset ARP config counter 0",
      "   Original arp_ignore 0",
      "   Original arp_filter 0",
      "   Original promote_secondaries 0",
      "   Reset promote_secondaries counter 0",
    );
    const v6 = cfg.vrrp.instances.some((i) => i.family === "ipv6" && (i.interface ?? cfg.global.defaultInterface) === l.name);
    if (v6 && !l.ipv6Forwarding && checkedMs !== undefined) out.push(`   Not IPv6 forwarding. Last checked ${checkedAt(checkedMs)}`);
    out.push(...trackingLines(cfg, l.name));
  }
  return out;
}
