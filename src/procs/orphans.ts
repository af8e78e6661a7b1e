/**
 * The parent's answer to a VRRP child that died without being asked to (see src/vrrp/orphan-sweep.ts):
 * remove the instances' VIPs, routes and rules over a short-lived rtnetlink socket, and log what was
 * removed. -V (dont_release_vrrp) keeps them, as it does on a graceful stop.
 */
import type { KeepalivedConfig } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { RtnlKernel } from "../vrrp/netkernel.ts";
import { sweepVrrpAddresses } from "../vrrp/orphan-sweep.ts";

/** Removes what a dead VRRP child left up, unless `keep` (-V); never throws. */
export function releaseOrphanedVips(c: KeepalivedConfig, log: Logger, watcher: FdWatcher, keep: boolean): void {
  if (c.vrrp.instances.length === 0) return;
  if (keep) {
    log.warn("VRRP child died; its virtual addresses stay up (-V, dont_release_vrrp)");
    return;
  }
  let kernel: RtnlKernel | undefined;
  try {
    kernel = new RtnlKernel(watcher);
    const r = sweepVrrpAddresses(c, kernel);
    for (const e of r.errors) log.error(`VRRP child died: ${e}`);
    log.warn(`VRRP child died: removed ${r.removed.length ? r.removed.join(", ") : "no virtual address (none was up)"}`);
  } catch (e) {
    log.error(`VRRP child died; cannot remove its virtual addresses: ${(e as Error).message}`);
  } finally {
    kernel?.close();
  }
}
