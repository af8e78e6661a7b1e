/**
 * The VRRP child's notify FIFOs (keepalived.conf(5) notify_fifo, vrrp_notify_fifo) and their reader
 * scripts (notify_fifo_script, vrrp_notify_fifo_script; the check child starts the shared one only when
 * there is no VRRP child): a FIFO that stays configured stays open across reloads (closing it would
 * discard unread lines), and each configuration gets a Notifier writing to the open ones. Notify
 * scripts run through here are tracked until they exit, so that a stopping child can wait for its
 * notify_stop scripts (`settle`) and then, as keepalived 2.2.7 does when its VRRP process exits, end the
 * ones still running with SIGTERM.
 */
import type { ScriptSpec } from "../config/model.ts";
import type { VrrpSlice } from "../config/slice.ts";
import type { Logger } from "../core/log.ts";
import { FifoReaders, type FifoReaderSpec, NotifyFifo, type RunAs } from "../core/script.ts";
import { execScript, Notifier, type ScriptExec } from "./notify.ts";

/** FIFOs, reader scripts and the current Notifier. */
export class VrrpFifos {
  #fifos: NotifyFifo[] = [];
  #readers: FifoReaders | undefined;
  /** The notifier for the current configuration. */
  notifier: Notifier;
  /** Notify scripts started and not yet ended, with their pids once known. */
  readonly #running = new Map<Promise<unknown>, { pid: number | undefined }>();
  /** Runs a notify script and tracks it until it ends. */
  readonly exec: ScriptExec;

  constructor(readonly log: Logger, exec: ScriptExec = execScript) {
    this.exec = (argv, uid, gid, onStart) => {
      const entry: { pid: number | undefined } = { pid: undefined };
      const run = exec(argv, uid, gid, (pid) => {
        entry.pid = pid;
        onStart?.(pid);
      });
      this.#running.set(run, entry);
      void run.finally(() => this.#running.delete(run));
      return run;
    };
    this.notifier = new Notifier(log, [], this.exec);
  }

  /** Runs a script that is not a state notification (notify_master_rx_lower_pri), tracked like them. */
  run(s: RunAs): void {
    void this.exec(s.argv, s.uid, s.gid);
  }

  /**
   * Waits until every notify script started so far has ended, or `boundMs` passed; true if they all
   * ended. Those still running then get SIGTERM (their process group: a script's own children too).
   */
  async settle(boundMs: number): Promise<boolean> {
    if (this.#running.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<false>((res) => (timer = setTimeout(() => res(false), boundMs)));
    const all = Promise.allSettled([...this.#running.keys()]).then(() => true as const);
    const done = await Promise.race([all, bound]);
    clearTimeout(timer);
    if (!done) { for (const { pid } of this.#running.values()) if (pid !== undefined) terminateGroup(pid); }
    return done;
  }

  /** Opens and closes FIFOs to match `c`, starts or stops the reader scripts (`resolve`: run-as ids). */
  configure(c: VrrpSlice, resolve: (s: ScriptSpec | null) => RunAs | null): void {
    const paths = [c.global.notifyFifo, c.global.vrrpNotifyFifo].filter((f) => f !== null).map((f) => f.path);
    const keep: NotifyFifo[] = [];
    for (const f of this.#fifos) {
      if (paths.includes(f.path)) keep.push(f);
      else f.close();
    }
    for (const p of paths) {
      if (keep.some((f) => f.path === p)) continue;
      const f = new NotifyFifo(p, this.log);
      f.open();
      keep.push(f);
    }
    this.#fifos = keep;
    this.notifier = new Notifier(this.log, this.#fifos, this.exec);
    const readers: FifoReaderSpec[] = [];
    for (const [what, f] of [["notify_fifo_script", c.global.notifyFifo], ["vrrp_notify_fifo_script", c.global.vrrpNotifyFifo]] as const) {
      const script = f?.script ? resolve(f.script) : null;
      if (f && script) readers.push({ what, path: f.path, script });
    }
    this.#readers ??= new FifoReaders(this.log);
    this.#readers.set(readers);
  }

  /** Stops the reader scripts and closes the FIFOs (child stop). */
  close(): void {
    this.#readers?.stop();
    for (const f of this.#fifos) f.close();
    this.#fifos = [];
  }
}

/** SIGTERM to a script's process group (runScript starts each in its own); one already gone is fine. */
function terminateGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    // already gone
  }
}
