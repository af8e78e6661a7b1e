/**
 * The check child's LVS sink over the reconciler (keepalived's virtual_server programming): takes the
 * whole desired table after each change, in the flat shape of src/check/table.ts DesiredService
 * (service fields plus `dests`), syncs with the kernel the first time (adopting what a previous run
 * left), then diffs against its model; a refused operation or a failed read makes the next call sync
 * again. cleanup() removes every service it owns and nothing else.
 */
import type { IpvsDest, IpvsService } from "./kernel.ts";
import type { IpvsEntry, IpvsTable } from "./diff.ts";
import { IPVS_RCVBUF, NetlinkIpvsKernel, type OpenOptions } from "./netlink-kernel.ts";
import type { RcvBufSetting } from "../../config/rx-bufs.ts";
import { type IpvsLog, IpvsReconciler, readIpvsTable, type ReconcileRun } from "./reconciler.ts";
import { IpvsSettings } from "./settings.ts";

/** A service with its destinations in one object (structurally src/check/table.ts DesiredService). */
export type FlatService = IpvsService & { readonly dests: readonly IpvsDest[] };

/** Splits flat services into the reconciler's {service, dests} entries. */
export function toTable(flat: readonly FlatService[]): IpvsTable {
  return flat.map(({ dests, ...service }) => ({ service, dests }));
}

/**
 * How a long list of operations is spread over turns of the loop: `every` operations (requests and their
 * log lines) per turn, then `defer` runs the rest later. Under qemu TCG the first table of 10,000 real
 * servers took 10-18 s in one turn, during which the check child grew from ~50 to ~145 MiB RSS
 * (bench/RESULTS.md, issue 12); between turns the runtime can collect and release that garbage.
 */
export interface ApplyChunks {
  every: number;
  defer(fn: () => void): void;
}

/** The check child's chunks: 250 operations per turn, the rest after a zero timer. */
export const LOOP_CHUNKS: ApplyChunks = { every: 250, defer: (fn) => void setTimeout(fn, 0) };

/** Programs IPVS through an IpvsReconciler; shaped like src/check/lvs.ts LvsSink. */
export class IpvsLvsSink {
  readonly programming = true;
  readonly settings: IpvsSettings;
  #synced = false;
  /** The run being applied a chunk at a time, the table that came in meanwhile, who waits for the end. */
  #run: ReconcileRun | undefined;
  #pending: IpvsTable | undefined;
  #idle: (() => void)[] = [];

  /** Without `chunks` every table is applied at once, inside apply(). */
  constructor(
    readonly reconciler: IpvsReconciler,
    readonly log: IpvsLog,
    readonly netlink?: NetlinkIpvsKernel,
    readonly chunks?: ApplyChunks,
  ) {
    this.settings = new IpvsSettings(reconciler.kernel, log);
  }

  /** Opens the kernel over generic netlink (loads ip_vs if needed); throws IpvsError without IPVS. */
  static open(log: IpvsLog, opts: OpenOptions = {}, chunks?: ApplyChunks): IpvsLvsSink {
    const k = NetlinkIpvsKernel.open(opts);
    return new IpvsLvsSink(new IpvsReconciler(k, log), log, k, chunks);
  }

  /**
   * lvs_netlink_cmd_rcv_bufs[_force]: the receive buffer of the generic netlink socket the check child
   * programs and reads IPVS through (undefined: IPVS_RCVBUF, the size it was opened with).
   */
  setRcvBuf(b: RcvBufSetting | undefined): void {
    const s = b ?? IPVS_RCVBUF;
    try {
      this.netlink?.transport.setRcvBuf?.(s.bytes, s.force);
    } catch (e) {
      this.log.error(`IPVS: cannot set the netlink receive buffer to ${s.bytes}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Makes the kernel match `table` for the services we own. With chunks, a table that comes while one is
   * still being applied waits for it, and only the last such table is applied then (against the model).
   */
  apply(table: readonly FlatService[]): void {
    const t = toTable(table);
    if (this.#run) {
      this.#pending = t;
      return;
    }
    this.#start(t);
  }

  /** Resolves once no table is being applied (at once without chunks). */
  settled(): Promise<void> {
    if (!this.#run) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #start(t: IpvsTable): void {
    try {
      const read = !this.#synced || this.reconciler.needsSync;
      const run = this.reconciler.begin(t, read);
      this.#synced = true;
      if (this.chunks) {
        this.#run = run;
        return this.#step(run);
      }
      run.finish();
    } catch (e) {
      this.#failed(e);
      this.#run = undefined;
      this.#wake();
    }
  }

  /** One chunk of `run`; the next one after `defer`, or the end of the run. */
  #step(run: ReconcileRun): void {
    if (this.#run !== run) return; // cleanup() abandoned it
    try {
      run.step(this.chunks!.every);
      if (!run.done) {
        this.chunks!.defer(() => this.#step(run));
        return;
      }
      run.finish();
    } catch (e) {
      this.#failed(e);
    }
    this.#run = undefined;
    const next = this.#pending;
    this.#pending = undefined;
    if (next) return this.#start(next);
    this.#wake();
  }

  /** Resolves settled() for whoever waits. */
  #wake(): void {
    for (const f of this.#idle.splice(0)) f();
  }

  #failed(e: unknown): void {
    this.#synced = false;
    this.log.error(`IPVS: cannot read the kernel table: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** Every service in the kernel with its destinations and counters; [] when the kernel cannot be read. */
  stats(): IpvsEntry[] {
    try {
      return readIpvsTable(this.reconciler.kernel);
    } catch (e) {
      this.log.error(`IPVS: cannot read the statistics: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  }

  /** Removes the services we own (daemon stop without --dont-release-ipvs) and closes the socket. */
  cleanup(): void {
    this.#run = this.#pending = undefined;
    this.#wake();
    try {
      this.reconciler.update([]);
    } finally {
      this.reconciler.kernel.close();
    }
  }
}
