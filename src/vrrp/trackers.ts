/**
 * The tracked objects of one instance in their current state, for src/vrrp/priority.ts: its own
 * interface (unless dont_track_primary), track_interface, track_script, track_file, track_process and
 * track_bfd, plus its vrrp_sync_group's track_* entries, plus the interfaces of static addresses and
 * routes whose track_group lists it (src/vrrp/track-group.ts). As keepalived 2.2.7 does, a sync group
 * member's tracker weights are ignored (the tracker can only cause FAULT: "ignoring ... weight due to
 * SYNC group") unless the group sets sync_group_tracking_weight; group trackers get their weights only
 * with sync_group_tracking_weight too.
 */
import type { SyncGroup, TrackRef, VrrpInstance, VrrpSection } from "../config/model.ts";
import type { Tracker } from "./priority.ts";
import { staticTrackedInterfaces, type StaticTrackSource } from "./track-group.ts";

/** Current states of the things trackers refer to. */
export interface TrackerStates {
  /** Link up (IFF_UP and IFF_RUNNING); undefined when the interface does not exist. */
  link(name: string): boolean | undefined;
  /** vrrp_script verdict (false when unknown). */
  script(name: string): boolean;
  /** track_file value (0 when unknown). */
  file(name: string): number;
  /** vrrp_track_process quorum met. */
  process(name: string): boolean;
  /** BFD session Up. */
  bfd(name: string): boolean;
}

type Defs = Pick<VrrpSection, "scripts" | "trackFiles" | "trackProcesses"> & StaticTrackSource;

function refs(
  list: readonly TrackRef[],
  weighted: boolean,
  make: (r: TrackRef, weight: number | null) => Tracker,
): Tracker[] {
  return list.map((r) => make(r, weighted ? r.weight : 0));
}

/** The trackers of `cfg` (and of `group`, when it is a member of one). */
export function instanceTrackers(cfg: VrrpInstance, group: SyncGroup | undefined, defs: Defs, s: TrackerStates): Tracker[] {
  const out: Tracker[] = [];
  if (cfg.interface && !cfg.dontTrackPrimary) {
    out.push({ kind: "interface", name: cfg.interface, weight: 0, reverse: false, up: s.link(cfg.interface) ?? false });
  }
  const weighted = !group || group.syncGroupTrackingWeight;
  const add = (o: Pick<VrrpInstance, "trackInterfaces" | "trackScripts" | "trackFiles" | "trackProcesses" | "trackBfds">) => {
    out.push(...refs(o.trackInterfaces, weighted, (r, w) => ({
      kind: "interface",
      name: r.name,
      weight: w ?? 0,
      reverse: r.reverse,
      up: s.link(r.name) ?? false,
    })));
    out.push(...refs(o.trackScripts, weighted, (r, w) => {
      const d = defs.scripts.find((x) => x.name === r.name);
      return {
        kind: "script",
        name: r.name,
        weight: weighted ? (w ?? d?.weight ?? 0) : 0,
        reverse: r.reverse || (d?.weightReverse ?? false),
        up: s.script(r.name),
      };
    }));
    out.push(...refs(o.trackFiles, weighted, (r, w) => {
      const d = defs.trackFiles.find((x) => x.name === r.name);
      return {
        kind: "file",
        name: r.name,
        weight: weighted ? (w ?? d?.weight ?? 1) : 0,
        reverse: r.reverse || (d?.weightReverse ?? false),
        value: s.file(r.name),
      };
    }));
    out.push(...refs(o.trackProcesses, weighted, (r, w) => {
      const d = defs.trackProcesses.find((x) => x.name === r.name);
      return {
        kind: "process",
        name: r.name,
        weight: weighted ? (w ?? d?.weight ?? 0) : 0,
        reverse: r.reverse || (d?.weightReverse ?? false),
        up: s.process(r.name),
      };
    }));
    out.push(...refs(o.trackBfds, weighted, (r, w) => ({
      kind: "bfd",
      name: r.name,
      weight: w ?? 0,
      reverse: r.reverse,
      up: s.bfd(r.name),
    })));
  };
  add(cfg);
  if (group) add(group);
  // track_group on static addresses / routes: their interfaces, unweighted (FAULT while down).
  for (const name of staticTrackedInterfaces(defs, cfg.name)) {
    out.push({ kind: "interface", name, weight: 0, reverse: false, up: s.link(name) ?? false });
  }
  return out;
}
