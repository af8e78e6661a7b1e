/**
 * State-change notifications (keepalived.conf(5) "notify"): the state's own script (notify_master /
 * notify_backup / notify_fault / notify_stop), then the generic `notify` script with four extra
 * arguments `INSTANCE|GROUP NAME STATE PRIORITY`, and one line on the notify FIFO(s):
 * `INSTANCE "VI_1" MASTER 100` / `GROUP "G1" BACKUP 0` (and, with notify_priority_changes, a line
 * `INSTANCE "VI_1" MASTER_PRIORITY 95` for each change of effective priority). Scripts run through the script runner and never
 * block the VRRP loop; the FIFO is opened read-write so a missing reader never blocks us either.
 */
import { closeSync, constants, existsSync, lstatSync, openSync, writeSync } from "node:fs";
import type { Logger } from "../core/log.ts";
import { runScript, type ScriptResult } from "../core/script.ts";

/** States notifications are sent for. */
export type NotifyState = "MASTER" | "BACKUP" | "FAULT" | "STOP" | "DELETED";

/** A resolved command: argv and the ids to run it as. */
export interface ResolvedScript {
  argv: readonly string[];
  uid: number;
  gid: number;
}

/** The scripts of one instance or sync group, already resolved to users. */
export interface NotifyTargets {
  kind: "INSTANCE" | "GROUP";
  name: string;
  master: ResolvedScript | null;
  backup: ResolvedScript | null;
  fault: ResolvedScript | null;
  stop: ResolvedScript | null;
  deleted: ResolvedScript | null;
  generic: ResolvedScript | null;
}

/** Runs scripts; injected so tests can record instead. */
export type ScriptExec = (argv: readonly string[], uid: number, gid: number) => Promise<ScriptResult>;

/** The default executor: the script runner, without a time limit (keepalived does not time notify scripts out). */
export const execScript: ScriptExec = (argv, uid, gid) => runScript({ argv: [...argv], uid, gid }, { timeoutMs: 0 });

/** The FIFO line for a transition, or (`STATE_PRIORITY`) for a priority change. */
export function fifoLine(
  kind: "INSTANCE" | "GROUP",
  name: string,
  state: NotifyState | `${"MASTER" | "BACKUP" | "FAULT"}_PRIORITY`,
  priority: number,
): string {
  return `${kind} "${name}" ${state} ${priority}\n`;
}

/** A notify FIFO: created if missing (mode 0600 via mkfifo), never followed through a symlink. */
export class NotifyFifo {
  #fd: number | undefined;
  constructor(readonly path: string, readonly log: Logger) {}

  /** Opens (and creates) the FIFO; errors are logged once and writes are then dropped. */
  open(): void {
    try {
      if (!existsSync(this.path)) {
        const r = Bun.spawnSync(["mkfifo", "-m", "600", this.path]);
        if (r.exitCode !== 0) throw new Error(`mkfifo failed: ${r.stderr.toString().trim()}`);
      }
      const st = lstatSync(this.path);
      if (!st.isFIFO()) throw new Error("exists and is not a FIFO");
      this.#fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (e) {
      this.log.error(`notify FIFO ${this.path}: ${(e as Error).message}`);
    }
  }

  /** Writes one line; a full pipe drops the line (logged) rather than blocking. */
  write(line: string): void {
    if (this.#fd === undefined) return;
    try {
      writeSync(this.#fd, line);
    } catch (e) {
      this.log.warn(`notify FIFO ${this.path}: cannot write (${(e as NodeJS.ErrnoException).code}); line dropped`);
    }
  }

  /** Closes the FIFO (the file stays). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Sends the notifications of one transition. */
export class Notifier {
  constructor(
    readonly log: Logger,
    readonly fifos: NotifyFifo[],
    readonly exec: ScriptExec = execScript,
  ) {}

  /** Runs the state script, then `notify` with the four arguments, and writes the FIFO line. */
  notify(t: NotifyTargets, state: NotifyState, priority: number): Promise<void> {
    const own = state === "MASTER" ? t.master : state === "BACKUP" ? t.backup : state === "FAULT" ? t.fault
      : state === "STOP" ? t.stop : t.deleted;
    const line = fifoLine(t.kind, t.name, state, priority);
    for (const f of this.fifos) f.write(line);
    const runs: Promise<void>[] = [];
    if (own) runs.push(this.#run(own, [...own.argv], `notify_${state.toLowerCase()}`));
    if (t.generic) {
      runs.push(this.#run(t.generic, [...t.generic.argv, t.kind, t.name, state, String(priority)], "notify"));
    }
    return Promise.all(runs).then(() => undefined);
  }

  /**
   * A new effective priority with notify_priority_changes: one FIFO line
   * `INSTANCE "VI_1" BACKUP_PRIORITY 95` (keepalived 2.2.7 runs no script for it).
   */
  priorityChanged(t: NotifyTargets, state: "MASTER" | "BACKUP" | "FAULT", priority: number): void {
    const line = fifoLine(t.kind, t.name, `${state}_PRIORITY`, priority);
    for (const f of this.fifos) f.write(line);
  }

  async #run(s: ResolvedScript, argv: string[], what: string): Promise<void> {
    const r = await this.exec(argv, s.uid, s.gid);
    if (r.error) this.log.error(`${what} script ${argv[0]} could not run: ${r.error}`);
    else if (r.status !== 0) this.log.warn(`${what} script ${argv[0]} exited with ${r.signal ? `signal ${r.signal}` : `status ${r.status}`}`);
  }
}

/** A `*_fifo_script` to keep running: `script` reads the FIFO at `path` (its last argument). */
export interface FifoReaderSpec {
  /** Keyword, for logs (`vrrp_notify_fifo_script`). */
  what: string;
  path: string;
  script: ResolvedScript;
}

/**
 * The FIFO reader scripts (`notify_fifo_script`, `vrrp_notify_fifo_script`, `lvs_notify_fifo_script`):
 * each is started once with its FIFO path as the last argument and keeps running; it gets SIGTERM when
 * its FIFO or script changes on reload, or when the child stops. One that exits is logged, not restarted.
 */
export class FifoReaders {
  readonly #running = new Map<string, { pid: number | undefined; spec: FifoReaderSpec }>();

  constructor(readonly log: Logger, readonly exec: typeof runScript = runScript) {}

  /** Makes the running readers match `wanted` (unchanged ones keep running). */
  set(wanted: readonly FifoReaderSpec[]): void {
    const keys = new Map(wanted.map((w) => [JSON.stringify(w), w]));
    for (const [k, r] of [...this.#running]) {
      if (keys.has(k)) continue;
      this.#running.delete(k);
      this.#kill(r.pid);
    }
    for (const [k, spec] of keys) {
      if (this.#running.has(k)) continue;
      const entry: { pid: number | undefined; spec: FifoReaderSpec } = { pid: undefined, spec };
      this.#running.set(k, entry);
      const argv = [...spec.script.argv, spec.path];
      void this.exec({ argv, uid: spec.script.uid, gid: spec.script.gid }, {
        timeoutMs: 0,
        onStart: (pid) => (entry.pid = pid),
      }).then((r) => {
        entry.pid = undefined;
        if (r.error !== undefined) this.log.error(`${spec.what} ${argv[0]}: cannot run: ${r.error}`);
        else if (this.#running.get(k) === entry) {
          this.log.warn(`${spec.what} ${argv[0]} exited (${r.signal ? `signal ${r.signal}` : `status ${r.status}`})`);
        }
      });
    }
  }

  /** Pids of the running readers (tests, dumps). */
  pids(): number[] {
    return [...this.#running.values()].flatMap((r) => (r.pid === undefined ? [] : [r.pid]));
  }

  /** Stops every reader. */
  stop(): void {
    for (const r of this.#running.values()) this.#kill(r.pid);
    this.#running.clear();
  }

  #kill(pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}
