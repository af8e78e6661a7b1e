/**
 * The parent applies the configuration's `instance`, `use_pid_dir` (src/core/instance-files.ts) before it
 * claims its pid file: the pid file names, keepalived's directory for them (created when missing and
 * removed at the end if we created it and it is empty), and the syslog ident with the instance name.
 * keepalived reads these at start only; a reload does not change them (the same here).
 */
import { mkdirSync, rmdirSync } from "node:fs";
import type { CliOptions } from "../cli.ts";
import type { GlobalDefs } from "../config/model.ts";
import { instanceIdent, PID_DIR, pidFiles, usesPidDir } from "../core/instance-files.ts";
import type { Logger } from "../core/log.ts";
import { IDENTS } from "./common.ts";

/** What the parent must undo at the end. */
export interface InstanceSetup {
  /** The pid directory we created (removed at the end when empty). */
  createdDir: string | null;
}

/** Sets `o`'s pid files and instance from the configuration, renames the log ident, makes the pid dir. */
export function applyInstance(o: CliOptions, g: GlobalDefs, log: Logger, run?: string): InstanceSetup {
  const naming = { given: o.givenPids, instance: g.instanceName, usePidDir: g.usePidDir };
  const f = pidFiles(naming, run);
  o.pidFile = f.parent;
  o.vrrpPidFile = f.vrrp;
  o.checkersPidFile = f.check;
  o.bfdPidFile = f.bfd;
  if (g.instanceName !== null) {
    o.instance = g.instanceName;
    const ident = instanceIdent(IDENTS.parent, g.instanceName);
    log.info(`Changing syslog ident to ${ident}`);
    log.opts.ident = ident;
  }
  if (!usesPidDir(naming)) return { createdDir: null };
  const dir = run === undefined ? PID_DIR : `${run}/keepalived`;
  try {
    return { createdDir: mkdirSync(dir, { recursive: true, mode: 0o755 }) === undefined ? null : dir };
  } catch (e) {
    log.error(`cannot create pid directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    return { createdDir: null };
  }
}

/** Removes the pid directory we created, if it is empty now. */
export function releaseInstance(s: InstanceSetup): void {
  if (s.createdDir === null) return;
  try {
    rmdirSync(s.createdDir);
  } catch { /* not empty (another daemon's files), or gone */ }
}

/** keepalived's warnings for what a reload cannot change (read at start only, here too). */
export function warnRestartOnly(old: GlobalDefs, now: GlobalDefs, log: Logger): void {
  if (old.instanceName !== now.instanceName) log.warn("Cannot change instance name at a reload - please restart keepalived");
  if (old.tmpConfigDirectory !== now.tmpConfigDirectory) log.warn("Cannot change config_directory at a reload - please restart keepalived");
}
