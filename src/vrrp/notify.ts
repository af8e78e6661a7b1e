/**
 * State-change notifications (keepalived.conf(5) "notify"): the state's own script (notify_master /
 * notify_backup / notify_fault / notify_stop), then the generic `notify` script with four extra
 * arguments `INSTANCE|GROUP NAME STATE PRIORITY`, and one line on the notify FIFO(s):
 * `INSTANCE "VI_1" MASTER 100` / `GROUP "G1" BACKUP 0` (and, with notify_priority_changes, a line
 * `INSTANCE "VI_1" MASTER_PRIORITY 95` for each change of effective priority). Scripts run through the script runner and never
 * block the VRRP loop; the FIFO is opened read-write so a missing reader never blocks us either.
 */
import type { NotifyScripts, ScriptSpec } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { type NotifyFifo, type RunAs, runScript, type ScriptResult } from "../core/script.ts";

/** States notifications are sent for. */
export type NotifyState = "MASTER" | "BACKUP" | "FAULT" | "STOP" | "DELETED";

/** The scripts of one instance or sync group, already resolved to users. */
export interface NotifyTargets {
  kind: "INSTANCE" | "GROUP";
  name: string;
  master: RunAs | null;
  backup: RunAs | null;
  fault: RunAs | null;
  stop: RunAs | null;
  deleted: RunAs | null;
  generic: RunAs | null;
}

/** Runs scripts; injected so tests can record instead. */
export type ScriptExec = (argv: readonly string[], uid: number, gid: number, onStart?: (pid: number) => void) => Promise<ScriptResult>;

/** The default executor: the script runner, without a time limit (keepalived does not time notify scripts out). */
export const execScript: ScriptExec = (argv, uid, gid, onStart) => runScript({ argv: [...argv], uid, gid }, { timeoutMs: 0, onStart });

/** The FIFO line for a transition, or (`STATE_PRIORITY`) for a priority change. */
export function fifoLine(
  kind: "INSTANCE" | "GROUP",
  name: string,
  state: NotifyState | `${"MASTER" | "BACKUP" | "FAULT"}_PRIORITY`,
  priority: number,
): string {
  return `${kind} "${name}" ${state} ${priority}\n`;
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
    const own = state === "MASTER" ? t.master : state === "BACKUP" ? t.backup : state === "FAULT" ? t.fault : state === "STOP" ? t.stop : t.deleted;
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

  async #run(s: RunAs, argv: string[], what: string): Promise<void> {
    const r = await this.exec(argv, s.uid, s.gid);
    if (r.error) this.log.error(`${what} script ${argv[0]} could not run: ${r.error}`);
    else if (r.status !== 0) this.log.warn(`${what} script ${argv[0]} exited with ${r.signal ? `signal ${r.signal}` : `status ${r.status}`}`);
  }
}

/** The notify scripts of an instance or sync group, resolved to run-as ids (`resolve`: null when unset or refused). */
export function notifyTargets(
  cfg: { readonly name: string; readonly notify: NotifyScripts },
  kind: "INSTANCE" | "GROUP",
  resolve: (s: ScriptSpec | null) => RunAs | null,
): NotifyTargets {
  const n = cfg.notify;
  return {
    kind,
    name: cfg.name,
    master: resolve(n.master),
    backup: resolve(n.backup),
    fault: resolve(n.fault),
    stop: resolve(n.stop),
    deleted: resolve(n.deleted),
    generic: resolve(n.generic),
  };
}
