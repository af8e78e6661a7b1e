/**
 * The parent applies the configuration's `instance`, `use_pid_dir` (src/core/instance-files.ts) before it
 * claims its pid file: the pid file names, keepalived's directory for them (created when missing and
 * removed at the end if we created it and it is empty), and the syslog ident with the instance name
 * (and the `net_namespace` name, which also moves the pid files one directory down).
 * keepalived reads these at start only; a reload does not change them (the same here).
 */
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { dirname } from "node:path";
import type { CliOptions } from "../cli.ts";
import type { GlobalDefs } from "../config/model.ts";
import { instanceIdent, pidDir, pidFiles, usesPidDir } from "../core/instance-files.ts";
import type { Logger } from "../core/log.ts";
import { IDENTS } from "./common.ts";

/** What the parent must undo at the end. */
export interface InstanceSetup {
  /** The pid directories we created, deepest first (removed at the end when empty). */
  createdDirs: string[];
}

/** Sets `o`'s pid files and instance from the configuration, renames the log ident, makes the pid dir. */
export function applyInstance(o: CliOptions, g: GlobalDefs, log: Logger, run?: string): InstanceSetup {
  const ns = g.netNamespace ?? null;
  const naming = { given: o.givenPids, instance: g.instanceName, usePidDir: g.usePidDir, namespace: ns };
  const f = pidFiles(naming, run);
  o.pidFile = f.parent;
  o.vrrpPidFile = f.vrrp;
  o.checkersPidFile = f.check;
  o.bfdPidFile = f.bfd;
  // net_namespace_ipvs is read at start only (keepalived's checker opens its IPVS socket once).
  if ((g.netNamespaceIpvs ?? null) !== null) o.ipvsNamespace = g.netNamespaceIpvs!;
  if (g.instanceName !== null || ns !== null) {
    // The children's idents carry the same suffix (src/procs/common.ts makeLogger).
    o.instance = [ns, g.instanceName].filter((x) => x !== null).join("_");
    const ident = instanceIdent(IDENTS.parent, g.instanceName, ns);
    log.info(`Changing syslog ident to ${ident}`);
    log.opts.ident = ident;
  }
  if (!usesPidDir(naming)) return { createdDirs: [] };
  const dir = pidDir(naming, run);
  const created: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) created.push(d);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return { createdDirs: created };
  } catch (e) {
    log.error(`cannot create pid directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    return { createdDirs: [] };
  }
}

/** Removes the pid directories we created, if they are empty now. */
export function releaseInstance(s: InstanceSetup): void {
  for (const d of s.createdDirs) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (another daemon's files), or gone
    }
  }
}

/** keepalived's warnings for what a reload cannot change (read at start only, here too). */
export function warnRestartOnly(old: GlobalDefs, now: GlobalDefs, log: Logger): void {
  if (old.instanceName !== now.instanceName) log.warn("Cannot change instance name at a reload - please restart keepalived");
  if (old.tmpConfigDirectory !== now.tmpConfigDirectory) log.warn("Cannot change config_directory at a reload - please restart keepalived");
}
