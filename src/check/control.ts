/**
 * The check child's half of `keepalived ctl` (docs/control.md): operator overrides of real servers
 * (`drain`: left out of the IPVS table, its checkers keep running; `weight N`: this weight instead of
 * the configured one, checker deltas still apply) and the status snapshot of every virtual and real
 * server (src/core/control-state.ts). Overrides arrive as one complete set from the parent, which
 * keeps them across restarts of this child and drops them on reload (unless persisted).
 */
import { rsName, vsName } from "../alert/names.ts";
import type { VirtualServerGroup } from "../config/model-check.ts";
import type { ChildCommand } from "../core/control-proto.ts";
import type { CheckSnap, RealServerSnap } from "../core/control-state.ts";
import { autoFwmarkOf, type AutoFwmarks } from "./table.ts";
import { rsPort } from "./topology.ts";
import type { VsRunner } from "./vs-runner.ts";

/**
 * Splits the parent's `VS|RS` keys per virtual server and hands each VS its share; says what applies and
 * whether any VS's overrides changed.
 */
export function applyOverrides(
  runners: readonly VsRunner[],
  cmd: Extract<ChildCommand, { op: "overrides" }>,
): { ok: boolean; message: string; changed: boolean } {
  const per = new Map<string, { drained: Set<string>; weights: Map<string, number> }>();
  const slot = (vs: string) => {
    let s = per.get(vs);
    if (!s) per.set(vs, s = { drained: new Set(), weights: new Map() });
    return s;
  };
  const split = (key: string): [string, string] => {
    const i = key.lastIndexOf("|");
    return [key.slice(0, i), key.slice(i + 1)];
  };
  for (const k of cmd.drained) {
    const [vs, rs] = split(k);
    slot(vs).drained.add(rs);
  }
  for (const [k, w] of Object.entries(cmd.weights)) {
    const [vs, rs] = split(k);
    slot(vs).weights.set(rs, w);
  }
  let changed = false;
  for (const v of runners) if (v.setOverrides(per.get(vsName(v.cfg)) ?? { drained: new Set(), weights: new Map() })) changed = true;
  return { ok: true, message: `${cmd.drained.length} drained, ${Object.keys(cmd.weights).length} weight override(s)`, changed };
}

/** The check child's snapshot: every VS with its real servers, checkers and place in the table. */
export function checkSnapshot(runners: readonly VsRunner[], groups: readonly VirtualServerGroup[], ipvs: boolean, auto?: AutoFwmarks): CheckSnap {
  const virtualServers = runners.map((v) => {
    const inTable = new Set<string>();
    const marked = autoFwmarkOf(v.cfg, auto) !== undefined;
    for (const s of v.table(groups, auto)) for (const d of s.dests) inTable.add(`${d.addr.toLowerCase()}|${marked ? "" : d.port}`);
    const realServers = v.controlView().map((x): RealServerSnap => ({
      name: rsName(v.cfg, x.rs),
      up: x.alive,
      weight: x.weight,
      configuredWeight: x.rs.weight,
      weightOverride: x.override,
      drained: x.drained,
      inIpvs: inTable.has(`${x.rs.address.toLowerCase()}|${marked ? "" : rsPort(v.cfg, x.rs)}`),
      checkers: x.checkers.map((c, i) => ({ name: x.names[i] ?? `checker ${i}`, up: c.up, reason: c.lastReason, latencyMs: c.lastLatencyMs })),
    }));
    return { name: vsName(v.cfg), quorumUp: v.status?.quorumUp ?? false, liveWeight: v.status?.liveWeight ?? 0, realServers };
  });
  return { kind: "check", ipvs, virtualServers };
}
