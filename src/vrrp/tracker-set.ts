/**
 * The VRRP child's shared tracked objects: vrrp_script runners, track_file watchers, vrrp_track_process
 * counters (one /proc scan a second for all of them) and BFD session states relayed by the parent.
 * A reload keeps every object whose definition did not change (and so its state).
 */
import type { KeepalivedConfig, ScriptSpec } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import { runScript } from "../core/script.ts";
import type { ResolvedScript } from "./notify.ts";
import { FileTrackerRunner, type FileWatch } from "./track-file.ts";
import { PROC_SCAN_INTERVAL_MS, ProcessTrackerRunner, scanProc, type ProcInfo } from "./track-process.ts";
import { ScriptTracker } from "./track-script.ts";
import type { TrackerStates } from "./trackers.ts";
import { meaningKey } from "../config/meaning.ts";

/** What the set needs. */
export interface TrackerSetDeps {
  log: Logger;
  sched: Scheduler;
  files: FileWatch;
  /** Resolves a script's user (null: not runnable). */
  resolve(s: ScriptSpec | null): ResolvedScript | null;
  /** A tracked object changed state. */
  changed(): void;
  /** /proc scan; tests inject. @default scanProc */
  scan?: () => ProcInfo[];
}

const keyOf = (x: object) => meaningKey(x);

/** Every tracked object the instances refer to by name. */
export class TrackerSet {
  readonly scripts = new Map<string, { tracker: ScriptTracker; json: string }>();
  readonly files = new Map<string, { tracker: FileTrackerRunner; json: string }>();
  readonly processes = new Map<string, { tracker: ProcessTrackerRunner; json: string }>();
  /** BFD session name -> Up. */
  readonly bfd = new Map<string, boolean>();
  #scanTimer: TimerHandle | undefined;

  constructor(readonly d: TrackerSetDeps) {}

  /** Starts, keeps or stops objects to match `c`. */
  apply(c: KeepalivedConfig): void {
    this.#applyScripts(c);
    this.#sync(this.files, c.vrrp.trackFiles, (def) => {
      const t = new FileTrackerRunner(def, this.d.log, this.d.files, () => this.d.changed());
      t.start();
      return t;
    });
    const fresh: ProcessTrackerRunner[] = [];
    this.#sync(this.processes, c.vrrp.trackProcesses, (def) => {
      const t = new ProcessTrackerRunner(def, this.d.sched, this.d.log, () => this.d.changed());
      fresh.push(t);
      return t;
    });
    if (fresh.length) {
      const procs = (this.d.scan ?? scanProc)();
      for (const t of fresh) t.update(procs, true);
    }
    this.#armScan();
  }

  #sync<D extends { name: string }, T extends { stop(): void }>(
    map: Map<string, { tracker: T; json: string }>,
    defs: readonly D[],
    make: (d: D) => T,
  ): void {
    const wanted = new Map(defs.map((d) => [d.name, d]));
    for (const [name, e] of [...map]) {
      const w = wanted.get(name);
      if (w && keyOf(w) === e.json) continue;
      e.tracker.stop();
      map.delete(name);
    }
    for (const d of defs) if (!map.has(d.name)) map.set(d.name, { tracker: make(d), json: keyOf(d) });
  }

  #applyScripts(c: KeepalivedConfig): void {
    const usable = c.vrrp.scripts.filter((s) => this.scripts.has(s.name) || this.d.resolve(s.script) !== null);
    this.#sync(this.scripts, usable, (s) => {
      const spec = this.d.resolve(s.script)!;
      const tracker = new ScriptTracker(
        {
          name: s.name, argv: spec.argv, uid: spec.uid, gid: spec.gid, intervalMs: s.intervalMs,
          timeoutMs: s.timeoutMs ?? s.intervalMs, rise: s.rise, fall: s.fall, initFail: s.initFail,
        },
        this.d.sched,
        (argv, uid, gid, timeoutMs) => runScript({ argv: [...argv], uid, gid }, { timeoutMs }),
        (up) => {
          this.d.log.info(`VRRP_Script(${s.name}) ${up ? "succeeded" : "failed"}`);
          this.d.changed();
        },
      );
      tracker.start();
      return tracker;
    });
  }

  #armScan(): void {
    if (this.processes.size === 0 || this.#scanTimer) return;
    this.#scanTimer = this.d.sched.after(PROC_SCAN_INTERVAL_MS, () => {
      this.#scanTimer = undefined;
      const procs = (this.d.scan ?? scanProc)();
      for (const p of this.processes.values()) p.tracker.update(procs);
      this.#armScan();
    });
  }

  /** A BFD session changed state (from the parent). Returns true if that changed anything. */
  setBfd(name: string, up: boolean): boolean {
    if (this.bfd.get(name) === up) return false;
    this.bfd.set(name, up);
    return true;
  }

  /** The lookup instanceTrackers uses. */
  states(link: (name: string) => boolean | undefined): TrackerStates {
    return {
      link,
      script: (n) => this.scripts.get(n)?.tracker.up ?? false,
      file: (n) => this.files.get(n)?.tracker.value ?? 0,
      process: (n) => this.processes.get(n)?.tracker.up ?? false,
      bfd: (n) => this.bfd.get(n) ?? false,
    };
  }

  /** Stops every object. */
  stop(): void {
    for (const m of [this.scripts, this.files, this.processes]) for (const e of m.values()) e.tracker.stop();
    this.d.sched.cancel(this.#scanTimer);
    this.#scanTimer = undefined;
  }
}
