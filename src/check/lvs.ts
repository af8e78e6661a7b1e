/**
 * Where the desired IPVS table goes. The check child hands every new table to an LvsSink: the
 * IPVS reconciler (src/check/ipvs/, the only IPVS writer) when the kernel has IPVS, or NoLvs,
 * which logs once that no LVS table is programmed and otherwise only keeps the table for the
 * dump. keepalived 2.2.7 exits when IPVS is missing; we keep checking and notifying instead
 * (docs/checkers.md).
 */
import type { RcvBufSetting } from "../config/rx-bufs.ts";
import type { Logger } from "../core/log.ts";
import type { IpvsSettings } from "./ipvs/settings.ts";
import type { DesiredService } from "./table.ts";
import type { IpvsEntry } from "./ipvs/diff.ts";

/** Receives the whole desired table after each change. */
export interface LvsSink {
  /** True when entries really reach the kernel. */
  readonly programming: boolean;
  /** Makes the kernel match `table` (all VSes of this configuration). */
  apply(table: readonly DesiredService[]): void;
  /** Resolves once the last table handed to apply() is in the kernel (a long one is applied over several turns). */
  settled?(): Promise<void>;
  /** Removes what we programmed (stop without -I). */
  cleanup(): void;
  /** lvs_flush, lvs_timeouts, lvs_sync_daemon, lvs_flush_on_stop on the same kernel; null without IPVS. */
  readonly settings: IpvsSettings | null;
  /** The kernel's services with their counters (for /metrics); absent without IPVS. */
  stats?(): IpvsEntry[];
  /** lvs_netlink_cmd_rcv_bufs: the IPVS netlink socket's receive buffer (undefined: its default). */
  setRcvBuf?(b: RcvBufSetting | undefined): void;
}

/** The sink used when IPVS is missing: says so once, keeps the last table for dumps. */
export class NoLvs implements LvsSink {
  readonly programming = false;
  readonly settings = null;
  last: readonly DesiredService[] = [];
  #said = false;
  constructor(readonly log: Logger, readonly why = "this kernel has no IPVS (ip_vs module not available)") {}

  apply(table: readonly DesiredService[]): void {
    if (!this.#said) {
      this.#said = true;
      this.log.error(
        `IPVS: ${this.why}; health checkers and notifications keep running, but no LVS table is being programmed`,
      );
    }
    this.last = table;
  }

  cleanup(): void {}
}

/** A sink that records every table (tests). */
export class RecordingLvs implements LvsSink {
  readonly programming = true;
  readonly settings = null;
  tables: (readonly DesiredService[])[] = [];
  cleaned = 0;
  /** The last table applied. */
  get last(): readonly DesiredService[] {
    return this.tables.at(-1) ?? [];
  }
  apply(table: readonly DesiredService[]): void {
    this.tables.push(table);
  }
  cleanup(): void {
    this.cleaned++;
  }
}
