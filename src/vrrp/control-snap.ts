/**
 * The VRRP child's status for `keepalived ctl status` (src/core/control-state.ts): every instance's
 * state, configured and effective priority with the trackers that move it (keepalived.conf(5)
 * track_* weights, src/vrrp/priority.ts), the last advert heard from another router, the last
 * transition and the failover hold; and every sync group.
 */
import type { SyncGroupSnap, VrrpInstanceSnap, VrrpSnap } from "../core/control-state.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import { type Tracker, trackerEffect } from "./priority.ts";

/** One readable line per tracker that moves the priority, and one per tracker forcing FAULT. */
export function trackerLines(list: readonly Tracker[]): { reasons: string[]; faults: string[] } {
  const reasons: string[] = [];
  const faults: string[] = [];
  for (const t of list) {
    const e = trackerEffect(t);
    if (e.fault) faults.push(e.fault);
    if (e.delta === 0) continue;
    const what = t.kind === "file" ? `file ${t.name} value ${t.value}` : `${t.kind} ${t.name} ${t.up ? "up" : "down"}`;
    reasons.push(`${what}${t.reverse ? " (reverse)" : ""}: ${e.delta > 0 ? "+" : ""}${e.delta}`);
  }
  return { reasons, faults };
}

/** What the snapshot needs of the runtime. */
export interface VrrpSnapSource {
  instances(): VrrpInstanceRunner[];
  groups(): { name: string; state: SyncGroupSnap["state"]; members: string[] }[];
  priorityReasons(r: VrrpInstanceRunner): { reasons: string[]; faults: string[] };
  holds: { until(name: string): number | undefined };
}

/** The child's snapshot now; `schedNow` and `wallNow` convert scheduler times to wall-clock ms. */
export function vrrpSnapshot(src: VrrpSnapSource, schedNow: number, wallNow: number, startedAt: number): VrrpSnap {
  const wall = (t: number) => Math.round(wallNow - (schedNow - t));
  const instances = src.instances().map((r): VrrpInstanceSnap => {
    const why = src.priorityReasons(r);
    const lt = r.lastTransition;
    const hold = src.holds.until(r.cfg.name);
    return {
      name: r.cfg.name,
      state: r.state,
      interface: r.place.ifname,
      vrid: r.cfg.vrid,
      priority: r.cfg.priority,
      effectivePriority: r.fsm.priority,
      priorityReasons: why.reasons,
      faultReasons: why.faults,
      master: r.heard ? { address: r.heard.address, priority: r.heard.priority, atMs: wall(r.heard.at) } : null,
      advertIntMs: r.cfg.advertIntMs,
      sinceMs: lt ? wall(lt.at) : wall(startedAt),
      lastTransition: lt ? { from: lt.from, to: lt.to, reason: lt.reason, atMs: wall(lt.at) } : null,
      syncGroup: r.cfg.syncGroup,
      vips: [...r.vips],
      holdUntilMs: hold === undefined ? null : wall(hold),
    };
  });
  return { kind: "vrrp", instances, groups: src.groups() };
}
