/**
 * Events of `keepalived ctl watch` (docs/control.md): transitions as the children report them
 * (vrrpState, rsState, vsState, bfdState in src/core/ipc.ts), control commands, and check results
 * and priority changes found by comparing a child's successive snapshots (a checker whose result
 * changed: up/down or another reason, e.g. a different failing step).
 */
import type { ChildSnap } from "../core/control-state.ts";

/** One event line (the server adds `atMs`). */
export type WatchEvent =
  | { event: "vrrp"; instance: string; state: string; effectivePriority: number }
  | { event: "priority"; instance: string; from: number; to: number; reasons: string[] }
  | { event: "realServer"; vs: string; rs: string; state: string; weight: number }
  | { event: "virtualServer"; vs: string; state: string }
  | { event: "check"; vs: string; rs: string; checker: string; up: boolean; reason: string; latencyMs: number | null }
  | { event: "bfd"; session: string; state: string }
  | { event: "command"; command: string; ok: boolean; message: string };

/** What changed between two snapshots of one child, as events. */
export function snapshotEvents(prev: ChildSnap | undefined, next: ChildSnap): WatchEvent[] {
  if (!prev || prev.kind !== next.kind) return [];
  const out: WatchEvent[] = [];
  if (prev.kind === "vrrp" && next.kind === "vrrp") {
    const before = new Map(prev.instances.map((i) => [i.name, i]));
    for (const i of next.instances) {
      const b = before.get(i.name);
      if (b && b.effectivePriority !== i.effectivePriority) {
        out.push({ event: "priority", instance: i.name, from: b.effectivePriority, to: i.effectivePriority, reasons: i.priorityReasons });
      }
    }
  }
  if (prev.kind === "check" && next.kind === "check") {
    const before = new Map<string, { up: boolean; reason: string }>();
    for (const vs of prev.virtualServers) for (const rs of vs.realServers) for (const c of rs.checkers) before.set(`${vs.name}|${rs.name}|${c.name}`, c);
    for (const vs of next.virtualServers) {
      for (const rs of vs.realServers) {
        for (const c of rs.checkers) {
          const b = before.get(`${vs.name}|${rs.name}|${c.name}`);
          if (b && (b.up !== c.up || b.reason !== c.reason)) {
            out.push({ event: "check", vs: vs.name, rs: rs.name, checker: c.name, up: c.up, reason: c.reason, latencyMs: c.latencyMs });
          }
        }
      }
    }
  }
  return out;
}
