/**
 * LVS topology, pure (keepalived.conf(5) virtual_server / real_server): a real server is alive
 * when every one of its checkers is up (no checkers = always alive); its weight is the configured
 * weight plus the checkers' weight deltas (misc_dynamic, FILE_CHECK), never below 0. A virtual
 * server has quorum while the summed weight of its live real servers stays at or above
 * `quorum - hysteresis`, and regains it at `quorum + hysteresis`. This file turns checker
 * states into the next per-VS status and the events (RS UP/DOWN, weight, quorum) the runtime
 * reports; table.ts turns a status into IPVS entries.
 */
import type { RealServer, VirtualServer } from "../config/model-check.ts";
import type { CheckerStatus } from "./runner.ts";

/** A real server's computed state. */
export interface RsStatus {
  readonly alive: boolean;
  /** Effective IPVS weight while alive. */
  readonly weight: number;
}

/** A virtual server's computed state. */
export interface VsStatus {
  readonly quorumUp: boolean;
  /** Summed weight of the live real servers. */
  readonly liveWeight: number;
  /** By rsKey(). */
  readonly rs: ReadonlyMap<string, RsStatus>;
}

/** What changed between two statuses. `initial` marks a real server's or VS's first evaluation. */
export type TopoEvent =
  | { type: "rs"; key: string; up: boolean; weight: number; initial: boolean }
  | { type: "rsWeight"; key: string; from: number; to: number }
  | { type: "quorum"; up: boolean; liveWeight: number; initial: boolean };

/** One real server's inputs. */
export interface RsInput {
  readonly key: string;
  readonly weight: number;
  readonly checkers: readonly CheckerStatus[];
}

/** Highest weight IPVS takes (a signed 32-bit value in the kernel). */
const MAX_WEIGHT = 2147483647;

/** Identity of a real server inside its VS: address and effective port. */
export function rsKey(vs: VirtualServer, rs: RealServer): string {
  return `${rs.address}|${rsPort(vs, rs)}`;
}

/** The real server's port: its own, else the VS port, else 0 (fwmark services). */
export function rsPort(vs: VirtualServer, rs: RealServer): number {
  return rs.port ?? vs.port ?? 0;
}

/** An RS is alive when all its checkers are up. */
export function rsAlive(checkers: readonly CheckerStatus[]): boolean {
  return checkers.every((c) => c.up);
}

/** Configured weight plus every checker's delta, clamped to [0, 2^31-1]. */
export function rsWeight(base: number, checkers: readonly CheckerStatus[]): number {
  let w = base;
  for (const c of checkers) w += c.weightDelta;
  return Math.max(0, Math.min(MAX_WEIGHT, w));
}

/** Quorum with hysteresis: lost below quorum - hysteresis, regained at quorum + hysteresis. */
export function nextQuorum(wasUp: boolean, liveWeight: number, quorum: number, hysteresis: number): boolean {
  return wasUp ? liveWeight >= quorum - hysteresis : liveWeight >= quorum + hysteresis;
}

/** Computes a VS's next status from its real servers' checkers and reports what changed. */
export function evaluateVs(
  vs: Pick<VirtualServer, "quorum" | "hysteresis">,
  prev: VsStatus | undefined,
  inputs: readonly RsInput[],
): { next: VsStatus; events: TopoEvent[] } {
  const initial = prev === undefined;
  const events: TopoEvent[] = [];
  const rs = new Map<string, RsStatus>();
  let liveWeight = 0;
  for (const i of inputs) {
    const s: RsStatus = { alive: rsAlive(i.checkers), weight: rsWeight(i.weight, i.checkers) };
    rs.set(i.key, s);
    if (s.alive) liveWeight += s.weight;
    const p = prev?.rs.get(i.key);
    if (!p) events.push({ type: "rs", key: i.key, up: s.alive, weight: s.weight, initial: true });
    else if (p.alive !== s.alive) {
      events.push({ type: "rs", key: i.key, up: s.alive, weight: s.weight, initial: false });
    } else if (s.alive && p.weight !== s.weight) {
      events.push({ type: "rsWeight", key: i.key, from: p.weight, to: s.weight });
    }
  }
  const quorumUp = initial ? liveWeight >= vs.quorum : nextQuorum(prev.quorumUp, liveWeight, vs.quorum, vs.hysteresis);
  if (initial || quorumUp !== prev.quorumUp) {
    events.push({ type: "quorum", up: quorumUp, liveWeight, initial });
  }
  return { next: { quorumUp, liveWeight, rs }, events };
}

/**
 * One real server's checkers reported: what evaluateVs would say for the whole VS, in constant time
 * (a VS with 10,000 real servers gets 10,000 reports per delay_loop). `prev` must already hold this
 * real server; its map is updated in place and shared by `next`.
 */
export function evaluateRsChange(
  vs: Pick<VirtualServer, "quorum" | "hysteresis">,
  prev: VsStatus,
  input: RsInput,
): { next: VsStatus; events: TopoEvent[] } {
  const rs = prev.rs as Map<string, RsStatus>;
  const p = rs.get(input.key);
  if (!p) throw new Error(`evaluateRsChange: ${input.key} has no status yet`);
  const s: RsStatus = { alive: rsAlive(input.checkers), weight: rsWeight(input.weight, input.checkers) };
  rs.set(input.key, s);
  const events: TopoEvent[] = [];
  if (p.alive !== s.alive) events.push({ type: "rs", key: input.key, up: s.alive, weight: s.weight, initial: false });
  else if (s.alive && p.weight !== s.weight) events.push({ type: "rsWeight", key: input.key, from: p.weight, to: s.weight });
  const liveWeight = prev.liveWeight - (p.alive ? p.weight : 0) + (s.alive ? s.weight : 0);
  const quorumUp = nextQuorum(prev.quorumUp, liveWeight, vs.quorum, vs.hysteresis);
  if (quorumUp !== prev.quorumUp) events.push({ type: "quorum", up: quorumUp, liveWeight, initial: false });
  return { next: { quorumUp, liveWeight, rs }, events };
}

/** "[addr]:proto:port" as keepalived prints services (lower-case protocol). */
export function fmtService(address: string, protocol: string, port: number): string {
  return `[${address}]:${protocol.toLowerCase()}:${port}`;
}

/** How a VS is named in logs and in the LVS notify FIFO. */
export function fmtVs(vs: VirtualServer): string {
  if (vs.kind === "fwmark") return `FWM ${vs.fwmark ?? 0}`;
  // keepalived 2.2.7 names a group's service by the group alone: "[NAME]:0".
  if (vs.kind === "group") return `[${vs.group ?? ""}]:0`;
  return fmtService(vs.address ?? "", vs.protocol, vs.port ?? 0);
}

/**
 * How a real server is named in logs and the FIFO. Under a fwmark virtual server, which has no protocol,
 * keepalived 2.2.7 names it `[addr]:none:PORT` (PORT 0 unless the real server gives one).
 */
export function fmtRs(vs: VirtualServer, rs: RealServer): string {
  return fmtService(rs.address, vs.kind === "fwmark" ? "none" : vs.protocol, rsPort(vs, rs));
}

/** The LVS notify FIFO line for a VS quorum change (keepalived.conf(5) lvs_notify_fifo). */
export function fifoVsLine(vs: VirtualServer, up: boolean): string {
  return `VS ${fmtVs(vs)} ${up ? "UP" : "DOWN"}`;
}

/** The LVS notify FIFO line for a real server change. */
export function fifoRsLine(vs: VirtualServer, rs: RealServer, up: boolean): string {
  return `RS ${fmtRs(vs, rs)} ${fmtVs(vs)} ${up ? "UP" : "DOWN"}`;
}
