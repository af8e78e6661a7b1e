/**
 * Health-check notifications (keepalived.conf(5) notify_up / notify_down, quorum_up /
 * quorum_down, lvs_notify_fifo and notify_fifo): scripts run through the shared script runner,
 * never blocking the loop; FIFO lines are `VS [vip]:tcp:80 UP` and
 * `RS [rip]:tcp:80 [vip]:tcp:80 DOWN`. Scripts are resolved once per configuration to run-as ids,
 * honouring script_user and enable_script_security.
 */
import type { ScriptSpec } from "../config/model.ts";
import type { CheckSlice } from "../config/slice.ts";
import type { Logger } from "../core/log.ts";
import { FifoReaders, type FifoReaderSpec, NotifyFifo, resolveRunAs, type RunAs, runScript } from "../core/script.ts";

/** Runs a resolved script; injected in tests. */
export type RunNotify = (s: RunAs, why: string) => void;

/** Resolves a configured script to ids, or null (logged): the shared rule in src/core/script.ts. */
export function resolveScript(s: ScriptSpec | null, c: CheckSlice, log: Logger): RunAs | null {
  return resolveRunAs(s, c.global, log);
}

/** The default runner: no time limit (keepalived does not time notify scripts out); failures are logged. */
export function scriptRunner(log: Logger): RunNotify {
  return (s, why) => {
    void runScript({ argv: s.argv, uid: s.uid, gid: s.gid }, { timeoutMs: 0 }).then((r) => {
      if (r.error !== undefined) log.error(`${why} script ${s.argv[0]}: cannot run: ${r.error}`);
      else if (r.status !== 0) log.debug(`${why} script ${s.argv[0]} exited ${r.status ?? r.signal}`);
    });
  };
}

/**
 * The LVS side of the notify FIFOs (lvs_notify_fifo and the shared notify_fifo), and the reader
 * scripts: lvs_notify_fifo_script, and notify_fifo_script when no VRRP child runs (the check slice
 * carries it only then): started with the FIFO path as the last argument, stopped (SIGTERM) when the
 * FIFO set changes or the child stops.
 */
export class LvsFifos {
  #fifos: NotifyFifo[] = [];
  #keys = "";
  readonly #readers: FifoReaders;

  constructor(readonly log: Logger) {
    this.#readers = new FifoReaders(log);
  }

  /** Opens the configured FIFOs and starts the reader script; an unchanged set stays as it is across reloads. */
  configure(c: CheckSlice): void {
    const paths = [c.global.lvsNotifyFifo?.path, c.global.notifyFifo?.path].filter((p): p is string => !!p);
    const uniq = [...new Set(paths)];
    const lvs = c.global.lvsNotifyFifo;
    const key = JSON.stringify([uniq, lvs?.script?.cmd ?? null, c.global.notifyFifo?.script?.cmd ?? null]);
    if (key === this.#keys) return;
    this.close();
    this.#keys = key;
    for (const p of uniq) {
      const f = new NotifyFifo(p, this.log);
      f.open();
      this.#fifos.push(f);
    }
    const readers: FifoReaderSpec[] = [];
    const s = lvs?.script ? resolveScript(lvs.script, c, this.log) : null;
    if (lvs && s) readers.push({ what: "lvs_notify_fifo_script", path: lvs.path, script: s });
    // Present in this slice only when there is no VRRP child to start it (sliceFor).
    const nf = c.global.notifyFifo;
    const shared = nf?.script ? resolveScript(nf.script, c, this.log) : null;
    if (nf && shared) readers.push({ what: "notify_fifo_script", path: nf.path, script: shared });
    this.#readers.set(readers);
  }

  /** Writes one line (newline added) to every FIFO. */
  write(line: string): void {
    for (const f of this.#fifos) f.write(line + "\n");
  }

  /** Stops the reader script and closes every FIFO. */
  close(): void {
    this.#readers.stop();
    for (const f of this.#fifos) f.close();
    this.#fifos = [];
    this.#keys = "";
  }
}
