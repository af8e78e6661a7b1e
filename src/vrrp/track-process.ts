/**
 * vrrp_track_process (keepalived.conf(5)): counts running processes matching `process` (the command
 * name from /proc/PID/stat's comm, or argv[0] with `full_command`) and, with `param ...`, their
 * arguments (param_match exact: the same arguments; initial: ours are a prefix of theirs; partial:
 * ours appear in order as a contiguous run). The tracker is up while quorum <= count <= quorum_max.
 * A count falling below quorum takes effect after terminate_delay, rising after fork_delay.
 * Processes come from the netlink process connector as in keepalived (src/vrrp/proc-events.ts, driven by
 * tracker-set.ts), or from a /proc scan once a second where the connector cannot be opened.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { TrackProcessDef } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";

/** One process as the scan sees it. */
export interface ProcInfo {
  pid: number;
  /** Command name (comm, at most 15 characters). */
  comm: string;
  /** argv from /proc/PID/cmdline. */
  argv: string[];
}

/** How often /proc is scanned, ms. */
export const PROC_SCAN_INTERVAL_MS = 1000;

/** Reads every process from /proc (processes that exit mid-scan are skipped). */
export function scanProc(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (argv.at(-1) === "") argv.pop();
      out.push({ pid: Number(d), comm, argv });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Whether a process matches a vrrp_track_process definition. */
export function processMatches(def: TrackProcessDef, p: ProcInfo): boolean {
  if (!def.process) return false;
  const name = def.fullCommand ? (p.argv[0] ?? "") : p.comm;
  if (name !== (def.fullCommand ? def.process : def.process.slice(0, 15))) return false;
  if (def.params.length === 0) return true;
  const args = p.argv.slice(1);
  const want = def.params;
  if (def.paramMatch === "exact") return args.length === want.length && args.every((a, i) => a === want[i]);
  if (def.paramMatch === "initial") return want.every((w, i) => args[i] === w);
  for (let s = 0; s + want.length <= args.length; s++) if (want.every((w, i) => args[s + i] === w)) return true;
  return false;
}

/** One vrrp_track_process. */
export class ProcessTrackerRunner {
  /** Quorum met (after the delays). */
  up = false;
  count = 0;
  #pending: TimerHandle | undefined;

  constructor(readonly def: TrackProcessDef, readonly sched: Scheduler, readonly log: Logger, readonly onChange: () => void) {}

  /** Feeds one scan's process list. */
  update(procs: readonly ProcInfo[], first = false): void {
    this.set(procs.filter((p) => processMatches(this.def, p)).length, first);
  }

  /** Feeds the number of matching processes (`first`: at start, no delay applies). */
  set(count: number, first = false): void {
    this.count = count;
    const ok = this.count >= this.def.quorum && (this.def.quorumMax === null || this.count <= this.def.quorumMax);
    if (ok === this.up) {
      this.sched.cancel(this.#pending);
      this.#pending = undefined;
      return;
    }
    if (first) {
      this.up = ok;
      return;
    }
    if (this.#pending) return;
    const delay = ok ? this.def.forkDelayMs : this.def.terminateDelayMs;
    this.#pending = this.sched.after(delay, () => {
      this.#pending = undefined;
      this.up = ok;
      this.log.info(`Track process ${this.def.name} ${ok ? "now has quorum" : "lost quorum"} (${this.count} running)`);
      this.onChange();
    });
  }

  /** Cancels a pending delayed change. */
  stop(): void {
    this.sched.cancel(this.#pending);
  }
}
