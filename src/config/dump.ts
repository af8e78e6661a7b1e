/**
 * Config dumps for `-d/--dump-conf` style output: indented text, JSON or YAML (npm `yaml`), and the
 * per-child slices the parent sends over IPC (global + the child's area only).
 */
import type { KeepalivedConfig } from "./model.ts";

/** Which child process a slice is for. */
export type Role = "vrrp" | "check" | "bfd";

const EMPTY_VRRP: KeepalivedConfig["vrrp"] = {
  scripts: [],
  trackFiles: [],
  trackProcesses: [],
  garpGroups: [],
  syncGroups: [],
  instances: [],
  staticIpaddresses: [],
  staticRoutes: [],
  staticRules: [],
  trackGroups: [],
  linkbeatInterfaces: [],
  interfaceUpDownDelays: [],
};
const EMPTY_CHECK: KeepalivedConfig["check"] = { ssl: null, virtualServerGroups: [], virtualServers: [] };
const EMPTY_BFD: KeepalivedConfig["bfd"] = { instances: [] };
const EMPTY_BGP: KeepalivedConfig["bgp"] = { announces: [] };

/** The part of the config a child needs: globals plus its own area (checker also gets track_file definitions). */
export function sliceFor(c: KeepalivedConfig, role: Role): KeepalivedConfig {
  if (role === "vrrp") {
    // bgp goes along so that announced VIPs get src/bgp/desired.ts VIP_METRIC_UNDER_BGP; bfd for the
    // data dump's "VRRP Track BFDs" (the sessions themselves are the BFD child's).
    return { file: c.file, global: c.global, vrrp: c.vrrp, check: EMPTY_CHECK, bfd: c.bfd, bgp: c.bgp };
  }
  if (role === "bfd") {
    return { file: c.file, global: c.global, vrrp: EMPTY_VRRP, check: EMPTY_CHECK, bfd: c.bfd, bgp: EMPTY_BGP };
  }
  // The shared notify_fifo's reader script is the VRRP child's to start; with no VRRP child, the check
  // child's (keepalived starts it whatever processes run).
  const nf = c.global.notifyFifo;
  const global = nf?.script && needsRole(c, "vrrp") ? { ...c.global, notifyFifo: { ...nf, script: null } } : c.global;
  return {
    file: c.file,
    global,
    vrrp: { ...EMPTY_VRRP, trackFiles: c.vrrp.trackFiles },
    check: c.check,
    bfd: EMPTY_BFD,
    bgp: EMPTY_BGP,
  };
}

/** Whether the configuration needs the given child process at all. */
export function needsRole(c: KeepalivedConfig, role: Role): boolean {
  if (role === "vrrp") {
    const v = c.vrrp;
    return v.instances.length > 0 || v.staticIpaddresses.length > 0 || v.staticRoutes.length > 0 ||
      v.staticRules.length > 0;
  }
  // lvs_sync_daemon is run by the check child (IPVS has one writer), with or without virtual servers.
  if (role === "check") return c.check.virtualServers.length > 0 || c.global.lvsSyncDaemon !== null;
  return c.bfd.instances.length > 0;
}

function textLines(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (item !== null && typeof item === "object") {
        out.push(`${indent}[${i}]`);
        textLines(item, indent + "  ", out);
      } else out.push(`${indent}[${i}] ${String(item)}`);
    });
    return;
  }
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === "src") continue;
    if (val === null || val === false || (Array.isArray(val) && val.length === 0)) continue;
    if (typeof val === "object") {
      out.push(`${indent}${k}:`);
      textLines(val, indent + "  ", out);
    } else out.push(`${indent}${k} = ${String(val)}`);
  }
}

/** Any part of the model as our indented `key = value` text (unset/false/empty fields left out). */
export function plainText(v: unknown): string[] {
  const out: string[] = [];
  textLines(v, " ", out);
  return out;
}

/** Render the config as indented text (unset/false/empty fields left out), JSON or YAML. */
export function dumpConfig(c: KeepalivedConfig, format: "text" | "json" | "yaml"): string {
  if (format === "json") return JSON.stringify(c, null, 2);
  if (format === "yaml") {
    // Loaded on first use: importing `yaml` costs more than parsing a large config (keeps `-t` fast).
    // A plain require, which the bundler embeds (createRequire(import.meta.url) left it out of the binary).
    const yaml = require("yaml") as typeof import("yaml");
    return yaml.stringify(c);
  }
  const out: string[] = [];
  textLines(c, "", out);
  return out.join("\n") + "\n";
}
