/**
 * The run-time state the checker child's dump shows (keepalived_check.data, and `-d`, which keepalived's
 * checker logs once its first IPVS programming is done): per virtual server its quorum and
 * destinations, per real server alive / weight / in IPVS, per checker up / has run / weight. The check
 * child hands its live state (src/check/runtime.ts); `-d` from the parent, before any checker ran, uses
 * initialLive(): each checker as it starts (up unless alpha, FILE_CHECK from its file's value now).
 */
import { readFileSync } from "node:fs";
import type { RealServer, VirtualServer } from "../config/model.ts";
import type { CheckSlice } from "../config/slice.ts";
import { fileCheckVerdict, parseTrackFileValue } from "../check/checkers/file.ts";
import { vsDests } from "../check/table.ts";
import { evaluateVs, rsKey } from "../check/topology.ts";

/** One checker. */
export interface CheckerLive {
  readonly up: boolean;
  /** False while ha_suspend holds it (its VS's address is not here). @default true */
  readonly enabled?: boolean;
  readonly hasRun: boolean;
  /** Weight it adds to its real server (misc_dynamic, FILE_CHECK). */
  readonly weight: number;
  /** Failed attempts since the last success or state change. */
  readonly retries?: number;
  /** MISC_CHECK: wall time of the last run (ms), exit status of the last run. */
  readonly lastRanMs?: number | null;
  readonly lastStatus?: number | null;
}

/** One real server. */
export interface RsLive {
  readonly alive: boolean;
  /** Configured weight plus the checkers' weights. */
  readonly weight: number;
  /** A destination in IPVS now (alive, or inhibited at weight 0). */
  readonly set: boolean;
  /** In the order of the real server's checkers. */
  readonly checkers: readonly CheckerLive[];
}

/** One virtual server. */
export interface VsLive {
  readonly quorumUp: boolean;
  /** Destinations in IPVS (sorry server included). */
  readonly dests: number;
  /** By rsKey(). */
  readonly rs: ReadonlyMap<string, RsLive>;
}

/** What the dump reads of the running checker child. */
export interface CheckLive {
  vs(v: VirtualServer): VsLive | undefined;
  /** A track file's value as last read. */
  trackFileValue(name: string): number | undefined;
}

/** A track file's value now (missing or unreadable: 0, as keepalived). */
export function readTrackFile(path: string | null): number {
  if (!path) return 0;
  try {
    const r = parseTrackFileValue(readFileSync(path, "utf8"));
    return r.ok ? r.value : 0;
  } catch {
    return 0;
  }
}

function initialChecker(c: CheckSlice, ck: RealServer["checkers"][number]): CheckerLive {
  if (ck.type !== "FILE_CHECK") return { up: !ck.alpha, hasRun: false, weight: 0 };
  const tf = c.vrrp.trackFiles.find((t) => t.name === ck.trackFile);
  const r = fileCheckVerdict(readTrackFile(tf?.path ?? null), ck.weight ?? tf?.weight ?? 1, ck.weight !== null ? ck.weightReverse : tf?.weightReverse ?? false);
  return { up: r.ok, hasRun: true, weight: r.ok ? r.weight ?? 0 : 0 };
}

/** The state as the checker child starts: every checker as its runner begins. */
export function initialLive(c: CheckSlice): CheckLive {
  const byVs = new Map<VirtualServer, VsLive>();
  for (const v of c.check.virtualServers) {
    const checkers = new Map(v.realServers.map((rs) => [rsKey(v, rs), rs.checkers.map((ck) => initialChecker(c, ck))]));
    const inputs = v.realServers.map((rs) => ({
      key: rsKey(v, rs),
      weight: rs.weight,
      checkers: (checkers.get(rsKey(v, rs)) ?? []).map((k) => ({ up: k.up, weightDelta: k.weight, hasRun: k.hasRun, lastReason: "" })),
    }));
    const st = evaluateVs(v, undefined, inputs).next;
    const dests = vsDests(v, st);
    const rs = new Map<string, RsLive>();
    for (const r of v.realServers) {
      const key = rsKey(v, r);
      const s = st.rs.get(key);
      const set = dests.some((d) => d.addr === r.address && d.port === (r.port ?? v.port ?? 0));
      rs.set(key, { alive: s?.alive ?? false, weight: s?.weight ?? r.weight, set, checkers: checkers.get(key) ?? [] });
    }
    byVs.set(v, { quorumUp: st.quorumUp, dests: dests.length, rs });
  }
  return {
    vs: (v) => byVs.get(v),
    trackFileValue: (name) => readTrackFile(c.vrrp.trackFiles.find((t) => t.name === name)?.path ?? null),
  };
}
