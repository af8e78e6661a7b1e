/**
 * The `status` reply (docs/control.md): the daemon, its children as the watchdog sees them, and the
 * last snapshot each child pushed (src/core/control-state.ts) with its age, so the answer comes from
 * the parent's memory even while a child restarts.
 */
import type { BfdSnap, CheckSnap, ChildSnap, VrrpSnap } from "../core/control-state.ts";
import type { Role } from "../core/ipc.ts";

/** A child as the watchdog sees it. */
export interface ChildInfo {
  role: Role;
  pid: number | undefined;
  /** Running configuration of the current generation. */
  ready: boolean;
  restarts: number;
  /** When the running process started (wall ms), null when not running. */
  startedAtMs: number | null;
}

/** What the status is built from. */
export interface StatusInput {
  pid: number;
  configFile: string;
  generation: number;
  controlSocket: string | null;
  routerId: string | null;
  children: ChildInfo[];
  snapshots: ReadonlyMap<Role, { snap: ChildSnap; atMs: number }>;
  overrides: { drained: string[]; weights: Record<string, number> };
  persisted: { drained: string[]; weights: Record<string, number> };
  requests: { requests: number; rejected: number };
}

/** The `status` result (the JSON `keepalived ctl status --json` prints). */
export interface StatusResult {
  daemon: { pid: number; configFile: string; generation: number; controlSocket: string | null; routerId: string | null; nowMs: number };
  children: (ChildInfo & { snapshotAtMs: number | null })[];
  vrrp: (VrrpSnap & { atMs: number }) | null;
  check: (CheckSnap & { atMs: number }) | null;
  bfd: (BfdSnap & { atMs: number }) | null;
  overrides: StatusInput["overrides"] & { persisted: StatusInput["persisted"] };
  control: StatusInput["requests"];
}

/** Builds the status result. */
export function buildStatus(i: StatusInput, nowMs = Date.now()): StatusResult {
  const snap = <K extends ChildSnap["kind"]>(role: K) => {
    const s = i.snapshots.get(role);
    return s ? { ...(s.snap as Extract<ChildSnap, { kind: K }>), atMs: s.atMs } : null;
  };
  return {
    daemon: { pid: i.pid, configFile: i.configFile, generation: i.generation, controlSocket: i.controlSocket, routerId: i.routerId, nowMs },
    children: i.children.map((c) => ({ ...c, snapshotAtMs: i.snapshots.get(c.role)?.atMs ?? null })),
    vrrp: snap("vrrp"),
    check: snap("check"),
    bfd: snap("bfd"),
    overrides: { ...i.overrides, persisted: i.persisted },
    control: i.requests,
  };
}
