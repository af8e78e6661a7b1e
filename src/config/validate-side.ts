/**
 * Validation of the VRRP side blocks and BFD (keepalived.conf(5)): vrrp_script needs a script,
 * track_file needs a file, track_process needs a process, duplicate names, sync groups (members must
 * exist, be in one group only; member tracker weights are zeroed unless sync_group_tracking_weight),
 * bfd_instance (neighbor required, RFC 5881 TTL 255 / hop limit 64 defaults).
 */
import type { DiagSink } from "./diag.ts";
import type { BfdInstance, GarpGroup, SyncGroup, TrackFileDef, TrackGroup, TrackProcessDef, TrackRef, VrrpInstance, VrrpScript } from "./model.ts";
import type { BfdDraft } from "./kw-bfd.ts";
import type { GarpGroupDraft, ScriptDraft, SyncDraft, TrackFileDraft, TrackGroupDraft, TrackProcessDraft } from "./kw-vrrp-misc.ts";
import { finishNotify } from "./kw-vrrp.ts";

/** Blocks whose duplicate names keepalived 2.2.7 does not report as a configuration error. */
const QUIET_DUPLICATES = new Set(["vrrp_script", "track_file", "vrrp_track_process", "virtual_server_group"]);

/** Drop later duplicates by name, reporting each. */
export function unique<T extends { name?: string; src?: { file: string; line: number } }>(
  list: readonly T[],
  what: string,
  diags: DiagSink,
): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const x of list) {
    if (seen.has(x.name!)) {
      // keepalived 2.2.7 uses the first of these too, without a config error (a vrrp_script only logs
      // "Warning - script NAME is not used" at start); instances, sync groups and BFDs are config errors.
      const severity = QUIET_DUPLICATES.has(what) ? "info" : "error";
      diags.add(x.src!, severity, `${what} '${x.name}' is defined twice; the later one is ignored`);
      continue;
    }
    seen.add(x.name!);
    out.push(x);
  }
  return out;
}

/** Finish vrrp_script blocks. */
export function finishScripts(list: readonly ScriptDraft[], diags: DiagSink): VrrpScript[] {
  const out: VrrpScript[] = [];
  for (const d of unique(list, "vrrp_script", diags)) {
    if (!d.script) {
      diags.error(diags.endOf(d, d.src!), `vrrp_script ${d.name} has no script; removed`);
      continue;
    }
    const script = d.userRaw ? { ...d.script, user: d.script.user ?? d.userRaw.user, group: d.script.group ?? d.userRaw.group } : d.script;
    out.push({
      name: d.name!,
      script,
      intervalMs: d.intervalMs ?? 1000,
      timeoutMs: d.timeoutMs ?? null,
      weight: d.weight ?? 0,
      weightReverse: d.weightReverse ?? false,
      rise: d.rise ?? 1,
      fall: d.fall ?? 1,
      initFail: d.initFail ?? false,
      src: d.src!,
    });
  }
  return out;
}

/** Finish track_file blocks. */
export function finishTrackFiles(list: readonly TrackFileDraft[], diags: DiagSink): TrackFileDef[] {
  const out: TrackFileDef[] = [];
  for (const d of unique(list, "track_file", diags)) {
    if (!d.path) {
      diags.error(diags.endOf(d, d.src!), `track_file ${d.name} has no file; removed`);
      continue;
    }
    out.push({
      name: d.name!,
      path: d.path,
      weight: d.weight ?? 1,
      weightReverse: d.weightReverse ?? false,
      initFile: d.initFile ?? null,
      src: d.src!,
    });
  }
  return out;
}

/** Finish vrrp_track_process blocks. */
export function finishTrackProcesses(list: readonly TrackProcessDraft[], diags: DiagSink): TrackProcessDef[] {
  const out: TrackProcessDef[] = [];
  for (const d of unique(list, "vrrp_track_process", diags)) {
    if (!d.process) {
      diags.error(diags.endOf(d, d.src!), `vrrp_track_process ${d.name} has no process; removed`);
      continue;
    }
    if (d.quorumMax !== undefined && d.quorumMax !== null && d.quorumMax < (d.quorum ?? 1)) {
      diags.error(
        d.src!,
        `vrrp_track_process ${d.name}: quorum_max ${d.quorumMax} is below quorum ${d.quorum ?? 1}`,
      );
    }
    out.push({
      name: d.name!,
      process: d.process,
      params: d.params ?? [],
      paramMatch: d.paramMatch ?? "exact",
      quorum: d.quorum ?? 1,
      quorumMax: d.quorumMax ?? null,
      weight: d.weight ?? 0,
      weightReverse: d.weightReverse ?? false,
      forkDelayMs: d.forkDelayMs ?? 0,
      terminateDelayMs: d.terminateDelayMs ?? 0,
      fullCommand: d.fullCommand ?? false,
      src: d.src!,
    });
  }
  return out;
}

/** Finish garp_group blocks. */
export function finishGarpGroups(list: readonly GarpGroupDraft[], diags: DiagSink): GarpGroup[] {
  const out: GarpGroup[] = [];
  for (const d of list) {
    // keepalived 2.2.7 checks the delay first (an error); a group without interfaces paces nothing but is
    // kept (its data dump lists it with an empty Interfaces).
    if (d.garpIntervalMs === undefined && d.gnaIntervalMs === undefined) {
      diags.error(diags.endOf(d, d.src!), "garp_group sets neither garp_interval nor gna_interval; removed");
      continue;
    }
    out.push({
      garpIntervalMs: d.garpIntervalMs ?? null,
      gnaIntervalMs: d.gnaIntervalMs ?? null,
      interfaces: d.interfaces ?? [],
      src: d.src!,
    });
  }
  return out;
}

/** Finish track_group blocks. */
export function finishTrackGroups(
  list: readonly TrackGroupDraft[],
  instances: ReadonlySet<string>,
  diags: DiagSink,
): TrackGroup[] {
  return unique(list, "track_group", diags).map((d) => {
    const members = (d.members ?? []).filter((m) =>
      instances.has(m) ||
      (diags.error(d.src!, `track_group ${d.name}: vrrp_instance '${m}' is not defined`), false)
    );
    return { name: d.name!, members, src: d.src! };
  });
}

function zeroWeights(refs: readonly TrackRef[]): TrackRef[] {
  return refs.map((r) => (r.weight ? { ...r, weight: 0 } : r));
}

/** Finish sync groups and stamp membership onto instances (returns the updated instance list). */
export function finishSyncGroups(
  list: readonly SyncDraft[],
  instances: VrrpInstance[],
  diags: DiagSink,
): { groups: SyncGroup[]; instances: VrrpInstance[] } {
  const byName = new Map(instances.map((v, i) => [v.name, i]));
  const out = [...instances];
  const groups: SyncGroup[] = [];
  for (const d of unique(list, "vrrp_sync_group", diags)) {
    const members: string[] = [];
    for (const m of d.members ?? []) {
      const idx = byName.get(m);
      if (idx === undefined) {
        diags.error(d.src!, `sync group ${d.name}: vrrp_instance '${m}' is not defined; ignored`);
        continue;
      }
      const inst = out[idx]!;
      if (inst.syncGroup !== null) {
        diags.error(d.src!, `sync group ${d.name}: ${m} is already in sync group ${inst.syncGroup}; ignored`);
        continue;
      }
      const keepWeights = d.syncGroupTrackingWeight ?? false;
      const weighted = [
        ...inst.trackInterfaces,
        ...inst.trackScripts,
        ...inst.trackFiles,
        ...inst.trackProcesses,
        ...inst.trackBfds,
      ].some((r) => r.weight);
      if (weighted && !keepWeights) {
        diags.warn(
          inst.src,
          `(${m}) tracker weights are ignored in sync group ${d.name} (set sync_group_tracking_weight to keep them)`,
        );
      }
      out[idx] = keepWeights ? { ...inst, syncGroup: d.name! } : {
        ...inst,
        syncGroup: d.name!,
        trackInterfaces: zeroWeights(inst.trackInterfaces),
        trackScripts: zeroWeights(inst.trackScripts),
        trackFiles: zeroWeights(inst.trackFiles),
        trackProcesses: zeroWeights(inst.trackProcesses),
        trackBfds: zeroWeights(inst.trackBfds),
      };
      members.push(m);
    }
    if (members.length === 0) {
      diags.error(d.src!, `sync group ${d.name} has no vrrp instances; removed`);
      continue;
    }
    groups.push({
      name: d.name!,
      members,
      trackInterfaces: d.trackInterfaces ?? [],
      trackScripts: d.trackScripts ?? [],
      trackFiles: d.trackFiles ?? [],
      trackProcesses: d.trackProcesses ?? [],
      trackBfds: d.trackBfds ?? [],
      notify: finishNotify(d.notifyD),
      smtpAlert: d.smtpAlert ?? null,
      globalTracking: d.globalTracking ?? false,
      syncGroupTrackingWeight: d.syncGroupTrackingWeight ?? false,
      src: d.src!,
    });
  }
  return { groups, instances: out };
}

/** Finish bfd_instance blocks. */
export function finishBfds(list: readonly BfdDraft[], diags: DiagSink): BfdInstance[] {
  const out: BfdInstance[] = [];
  for (const d of unique(list, "bfd_instance", diags)) {
    if (!d.neighborIp) {
      diags.error(diags.endOf(d, d.src!), `bfd_instance ${d.name} has no neighbor_ip; removed`);
      continue;
    }
    const v6 = d.neighborIp.includes(":");
    if (d.sourceIp && d.sourceIp.includes(":") !== v6) {
      diags.error(d.src!, `bfd_instance ${d.name}: source_ip and neighbor_ip differ in family; removed`);
      continue;
    }
    const onlyOne = (d.toVrrp ?? false) || (d.toChecker ?? false);
    out.push({
      name: d.name!,
      neighborIp: d.neighborIp,
      sourceIp: d.sourceIp ?? null,
      minRxMs: d.minRxMs ?? 10,
      minTxMs: d.minTxMs ?? 10,
      idleTxMs: d.idleTxMs ?? 1000,
      multiplier: d.multiplier ?? 5,
      passive: d.passive ?? false,
      ttl: (v6 ? d.hoplimitRaw ?? d.ttlRaw : d.ttlRaw ?? d.hoplimitRaw) ?? (v6 ? 64 : 255),
      maxHops: d.maxHops ?? 0,
      multihop: d.multihop ?? false,
      weight: d.weight ?? 0,
      weightReverse: d.weightReverse ?? false,
      toVrrp: onlyOne ? d.toVrrp ?? false : true,
      toChecker: onlyOne ? d.toChecker ?? false : true,
      src: d.src!,
    });
  }
  return out;
}
