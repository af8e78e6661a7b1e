/**
 * Effective priority and FAULT from tracked objects, per keepalived.conf(5) (2.2.7):
 * track_interface, track_script (+ vrrp_script weight), track_file, track_process (vrrp_track_process),
 * track_bfd. Rules:
 * - weight 0: the tracker failing puts the instance in FAULT (with `reverse`, being OK does);
 * - weight > 0: added while OK; weight < 0: added (so subtracted) while failed; `reverse` negates the
 *   adjustment ("the priority is decreased when up and increased when down");
 * - track_file: value * weight is added; weight 0 means a non-zero value is a failure; a result below
 *   -253 is FAULT;
 * - the sum is added to the configured priority and clamped to 1..254; an owner (255) is never adjusted
 *   (its weight-0 trackers can still cause FAULT).
 * The reverse rules were checked against keepalived 2.2.7 (script weight 10 reverse OK -> 90,
 * script weight -10 reverse failing -> 110, file value 5 weight 2 reverse -> 90, from priority 100).
 * Pure functions: tracker states (script rise/fall, process quorum, link state...) are computed elsewhere.
 */

/** Kinds of tracked objects. */
export type TrackerKind = "interface" | "script" | "file" | "process" | "bfd";

/** A tracker with an up/down (OK/failed) state. */
export interface StatusTracker {
  kind: "interface" | "script" | "process" | "bfd";
  name: string;
  /** Weight (interface/script/bfd -253..253, process -254..254); 0 = failure means FAULT. */
  weight: number;
  reverse: boolean;
  /** Interface up / script OK (after rise/fall) / process quorum met / BFD session Up. */
  up: boolean;
}

/** A track_file: its numeric value is multiplied by the weight. */
export interface FileTracker {
  kind: "file";
  name: string;
  /** Weight -254..254 (default 1); 0 = non-zero value means FAULT. */
  weight: number;
  reverse: boolean;
  /** Integer read from the file (see parseTrackFileValue). */
  value: number;
}

/** Any tracked object. */
export type Tracker = StatusTracker | FileTracker;

/** Default weight when a tracker's statement gives none (before a track_* override). */
export const DEFAULT_WEIGHT: Readonly<Record<TrackerKind, number>> = {
  interface: 0,
  script: 0,
  file: 1,
  process: 1,
  bfd: 0,
};
/** Allowed weight range per kind, inclusive. */
export const WEIGHT_RANGE: Readonly<Record<TrackerKind, readonly [number, number]>> = {
  interface: [-253, 253],
  script: [-253, 253],
  bfd: [-253, 253],
  file: [-254, 254],
  process: [-254, 254],
};
/** Lowest effective priority of a non-owner. */
export const MIN_PRIORITY = 1;
/** Highest effective priority of a non-owner. */
export const MAX_PRIORITY = 254;
/** Owner priority: never adjusted. */
export const OWNER_PRIORITY = 255;
/** A track_file result below this is FAULT. */
export const FILE_FAULT_BELOW = -253;

/** What one tracker contributes: a priority delta, or a reason it forces FAULT. */
export interface TrackerEffect {
  delta: number;
  fault?: string;
}

/** The effect of one tracker in its current state. */
export function trackerEffect(t: Tracker): TrackerEffect {
  if (t.kind === "file") return fileEffect(t);
  if (t.weight === 0) {
    const failing = t.reverse ? t.up : !t.up;
    return failing ? { delta: 0, fault: `${t.kind} ${t.name} ${t.up ? "up (reverse)" : "down"}` } : { delta: 0 };
  }
  const applies = t.weight > 0 ? t.up : !t.up;
  if (!applies) return { delta: 0 };
  return { delta: t.reverse ? -t.weight : t.weight };
}

function fileEffect(t: FileTracker): TrackerEffect {
  if (t.weight === 0) {
    const failing = t.reverse ? t.value === 0 : t.value !== 0;
    return failing ? { delta: 0, fault: `file ${t.name} value ${t.value}` } : { delta: 0 };
  }
  const delta = t.value * t.weight * (t.reverse ? -1 : 1);
  if (delta < FILE_FAULT_BELOW) {
    return {
      delta: 0,
      fault: `file ${t.name} value ${t.value} * weight ${t.weight} = ${delta} < ${FILE_FAULT_BELOW}`,
    };
  }
  return { delta };
}

/** Effective priority and FAULT state for an instance. */
export interface PriorityResult {
  /** Effective priority: base when owner, else clamp(base + sum of deltas, 1, 254). */
  priority: number;
  /** At least one tracker forces FAULT. */
  fault: boolean;
  /** One line per tracker forcing FAULT, e.g. "interface eth1 down". */
  faultReasons: string[];
  /** Sum of all deltas before clamping (for notify/logging). */
  totalDelta: number;
}

/** Clamps a non-owner priority to 1..254. */
export function clampPriority(p: number): number {
  return Math.min(MAX_PRIORITY, Math.max(MIN_PRIORITY, p));
}

/** Combines the configured priority with every tracker's effect. */
export function effectivePriority(basePriority: number, trackers: readonly Tracker[]): PriorityResult {
  let totalDelta = 0;
  const faultReasons: string[] = [];
  for (const t of trackers) {
    const e = trackerEffect(t);
    totalDelta += e.delta;
    if (e.fault) faultReasons.push(e.fault);
  }
  const priority = basePriority === OWNER_PRIORITY ? OWNER_PRIORITY : clampPriority(basePriority + totalDelta);
  return { priority, fault: faultReasons.length > 0, faultReasons, totalDelta };
}

/** Parses a track_file's content: a leading decimal integer, else 0 (our choice; not checked against keepalived). */
export function parseTrackFileValue(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}
