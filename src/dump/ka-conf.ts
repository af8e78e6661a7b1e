/**
 * `-d` / `--dump-conf` text in keepalived 2.2.7's layout: what each of keepalived's processes logs at
 * start-up, one after the other — the VRRP child (Global definitions, static addresses/routes/rules, VRRP
 * topology, sync groups, scripts, track files and processes), the checker child (its data dump as the
 * checkers start: Global definitions, SSL, LVS Topology, health checkers) and the BFD child (Global
 * definitions, BFD Topology). With no child to run, the parent's Global definitions.
 */
import { needsRole } from "../config/slice.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import { bfdConfigLines } from "./ka-bfd.ts";
import { checkDumpLines } from "./ka-check.ts";
import { initialLive } from "./ka-check-live.ts";
import { globalSection } from "./ka-global.ts";
import { vrrpText } from "./ka-vrrp-misc.ts";
import type { HostLookup } from "./ka-vrrp.ts";

/** The checker child's part: its data dump as it stands when the checkers start (ka-check.ts). */
export function checkConfLines(c: KeepalivedConfig): string[] {
  return checkDumpLines(c, initialLive(c));
}

/** The whole `-d` text. */
export function confText(c: KeepalivedConfig, host?: HostLookup): string {
  const out: string[] = [];
  if (needsRole(c, "vrrp")) out.push(...vrrpText(c, undefined, Date.now(), host));
  if (needsRole(c, "check")) out.push(...checkConfLines(c));
  if (needsRole(c, "bfd")) {
    out.push(...globalSection(c.global, "bfd"), "------< BFD Topology >------", ...c.bfd.instances.flatMap(bfdConfigLines));
  }
  if (!out.length) out.push(...globalSection(c.global, "parent"));
  return out.join("\n") + "\n";
}
