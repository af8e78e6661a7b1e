/**
 * Where the desired IPVS table goes. The check child hands every new table to an LvsSink: the
 * IPVS reconciler (src/check/ipvs/, the only IPVS writer) when the kernel has IPVS, or NoLvs,
 * which logs once that no LVS table is programmed and otherwise only keeps the table for the
 * dump. keepalived 2.2.7 exits when IPVS is missing; we keep checking and notifying instead
 * (docs/checkers.md).
 */
import { existsSync } from "node:fs";
import type { Logger } from "../core/log.ts";
import type { DesiredService } from "./table.ts";

/** Receives the whole desired table after each change. */
export interface LvsSink {
  /** True when entries really reach the kernel. */
  readonly programming: boolean;
  /** Makes the kernel match `table` (all VSes of this configuration). */
  apply(table: readonly DesiredService[]): void;
  /** Removes what we programmed (stop without -I). */
  cleanup(): void;
}

/** Whether this kernel has IPVS loaded (the ip_vs module creates /proc/net/ip_vs). */
export function ipvsPresent(procPath = "/proc/net/ip_vs"): boolean {
  return existsSync(procPath);
}

/** Loads ip_vs like keepalived does (modprobe), then looks again. Never throws. */
export function loadIpvsModule(procPath = "/proc/net/ip_vs"): boolean {
  if (ipvsPresent(procPath)) return true;
  for (const p of ["/sbin/modprobe", "/usr/sbin/modprobe"]) {
    if (!existsSync(p)) continue;
    try {
      Bun.spawnSync([p, "ip_vs"], { stdout: "ignore", stderr: "ignore" });
    } catch {
      // no modprobe: fall through
    }
    break;
  }
  return ipvsPresent(procPath);
}

/** The sink used when IPVS is missing: says so once, keeps the last table for dumps. */
export class NoLvs implements LvsSink {
  readonly programming = false;
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

/** The table in the reconciler's shape ({service, dests}[], src/check/ipvs/diff.ts IpvsTable). */
export function toIpvsEntries(table: readonly DesiredService[]): { service: Omit<DesiredService, "dests">; dests: DesiredService["dests"] }[] {
  return table.map(({ dests, ...service }) => ({ service, dests }));
}
