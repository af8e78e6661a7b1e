/**
 * Which prefixes the BGP announcer wants on its TUN devices, from what the parent has heard from its
 * children (docs/bgp.md "When a prefix is announced"). Pure: configuration and observed states in,
 * wanted addresses out; the announcer (announcer.ts) applies the difference.
 *
 * An announcement is on while every condition it follows holds:
 * - each followed VRRP instance, and each member of each followed sync group, is MASTER; with
 *   announce_backup, MASTER or BACKUP, the metric then rising by 256 - (lowest effective priority) so
 *   that the MASTER's path (plain metric) stays the best one;
 * - each followed virtual server has quorum.
 * A state not heard of (child not started yet, or gone) counts as not holding.
 */
import type { BgpAnnounce, BgpPrefix, SyncGroup } from "../config/model.ts";
import { VIP_METRIC_UNDER_BGP } from "../config/model-bgp.ts";
import type { VrrpStateName } from "../core/ipc.ts";

/** The last reported state of a VRRP instance. */
export interface InstanceSeen {
  readonly state: VrrpStateName;
  /** Effective priority (1..255). */
  readonly effectivePriority: number;
}

/** What the parent knows now. */
export interface Observed {
  /** By instance name. */
  readonly instances: ReadonlyMap<string, InstanceSeen>;
  /** Quorum by virtual server display name (src/alert/names.ts vsName): true = UP. */
  readonly virtualServers: ReadonlyMap<string, boolean>;
}

/** The verdict for one announcement. */
export interface AnnounceVerdict {
  readonly on: boolean;
  /** Metric of its addresses while on. */
  readonly metric: number;
  /** Why it is off (or on as backup), for the log: e.g. "VI_1 is BACKUP". */
  readonly why: string;
}

/** One address wanted on a device. */
export interface WantedAddr extends BgpPrefix {
  readonly device: string;
  readonly metric: number;
  /** The bgp_announce it comes from. */
  readonly announce: string;
}

/** VIP_METRIC_UNDER_BGP when some announcement carries `address/prefixLen`, else undefined. */
export function vipMetric(announces: readonly BgpAnnounce[], address: string, prefixLen: number): number | undefined {
  for (const a of announces) {
    if (a.prefixes.some((p) => p.address === address && p.prefixLen === prefixLen)) return VIP_METRIC_UNDER_BGP;
  }
  return undefined;
}

/** What an announcement needs of a sync group: its name and members. */
type GroupMembers = Pick<SyncGroup, "name" | "members">;

/** Instances an announcement follows: its own plus every member of its sync groups. */
export function followedInstances(a: BgpAnnounce, groups: readonly GroupMembers[]): string[] {
  const out = new Set(a.instances);
  for (const g of groups) if (a.syncGroups.includes(g.name)) { for (const m of g.members) out.add(m); }
  return [...out];
}

function vrrpVerdict(a: BgpAnnounce, groups: readonly GroupMembers[], seen: Observed): AnnounceVerdict {
  const names = followedInstances(a, groups);
  let lowest = 255;
  let backup = "";
  for (const n of names) {
    const s = seen.instances.get(n);
    if (!s) return { on: false, metric: a.metric, why: `${n} has not reported a state` };
    if (s.state === "MASTER") continue;
    if (!(a.announceBackup && s.state === "BACKUP")) return { on: false, metric: a.metric, why: `${n} is ${s.state}` };
    lowest = Math.min(lowest, s.effectivePriority);
    backup ||= `${n} is BACKUP`;
  }
  if (!backup) return { on: true, metric: a.metric, why: "" };
  return { on: true, metric: a.metric + 256 - Math.max(1, Math.min(255, lowest)), why: backup };
}

/** Whether `a` is announced now, with which metric, and why (not). */
export function verdict(a: BgpAnnounce, groups: readonly GroupMembers[], seen: Observed): AnnounceVerdict {
  for (const vs of a.virtualServers) {
    const up = seen.virtualServers.get(vs);
    if (up === undefined) return { on: false, metric: a.metric, why: `VS ${vs} has not reported its quorum` };
    if (!up) return { on: false, metric: a.metric, why: `VS ${vs} has no quorum` };
  }
  if (a.instances.length + a.syncGroups.length === 0) return { on: true, metric: a.metric, why: "" };
  return vrrpVerdict(a, groups, seen);
}

/** Every address wanted now, over all announcements. */
export function wantedAddrs(
  announces: readonly BgpAnnounce[],
  groups: readonly GroupMembers[],
  seen: Observed,
): WantedAddr[] {
  const out: WantedAddr[] = [];
  for (const a of announces) {
    const v = verdict(a, groups, seen);
    if (!v.on) continue;
    for (const p of a.prefixes) out.push({ ...p, device: a.device, metric: v.metric, announce: a.name });
  }
  return out;
}
