/**
 * Keyword tables for the VRRP side blocks of keepalived.conf(5): vrrp_script, vrrp_track_file /
 * track_file, vrrp_track_process, garp_group, vrrp_sync_group, track_group, and the list blocks
 * static_ipaddress / static_routes / static_rules / linkbeat_interfaces / interface_up_down_delays.
 */
import type { GarpGroup, InterfaceDelay, NotifyScripts, SyncGroup, TrackFileDef, TrackGroup, TrackProcessDef, VrrpScript } from "./model.ts";
import type { Table } from "./tree.ts";
import { notifyTable, trackKw } from "./kw-vrrp.ts";
import { boolKw, type Draft, flagKw, need, pushTo, readInt, readScript, readTimerMs, readWeight, strKw, timerKw } from "./values.ts";

const INT_MAX = 2147483647;

/** vrrp_script draft. */
export type ScriptDraft = Draft<VrrpScript> & { userRaw?: { user: string; group: string | null } };

/** The vrrp_script table. */
export const VRRP_SCRIPT: Table<ScriptDraft> = {
  script: {
    h: (d, a, c) => {
      const s = readScript(a, c);
      if (s) d.script = s;
    },
  },
  interval: { h: timerKw("intervalMs", 0.000001, 4294) },
  timeout: { h: timerKw("timeoutMs", 0.000001, 4294) },
  weight: {
    h: (d, a, c) => {
      const r = readWeight(a, 0, -253, 253, c);
      if (r) [d.weight, d.weightReverse] = r;
    },
  },
  rise: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, INT_MAX, c);
      if (n !== undefined) d.rise = n;
    },
  },
  fall: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, INT_MAX, c);
      if (n !== undefined) d.fall = n;
    },
  },
  user: {
    h: (d, a, c) => {
      if (need(a, 1, c)) d.userRaw = { user: a[0]!.text, group: a[1]?.text ?? null };
    },
  },
  init_fail: { h: flagKw("initFail") },
};

/** track_file draft. */
export type TrackFileDraft = Draft<TrackFileDef>;

/** The vrrp_track_file / track_file table. */
export const TRACK_FILE: Table<TrackFileDraft> = {
  file: { h: strKw("path") },
  weight: {
    h: (d, a, c) => {
      const r = readWeight(a, 0, -254, 254, c);
      if (r) [d.weight, d.weightReverse] = r;
    },
  },
  init_file: {
    h: (d, a, c) => {
      let value = 0;
      let overwrite = false;
      for (const t of a) {
        if (t.text === "overwrite") overwrite = true;
        else {
          const n = readInt(t.text, -2147483648, INT_MAX, c, "init_file value");
          if (n !== undefined) value = n;
        }
      }
      d.initFile = { value, overwrite };
    },
  },
};

/** vrrp_track_process draft. */
export type TrackProcessDraft = Draft<TrackProcessDef>;

/** The vrrp_track_process table. */
export const TRACK_PROCESS: Table<TrackProcessDraft> = {
  process: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      d.process = a[0]!.text;
      d.params = a.slice(1).map((t) => t.text);
    },
  },
  param_match: {
    h: (d, a, c) => {
      const m = a[0]?.text;
      if (m === "exact" || m === "partial" || m === "initial") d.paramMatch = m;
      else c.diags.error(c.at, `param_match must be exact, partial or initial, not '${m ?? ""}'`);
    },
  },
  quorum: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 65535, c);
      if (n !== undefined) d.quorum = n;
    },
  },
  quorum_max: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 65535, c);
      if (n !== undefined) d.quorumMax = n;
    },
  },
  weight: {
    h: (d, a, c) => {
      const r = readWeight(a, 0, -254, 254, c);
      if (r) [d.weight, d.weightReverse] = r;
    },
  },
  fork_delay: { h: timerKw("forkDelayMs", 0, 3600) },
  terminate_delay: { h: timerKw("terminateDelayMs", 0, 3600) },
  delay: {
    h: (d, a, c) => {
      const ms = readTimerMs(a[0]?.text, 0, 3600, c);
      if (ms !== undefined) {
        d.forkDelayMs = ms;
        d.terminateDelayMs = ms;
      }
    },
  },
  full_command: { h: flagKw("fullCommand") },
};

/** garp_group draft. */
export type GarpGroupDraft = Draft<GarpGroup>;

/** The garp_group table. */
export const GARP_GROUP: Table<GarpGroupDraft> = {
  garp_interval: { h: timerKw("garpIntervalMs", 0, 4294) },
  gna_interval: { h: timerKw("gnaIntervalMs", 0, 4294) },
  interface: {
    h: (d, a, c) => {
      if (need(a, 1, c)) pushTo(d, "interfaces", a[0]!.text);
    },
  },
  interfaces: {
    values: {
      item: (d, w) => {
        pushTo(d, "interfaces", w[0]!.text);
      },
    },
  },
};

/** vrrp_sync_group draft. */
export type SyncDraft = Draft<SyncGroup> & { notifyD: Draft<NotifyScripts> };

/** The vrrp_sync_group table. */
export const SYNC_GROUP: Table<SyncDraft> = {
  group: {
    values: {
      item: (d, w) => {
        for (const t of w) pushTo(d, "members", t.text);
      },
    },
  },
  track_interface: trackKw("trackInterfaces", -253, 253),
  track_script: trackKw("trackScripts", -253, 253),
  track_file: trackKw("trackFiles", -254, 254),
  track_process: trackKw("trackProcesses", -254, 254),
  track_bfd: trackKw("trackBfds", -253, 253),
  smtp_alert: { h: boolKw("smtpAlert") },
  global_tracking: {
    h: (d, _a, c) => {
      c.diags.warn(c.at, "global_tracking is deprecated; use sync_group_tracking_weight");
      // keepalived 2.2.7 keeps the members' tracker weights with it, as sync_group_tracking_weight does.
      d.globalTracking = true;
      d.syncGroupTrackingWeight = true;
    },
  },
  sync_group_tracking_weight: { h: flagKw("syncGroupTrackingWeight") },
  ...notifyTable<SyncDraft>(false),
};

/** track_group draft. */
export type TrackGroupDraft = Draft<TrackGroup>;

/** The track_group table. */
export const TRACK_GROUP: Table<TrackGroupDraft> = {
  group: {
    values: {
      item: (d, w) => {
        for (const t of w) pushTo(d, "members", t.text);
      },
    },
  },
};

/** Parse an `interface_up_down_delays` line: IF DOWN_DELAY [UP_DELAY] (seconds, max 255). */
export function parseIfDelay(
  w: readonly { text: string }[],
  c: Parameters<NonNullable<Table<unknown>[string]["h"]>>[2],
): InterfaceDelay | undefined {
  const down = readTimerMs(w[1]?.text, 0, 255, c, `interface_up_down_delays ${w[0]!.text}`);
  if (down === undefined) return undefined;
  const up = w[2] === undefined ? down : readTimerMs(w[2].text, 0, 255, c, `interface_up_down_delays ${w[0]!.text}`);
  return up === undefined ? undefined : { ifname: w[0]!.text, downDelayMs: down, upDelayMs: up };
}
