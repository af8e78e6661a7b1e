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
import { type IpvsLog, IpvsReconciler, readIpvsTable } from "./reconciler.ts";
import { IpvsSettings } from "./settings.ts";

/** A service with its destinations in one object (structurally src/check/table.ts DesiredService). */
export type FlatService = IpvsService & { readonly dests: readonly IpvsDest[] };

/** Splits flat services into the reconciler's {service, dests} entries. */
export function toTable(flat: readonly FlatService[]): IpvsTable {
  return flat.map(({ dests, ...service }) => ({ service, dests }));
}

/** Programs IPVS through an IpvsReconciler; shaped like src/check/lvs.ts LvsSink. */
export class IpvsLvsSink {
  readonly programming = true;
  readonly settings: IpvsSettings;
  #synced = false;

  constructor(readonly reconciler: IpvsReconciler, readonly log: IpvsLog, readonly netlink?: NetlinkIpvsKernel) {
    this.settings = new IpvsSettings(reconciler.kernel, log);
  }

  /** Opens the kernel over generic netlink (loads ip_vs if needed); throws IpvsError without IPVS. */
  static open(log: IpvsLog, opts: OpenOptions = {}): IpvsLvsSink {
    const k = NetlinkIpvsKernel.open(opts);
    return new IpvsLvsSink(new IpvsReconciler(k, log), log, k);
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

  /** Makes the kernel match `table` for the services we own. */
  apply(table: readonly FlatService[]): void {
    const t = toTable(table);
    try {
      if (!this.#synced || this.reconciler.needsSync) {
        this.reconciler.sync(t);
        this.#synced = true;
      } else {
        this.reconciler.update(t);
      }
    } catch (e) {
      this.#synced = false;
      this.log.error(`IPVS: cannot read the kernel table: ${e instanceof Error ? e.message : String(e)}`);
    }
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
    try {
      this.reconciler.update([]);
    } finally {
      this.reconciler.kernel.close();
    }
  }
}
