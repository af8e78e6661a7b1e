/**
 * vrrp_script trackers (keepalived.conf(5) "vrrp_script"): run the script every `interval`, kill it after
 * `timeout`, and change the tracker's state only after `rise` consecutive successes or `fall` consecutive
 * failures. Exit status 0 is success; a timeout or a signal is failure. `init_fail` starts it failed.
 * Time and process execution are injected so tests drive a fake clock.
 */
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { ScriptExec } from "./notify.ts";

/** What a script tracker needs. */
export interface ScriptTrackerConfig {
  name: string;
  argv: readonly string[];
  uid: number;
  gid: number;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  initFail: boolean;
}

/** Runs one vrrp_script and reports its up/down state. */
export class ScriptTracker {
  /** Current verdict: true = OK. */
  up: boolean;
  #okRun = 0;
  #failRun = 0;
  #timer: TimerHandle | undefined;
  #stopped = false;
  /** Runs so far (stats). */
  runs = 0;
  /** A run is in progress (keepalived's script state "running"; "idle" otherwise). */
  running = false;

  constructor(
    readonly cfg: ScriptTrackerConfig,
    readonly sched: Scheduler,
    readonly exec: (argv: readonly string[], uid: number, gid: number, timeoutMs: number) => ReturnType<ScriptExec>,
    readonly onChange: (up: boolean) => void,
  ) {
    this.up = !cfg.initFail;
  }

  /** Starts the periodic runs (the first one at once). */
  start(): void {
    this.#schedule(0);
  }

  /** Stops scheduling; a run in progress finishes but its result is ignored. */
  stop(): void {
    this.#stopped = true;
    this.sched.cancel(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = this.sched.after(delayMs, () => void this.#runOnce());
  }

  async #runOnce(): Promise<void> {
    const started = this.sched.now();
    this.running = true;
    const r = await this.exec(this.cfg.argv, this.cfg.uid, this.cfg.gid, this.cfg.timeoutMs).finally(() => {
      this.running = false;
    });
    if (this.#stopped) return;
    this.runs++;
    this.result(r.status === 0 && !r.timedOut && !r.error);
    const elapsed = this.sched.now() - started;
    this.#schedule(Math.max(0, this.cfg.intervalMs - elapsed));
  }

  /** Feeds one result through rise/fall (public for tests). */
  result(ok: boolean): void {
    if (ok) {
      this.#okRun++;
      this.#failRun = 0;
      if (!this.up && this.#okRun >= this.cfg.rise) {
        this.up = true;
        this.onChange(true);
      }
    } else {
      this.#failRun++;
      this.#okRun = 0;
      if (this.up && this.#failRun >= this.cfg.fall) {
        this.up = false;
        this.onChange(false);
      }
    }
  }
}
