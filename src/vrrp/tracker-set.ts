/**
 * The VRRP child's shared tracked objects: vrrp_script runners, track_file watchers, vrrp_track_process
 * counters (from the process connector's events, or one /proc scan a second for all of them where it
 * cannot be opened) and BFD session states relayed by the parent.
 * A reload keeps every object whose definition did not change (and so its state).
 */
import { netlinkRcvBuf, type RcvBufSetting } from "../config/rx-bufs.ts";
import type { ScriptSpec } from "../config/model.ts";
import type { VrrpSlice } from "../config/slice.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import { runScript } from "../core/script.ts";
import type { RunAs } from "../core/script.ts";
import { FileTrackerRunner, type FileWatch } from "./track-file.ts";
import { PROC_SCAN_INTERVAL_MS, processMatches, ProcessTrackerRunner, type ProcInfo, scanProc } from "./track-process.ts";
import { ProcConnector, ProcTable } from "./proc-events.ts";
import type { ProcEvent } from "../proto/proc-connector.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { ScriptTracker } from "./track-script.ts";
import type { TrackerStates } from "./trackers.ts";
import { meaningKey } from "../config/meaning.ts";

/** What the set needs. */
export interface TrackerSetDeps {
  log: Logger;
  sched: Scheduler;
  files: FileWatch;
  /** Resolves a script's user (null: not runnable). */
  resolve(s: ScriptSpec | null): RunAs | null;
  /** A tracked object changed state. */
  changed(): void;
  /** /proc scan; tests inject. @default scanProc */
  scan?: () => ProcInfo[];
  /**
   * Opens the process event source (throws when unavailable). @default the netlink process connector on
   * `watcher`, unless `scan` was injected (tests of the scan).
   */
  procEvents?: (onEvents: (e: ProcEvent[]) => void, overflow: () => void, rcvBuf: RcvBufSetting) => {
    close(): void;
    setRcvBuf?(b: RcvBufSetting): void;
  };
  /** The reactor, for the default process connector (read through an RxPump on `sched`). */
  watcher?: FdWatcher;
}

const keyOf = (x: object) => meaningKey(x);

/** The process connector's receive buffer unless process_monitor_rcv_bufs says otherwise: 1 MiB. */
const PROC_MONITOR_RCVBUF: RcvBufSetting = { bytes: 1 << 20, force: false };

/** Every tracked object the instances refer to by name. */
/** track_file values, track_process counts and BFD states, by tracker name (the USR1 data dump). */
export interface TrackerValues {
  files: Map<string, number>;
  processes: Map<string, { count: number; up: boolean }>;
  bfds: Map<string, boolean>;
}

export class TrackerSet {
  readonly scripts = new Map<string, { tracker: ScriptTracker; json: string }>();
  readonly files = new Map<string, { tracker: FileTrackerRunner; json: string }>();
  readonly processes = new Map<string, { tracker: ProcessTrackerRunner; json: string }>();
  /** BFD session name -> Up. */
  readonly bfd = new Map<string, boolean>();
  #scanTimer: TimerHandle | undefined;
  /** The connector and the table it keeps, while process trackers exist and it could be opened. */
  #events: { source: { close(): void; setRcvBuf?(b: RcvBufSetting): void }; table: ProcTable } | undefined;
  /** process_monitor_rcv_bufs[_force], or our default. */
  #procBuf: RcvBufSetting = PROC_MONITOR_RCVBUF;
  #eventsFailed = false;

  constructor(readonly d: TrackerSetDeps) {}

  /** Starts, keeps or stops objects to match `c`. */
  apply(c: VrrpSlice): void {
    this.#applyScripts(c);
    const buf = netlinkRcvBuf(c.global.processMonitorRcvBufs, PROC_MONITOR_RCVBUF, false) ?? PROC_MONITOR_RCVBUF;
    if (buf.bytes !== this.#procBuf.bytes || buf.force !== this.#procBuf.force) this.#events?.source.setRcvBuf?.(buf);
    this.#procBuf = buf;
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
    this.#openEvents();
    if (fresh.length) {
      const procs = this.#events ? [...this.#events.table.procs.values()] : (this.d.scan ?? scanProc)();
      for (const t of fresh) t.update(procs, true);
    }
    if (!this.#events) this.#armScan();
  }

  /** Opens the process connector when process trackers appear; closes it when the last one goes. */
  #openEvents(): void {
    if (this.processes.size === 0) {
      this.#events?.source.close();
      this.#events = undefined;
      return;
    }
    const open = this.d.procEvents ?? (this.d.scan || !this.d.watcher ? undefined : this.#connector());
    if (this.#events || this.#eventsFailed || !open) return;
    const table = new ProcTable();
    try {
      const source = open((e) => this.#onProcEvents(table, e), () => this.#rescan(table), this.#procBuf);
      this.#events = { source, table };
    } catch (e) {
      this.#eventsFailed = true;
      this.d.log.warn(`vrrp_track_process: cannot open the process connector (${(e as Error).message}); scanning /proc once a second`);
      return;
    }
    table.load((this.d.scan ?? scanProc)());
    this.d.log.debug(`vrrp_track_process: following ${table.procs.size} processes through the process connector`);
  }

  #connector() {
    const w = this.d.watcher!, sched = this.d.sched;
    return (on: (e: ProcEvent[]) => void, overflow: () => void, b: RcvBufSetting) => new ProcConnector(w, sched, on, overflow, b);
  }

  #onProcEvents(table: ProcTable, events: ProcEvent[]): void {
    for (const e of events) {
      const ch = table.apply(e);
      if (!ch) continue;
      for (const { tracker } of this.processes.values()) {
        const delta = Number(ch.after !== undefined && processMatches(tracker.def, ch.after)) -
          Number(ch.before !== undefined && processMatches(tracker.def, ch.before));
        if (delta) tracker.set(tracker.count + delta);
      }
    }
  }

  /** Events were lost: count again from a fresh scan. */
  #rescan(table: ProcTable): void {
    this.d.log.warn("vrrp_track_process: the process connector overflowed; rescanning /proc");
    table.load((this.d.scan ?? scanProc)());
    const procs = [...table.procs.values()];
    for (const { tracker } of this.processes.values()) tracker.update(procs);
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

  #applyScripts(c: VrrpSlice): void {
    const usable = c.vrrp.scripts.filter((s) => this.scripts.has(s.name) || this.d.resolve(s.script) !== null);
    this.#sync(this.scripts, usable, (s) => {
      const spec = this.d.resolve(s.script)!;
      const tracker = new ScriptTracker(
        {
          name: s.name,
          argv: spec.argv,
          uid: spec.uid,
          gid: spec.gid,
          intervalMs: s.intervalMs,
          timeoutMs: s.timeoutMs ?? s.intervalMs,
          rise: s.rise,
          fall: s.fall,
          initFail: s.initFail,
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
    if (this.processes.size === 0 || this.#scanTimer || this.#events) return;
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
  /** A copy of the trackers' current values. */
  values(): TrackerValues {
    return {
      bfds: new Map(this.bfd),
      files: new Map([...this.files].map(([n, e]) => [n, e.tracker.value])),
      processes: new Map([...this.processes].map(([n, e]) => [n, { count: e.tracker.count, up: e.tracker.up }])),
    };
  }

  stop(): void {
    for (const m of [this.scripts, this.files, this.processes]) for (const e of m.values()) e.tracker.stop();
    this.d.sched.cancel(this.#scanTimer);
    this.#scanTimer = undefined;
    this.#events?.source.close();
    this.#events = undefined;
  }
}
