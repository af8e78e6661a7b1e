/**
 * `-d` / `--dump-conf` text in keepalived 2.2.7's layout: what each of keepalived's processes logs at
 * start-up, one after the other — the VRRP child (Global definitions, static addresses/routes/rules, VRRP
 * topology, sync groups, scripts, track files and processes), the checker child (Global definitions,
 * then the virtual servers, in our own key names for now: docs/dumps.md) and the BFD child (Global
 * definitions, BFD Topology). With no child to run, the parent's Global definitions.
 */
import { plainText } from "../config/dump.ts";
import { needsRole } from "../config/slice.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import { bfdConfigLines } from "./ka-bfd.ts";
import { globalSection } from "./ka-global.ts";
import { vrrpText } from "./ka-vrrp-misc.ts";
import type { HostLookup } from "./ka-vrrp.ts";

/** The checker child's part: global definitions, then our text of the check section. */
export function checkConfLines(c: KeepalivedConfig): string[] {
  const out = globalSection(c.global, "check");
  if (c.check.ssl) out.push("------< SSL definitions >------", ...plainText(c.check.ssl));
  if (c.check.virtualServers.length) {
    out.push("------< LVS Topology >------", " System is compiled with LVS v1.2.1");
    out.push(...plainText({ virtualServerGroups: c.check.virtualServerGroups, virtualServers: c.check.virtualServers }));
  }
  return out;
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
