/**
 * The VRRP child's notify FIFOs (keepalived.conf(5) notify_fifo, vrrp_notify_fifo) and their reader
 * scripts (notify_fifo_script, vrrp_notify_fifo_script; the check child starts the shared one only when
 * there is no VRRP child): a FIFO that stays configured stays open across reloads (closing it would
 * discard unread lines), and each configuration gets a Notifier writing to the open ones.
 */
import type { KeepalivedConfig, ScriptSpec } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { FifoReaders, type FifoReaderSpec, NotifyFifo, type RunAs } from "../core/script.ts";
import { Notifier, type ScriptExec } from "./notify.ts";

/** FIFOs, reader scripts and the current Notifier. */
export class VrrpFifos {
  #fifos: NotifyFifo[] = [];
  #readers: FifoReaders | undefined;
  /** The notifier for the current configuration. */
  notifier: Notifier;

  constructor(readonly log: Logger, readonly exec?: ScriptExec) {
    this.notifier = new Notifier(log, [], exec);
  }

  /** Opens and closes FIFOs to match `c`, starts or stops the reader scripts (`resolve`: run-as ids). */
  configure(c: KeepalivedConfig, resolve: (s: ScriptSpec | null) => RunAs | null): void {
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
