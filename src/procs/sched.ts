/**
 * A child's scheduling settings from global_defs (keepalived.conf(5): `vrrp_priority`, `vrrp_rt_priority`,
 * `vrrp_rlimit_rttime`, `vrrp_no_swap`, `vrrp_cpu_affinity`, the checker_* and bfd_* forms, and
 * `max_auto_priority` / `min_auto_priority_delay`), applied as keepalived 2.2.7 applies them in each child
 * once its configuration is loaded, at start and at every reload:
 *  - a realtime priority puts the process in SCHED_RR (SCHED_RESET_ON_FORK) and sets RLIMIT_RTTIME to
 *    half the `rlimit_rttime` (soft, SIGXCPU: logged) and all of it (hard, SIGKILL); default 10000 µs;
 *    the nice value is then not used. Unlike keepalived, the hard limit is at least RT_HARD_FLOOR_US:
 *    our own work keeps to the configured limit (src/core/rt-guard.ts sleeps before it, and kernel work
 *    runs outside SCHED_RR), but a collection of the JavaScript heap cannot be cut, and at keepalived's
 *    10 ms one killed the child about every other time 100 instances changed state together;
 *  - otherwise the nice value is set;
 *  - `no_swap` locks the process's memory (mlockall);
 *  - a reload first undoes what the previous configuration set (back to SCHED_OTHER, the original nice
 *    value and rlimit, unlocked) before the new configuration is applied, then sets the new values;
 *    the CPU affinity is set when configured and, as in keepalived, left as it is when the keyword goes;
 *  - with `max_auto_priority`, a timer run more than `min_auto_priority_delay` µs (default 1 s) late
 *    switches the process to SCHED_RR at priority 1, then one more each time, up to the maximum.
 * keepalived's processes have one thread. Ours have several: the policy and nice value go to the
 * threads that run keepalived's work (the JavaScript main thread and, in the check child, the reactor's Worker thread), not to
 * the runtime's JIT and GC helpers, which would otherwise run realtime and meet RLIMIT_RTTIME on a long
 * compilation; the CPU affinity goes to every thread.
 */
import type { GlobalDefs, ProcessSchedule } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { type RtGuard, rtGuard } from "../core/rt-guard.ts";
import * as ffi from "../ffi/sched.ts";

/** keepalived's RT_RLIMIT_DEFAULT, µs. */
export const RT_RLIMIT_DEFAULT_US = 10_000;
/** The least hard RLIMIT_RTTIME we set, µs: a garbage collection must not be a SIGKILL. */
export const RT_HARD_FLOOR_US = 200_000;
/** keepalived's default min_auto_priority_delay, µs. */
export const AUTO_PRIORITY_DELAY_DEFAULT_US = 1_000_000;

/** The kernel calls the tuner makes (src/ffi/sched.ts; a fake in tests). */
export interface SchedOs {
  threads(): ffi.ThreadInfo[];
  getNice(tid: number): number;
  setNice(tid: number, nice: number): void;
  setRealtime(tid: number, priority: number): void;
  setAffinity(tid: number, cpus: readonly number[]): void;
  getRtTimeLimit(): { soft: bigint; hard: bigint };
  setRtTimeLimit(soft: bigint, hard: bigint): void;
  lockMemory(): void;
  unlockMemory(): void;
  /** For the RLIMIT_RTTIME guard (src/core/rt-guard.ts). */
  voluntarySwitches(): number;
  nap(): void;
  /** The guard the tuner turns on while the process runs realtime. */
  readonly rtGuard: RtGuard;
}

/** The real kernel. */
export const REAL_SCHED_OS: SchedOs = { ...ffi, threads: ffi.threadsOf, rtGuard };

/** What the tuner needs from global_defs. */
export interface TuningSettings {
  readonly sched: ProcessSchedule;
  /** max_auto_priority: null or 0 = off, -1 = off (and no start-up warning), 1..99. */
  readonly maxAutoPriority: number | null;
  readonly minAutoPriorityDelayUs: number | null;
}

/** Whether a thread runs keepalived's work (policy and nice value go there). */
export function isWorkThread(t: ffi.ThreadInfo, pid: number): boolean {
  return t.tid === pid || t.comm === "Worker";
}

/** One child's scheduling state, like keepalived's lib/process.c. */
export class ProcessTuner {
  #rt = 0;
  #maxRt = 0;
  #nice: number | undefined;
  #origNice: number | undefined;
  #origRlimit: { soft: bigint; hard: bigint } | undefined;
  #rlimitSet = false;
  #defaultRlimitUs = RT_RLIMIT_DEFAULT_US;
  #locked = false;
  /** min_auto_priority_delay in ms while automatic priority is on, else undefined. */
  lateThresholdMs: number | undefined;

  constructor(readonly os: SchedOs, readonly log: Logger, readonly who: string, readonly pid = process.pid) {}

  /** Current SCHED_RR priority (0: SCHED_OTHER). */
  get realtimePriority(): number {
    return this.#rt;
  }

  /** Applies a configuration's settings (undoing the previous one's first on a reload). */
  apply(t: TuningSettings, reload: boolean): void {
    if (reload) this.#reset();
    const s = t.sched;
    this.#maxRt = t.maxAutoPriority !== null && t.maxAutoPriority > 0 ? t.maxAutoPriority : 0;
    this.lateThresholdMs = this.#maxRt ? (t.minAutoPriorityDelayUs ?? AUTO_PRIORITY_DELAY_DEFAULT_US) / 1000 : undefined;
    this.#defaultRlimitUs = s.rlimitRttimeUs ?? RT_RLIMIT_DEFAULT_US;
    if (s.rtPriority !== null) this.#realtime(s.rtPriority, this.#defaultRlimitUs);
    else if (s.priority !== null) this.#setNice(s.priority);
    if (s.noSwap && !this.#locked) this.#try("lock the process in memory", () => (this.os.lockMemory(), this.#locked = true));
    if (s.cpuAffinity.length) {
      this.#try(`set the CPU affinity to ${s.cpuAffinity.join(" ")}`, () => {
        for (const th of this.os.threads()) this.os.setAffinity(th.tid, s.cpuAffinity);
      });
    }
  }

  /** A timer ran `lateMs` late: one step up in realtime priority, as far as max_auto_priority. */
  onLate(lateMs: number): void {
    if (!this.#maxRt || this.#rt >= this.#maxRt) return;
    this.log.info(`A thread timer expired ${(lateMs / 1000).toFixed(6)} seconds ago`);
    const next = this.#rt ? this.#rt + 1 : 1;
    if (this.#realtime(next, this.#rlimitSet ? 0 : this.#defaultRlimitUs)) this.log.info(`Set realtime priority ${next}`);
  }

  #work(): ffi.ThreadInfo[] {
    return this.os.threads().filter((t) => isWorkThread(t, this.pid));
  }

  /** SCHED_RR at `priority`; then RLIMIT_RTTIME `rlimitUs` (0: leave it). */
  #realtime(priority: number, rlimitUs: number): boolean {
    const ok = this.#try(`set realtime priority ${priority}`, () => {
      for (const th of this.#work()) this.os.setRealtime(th.tid, priority);
    });
    if (!ok) return false;
    this.#rt = priority;
    if (rlimitUs) {
      this.#try(`set RLIMIT_RTTIME to ${rlimitUs} us`, () => {
        this.#origRlimit ??= this.os.getRtTimeLimit();
        this.os.setRtTimeLimit(BigInt(Math.floor(rlimitUs / 2)), BigInt(Math.max(rlimitUs, RT_HARD_FLOOR_US)));
        this.#rlimitSet = true;
      });
    }
    // Long runs of work now sleep briefly before the kernel's limit would kill the process.
    const os = this.os;
    os.rtGuard.on(this.#defaultRlimitUs, {
      now: () => performance.now(),
      voluntarySwitches: () => os.voluntarySwitches(),
      nap: () => os.nap(),
      demote: () => os.setRealtime(this.pid, 0),
      restore: () => os.setRealtime(this.pid, this.#rt),
    });
    return true;
  }

  #setNice(nice: number): void {
    this.#try(`set the nice value to ${nice}`, () => {
      const work = this.#work();
      this.#origNice ??= this.os.getNice(this.pid);
      for (const th of work) this.os.setNice(th.tid, nice);
      this.#nice = nice;
    });
  }

  /**
   * Back to SCHED_OTHER, the original nice value and rlimit, unlocked (keepalived's reset at reload). The
   * child calls it before it applies a reload, so that work does not run under SCHED_RR and RLIMIT_RTTIME;
   * a second call changes nothing.
   */
  reset(): void {
    this.#reset();
  }

  #reset(): void {
    if (this.#rt) {
      this.#try("reset realtime scheduling", () => {
        for (const th of this.#work()) this.os.setRealtime(th.tid, 0);
        this.#rt = 0;
      });
      if (!this.#rt) this.os.rtGuard.off();
    }
    if (this.#rlimitSet && this.#origRlimit) {
      // Raising a hard limit back needs CAP_SYS_RESOURCE; without it the last limit stays (harmless under
      // SCHED_OTHER). keepalived 2.2.7 sets 0/0 here instead, which a later SCHED_RR could not raise again.
      const o = this.#origRlimit;
      this.#try("restore RLIMIT_RTTIME (raising a hard limit needs CAP_SYS_RESOURCE)", () => this.os.setRtTimeLimit(o.soft, o.hard));
      this.#rlimitSet = false;
    }
    if (this.#nice !== undefined && this.#origNice !== undefined && this.#nice !== this.#origNice) this.#setNice(this.#origNice);
    this.#nice = undefined;
    if (this.#locked) this.#try("unlock the process's memory", () => (this.os.unlockMemory(), this.#locked = false));
  }

  #try(what: string, f: () => void): boolean {
    try {
      f();
      return true;
    } catch (e) {
      this.log.warn(`${this.who} process: cannot ${what} - ${(e as Error).message}`);
      return false;
    }
  }
}

/** keepalived's start-up notice when max_auto_priority is not set (-1 silences it). */
export function autoPriorityNotice(g: GlobalDefs, log: Logger): void {
  if (!g.maxAutoPriority) log.info("NOTICE: setting config option max_auto_priority should result in better keepalived performance");
}

/** The name the process had before any *_process_name (keepalived falls back to "keepalived"). */
let originalName: string | undefined;

/**
 * Sets this process's name (`process_name` / `vrrp_process_name` / ...) when it differs from the last one
 * set, as keepalived does at start and at a reload that changes it; null goes back to the original name.
 * Returns the name now in force.
 */
export function applyProcessName(name: string | null, last: string | null, log: Logger): string | null {
  if (name === last) return last;
  try {
    originalName ??= ffi.processName();
    ffi.setThreadName(name ?? originalName);
  } catch (e) {
    log.warn(`cannot set the process name to ${name ?? originalName}: ${(e as Error).message}`);
  }
  return name;
}

/** keepalived's name for each child's process in its log lines ("vrrp process: ..."). */
const LABEL = { vrrp: "vrrp", check: "checker", bfd: "bfd" } as const;

/** A child's tuning from its slice's global_defs; renames the process too. */
export class ChildTuning {
  readonly tuner: ProcessTuner;
  #name: string | null = null;

  constructor(readonly role: keyof typeof LABEL, readonly log: Logger, os: SchedOs = REAL_SCHED_OS) {
    this.tuner = new ProcessTuner(os, log, LABEL[role]);
  }

  /** Before a reload is applied: the previous configuration's scheduling is undone. */
  reset(): void {
    this.tuner.reset();
  }

  /** After a configuration was applied: the process name, then the scheduling. */
  apply(g: GlobalDefs, reload: boolean): void {
    const names = g.processNames;
    this.#name = applyProcessName(this.role === "vrrp" ? names.vrrp : this.role === "check" ? names.checker : names.bfd, this.#name, this.log);
    const sched = this.role === "vrrp" ? g.vrrpSched : this.role === "check" ? g.checkerSched : g.bfdSched;
    this.tuner.apply({ sched, maxAutoPriority: g.maxAutoPriority, minAutoPriorityDelayUs: g.minAutoPriorityDelayUs }, reload);
  }
}
