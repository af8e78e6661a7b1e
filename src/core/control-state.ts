/**
 * What each child tells the parent for `keepalived ctl status` (docs/control.md): a whole snapshot of its
 * instances, servers or sessions, pushed in a `ctlSnapshot` message (src/core/ipc.ts) soon after a change
 * and every few seconds while a control socket is open. The parent keeps the last one per child, so
 * `status` answers from memory, also while a child restarts (the snapshot's age is shown).
 * Times are wall-clock milliseconds (Unix epoch) so the parent can show "for 12 s" without asking.
 * Validated on arrival (snapshotProblem), state names included.
 */
import { BFD_STATE_NAMES, type BfdStateName, VRRP_STATE_NAMES, type VrrpStateName } from "./states.ts";

/** One VRRP instance. */
export interface VrrpInstanceSnap {
  name: string;
  state: VrrpStateName;
  interface: string;
  vrid: number;
  /** Configured priority. */
  priority: number;
  /** Priority in use (after trackers, or lowered by a failover hold). */
  effectivePriority: number;
  /** Why the two differ: one line per tracker that moves it, e.g. "script chk_nginx failing: -20". */
  priorityReasons: string[];
  /** Trackers forcing FAULT, e.g. "interface eth1 down". */
  faultReasons: string[];
  /** The last advert heard from another router (address, priority, when), null if none since start. */
  master: { address: string; priority: number; atMs: number } | null;
  advertIntMs: number;
  /** When the current state was entered. */
  sinceMs: number;
  /** The last transition, null before the first one. */
  lastTransition: { from: VrrpStateName; to: VrrpStateName; reason: string; atMs: number } | null;
  syncGroup: string | null;
  vips: string[];
  /** An operator failover hold: BACKUP until this time. */
  holdUntilMs: number | null;
}

/** One vrrp_sync_group. */
export interface SyncGroupSnap {
  name: string;
  state: VrrpStateName;
  members: string[];
}

/** The VRRP child's snapshot. */
export interface VrrpSnap {
  kind: "vrrp";
  instances: VrrpInstanceSnap[];
  groups: SyncGroupSnap[];
}

/** One checker of a real server. */
export interface CheckerSnap {
  name: string;
  up: boolean;
  /** The last result's reason, naming the failing step ("connect: ECONNREFUSED", "HTTP status 500"). */
  reason: string;
  /** Duration of the last attempt, ms (null before the first). */
  latencyMs: number | null;
}

/** One real server. */
export interface RealServerSnap {
  name: string;
  up: boolean;
  /** Weight applied now (0 while down). */
  weight: number;
  configuredWeight: number;
  /** Operator override from `keepalived ctl weight`, or null. */
  weightOverride: number | null;
  /** Removed from IPVS by `keepalived ctl drain`. */
  drained: boolean;
  /** In the IPVS table the check child programs (desired table). */
  inIpvs: boolean;
  checkers: CheckerSnap[];
}

/** One virtual server. */
export interface VirtualServerSnap {
  name: string;
  quorumUp: boolean;
  liveWeight: number;
  realServers: RealServerSnap[];
}

/** The check child's snapshot. */
export interface CheckSnap {
  kind: "check";
  /** IPVS is programmed (false: the kernel has no IPVS; the table is computed only). */
  ipvs: boolean;
  virtualServers: VirtualServerSnap[];
}

/** One BFD session. */
export interface BfdSessionSnap {
  name: string;
  state: BfdStateName;
  neighbor: string;
  /** Negotiated transmit interval and detection time, ms. */
  txMs: number;
  detectMs: number;
  /** Last local diagnostic (RFC 5880 §4.1), readable. */
  diag: string;
  remoteState: BfdStateName;
}

/** The BFD child's snapshot. */
export interface BfdSnap {
  kind: "bfd";
  sessions: BfdSessionSnap[];
}

/** Any child's snapshot. */
export type ChildSnap = VrrpSnap | CheckSnap | BfdSnap;

type Kind = "string" | "number" | "boolean" | "array" | "object" | "string|null" | "number|null" | "object|null";
/** A field's JSON kind, or the names an enum-valued field may hold. */
type FieldKind = Kind | readonly string[];
const SHAPE: Record<string, Record<string, FieldKind>> = {
  vrrpInstance: {
    name: "string",
    state: VRRP_STATE_NAMES,
    interface: "string",
    vrid: "number",
    priority: "number",
    effectivePriority: "number",
    priorityReasons: "array",
    faultReasons: "array",
    master: "object|null",
    advertIntMs: "number",
    sinceMs: "number",
    lastTransition: "object|null",
    syncGroup: "string|null",
    vips: "array",
    holdUntilMs: "number|null",
  },
  group: { name: "string", state: VRRP_STATE_NAMES, members: "array" },
  vs: { name: "string", quorumUp: "boolean", liveWeight: "number", realServers: "array" },
  rs: {
    name: "string",
    up: "boolean",
    weight: "number",
    configuredWeight: "number",
    weightOverride: "number|null",
    drained: "boolean",
    inIpvs: "boolean",
    checkers: "array",
  },
  checker: { name: "string", up: "boolean", reason: "string", latencyMs: "number|null" },
  bfd: {
    name: "string",
    state: BFD_STATE_NAMES,
    neighbor: "string",
    txMs: "number",
    detectMs: "number",
    diag: "string",
    remoteState: BFD_STATE_NAMES,
  },
};

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function shapeProblem(v: unknown, shape: string, at: string): string | undefined {
  if (kindOf(v) !== "object") return `${at} is not an object`;
  const o = v as Record<string, unknown>;
  for (const [f, k] of Object.entries(SHAPE[shape]!)) {
    if (typeof k !== "string") {
      if (!k.includes(o[f] as string)) return `${at}.${f} = ${JSON.stringify(o[f])}, not one of ${k.join("|")}`;
      continue;
    }
    const got = kindOf(o[f]);
    if (!k.split("|").includes(got)) return `${at}.${f} is ${got}, not ${k}`;
  }
  return undefined;
}

function listProblem(v: unknown, shape: string, at: string, inner?: (x: Record<string, unknown>, at: string) => string | undefined): string | undefined {
  if (!Array.isArray(v)) return `${at} is not an array`;
  for (const [i, x] of v.entries()) {
    const p = shapeProblem(x, shape, `${at}[${i}]`) ?? inner?.(x as Record<string, unknown>, `${at}[${i}]`);
    if (p) return p;
  }
  return undefined;
}

/** An instance's lastTransition: null, or both ends VRRP state names. */
function transitionProblem(inst: Record<string, unknown>, at: string): string | undefined {
  const t = inst.lastTransition as Record<string, unknown> | null;
  if (t === null) return undefined;
  for (const end of ["from", "to"] as const) {
    if (!(VRRP_STATE_NAMES as readonly unknown[]).includes(t[end])) return `${at}.lastTransition.${end} = ${JSON.stringify(t[end])}`;
  }
  return undefined;
}

/** Why `s` is not a valid snapshot for `role`, or undefined. */
export function snapshotProblem(role: string, s: unknown): string | undefined {
  if (kindOf(s) !== "object") return "snapshot is not an object";
  const o = s as Record<string, unknown>;
  if (o.kind !== role) return `snapshot.kind = ${String(o.kind)} from the ${role} child`;
  if (role === "vrrp") return listProblem(o.instances, "vrrpInstance", "instances", transitionProblem) ?? listProblem(o.groups, "group", "groups");
  if (role === "check") {
    if (typeof o.ipvs !== "boolean") return "ipvs is not a boolean";
    return listProblem(
      o.virtualServers,
      "vs",
      "virtualServers",
      (vs, at) => listProblem(vs.realServers, "rs", `${at}.realServers`, (rs, at2) => listProblem(rs.checkers, "checker", `${at2}.checkers`)),
    );
  }
  if (role === "bfd") return listProblem(o.sessions, "bfd", "sessions");
  return `no snapshot kind for role ${role}`;
}
