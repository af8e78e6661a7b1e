/**
 * Scripts are checked when the configuration is loaded, as keepalived 2.2.7 does (keepalived.conf(5)
 * "SCRIPTS", `script_user`, `enable_script_security`): each script a configuration would run is
 * resolved (a bare name by a PATH search, a path through its symlinks unless `use_symlink_paths`),
 * every component of the resolved path is checked (owned by root; a directory not writable by group
 * or others unless sticky; the file not writable by group or others), and the script is then kept or
 * dropped from the model, so the running daemon behaves as if a dropped tracker or notify script
 * were never configured. Verdicts, measured on Debian's keepalived 2.2.7:
 * - no run-as user (enable_script_security, no script_user, no keepalived_script account): error
 *   "Unable to set default user keepalived_script for script", the script is removed;
 * - tracked vrrp_script not found: error "Disabling track script NAME since not found/accessible";
 * - tracked vrrp_script insecure while it would run as root with enable_script_security: error
 *   "Disabling track script NAME due to insecure";
 * - not executable, and every notify / MISC_CHECK case above: logged (no `-t` verdict), removed.
 * The `-t` security verdict (exit 6) is in security.ts.
 */
import type { DiagSink, Where } from "./diag.ts";
import type { GlobalDefs, KeepalivedConfig, NotifyScripts, ScriptSpec, TrackRef } from "./model.ts";
import type { Checker, RealServer, VirtualServer } from "./model-check.ts";

/** Where a bare script name is looked for. */
export const PATH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** What stat(2) (following symlinks) says about one path. */
export interface PathStat {
  readonly uid: number;
  readonly gid: number;
  /** st_mode permission and sticky bits (mode & 0o7777). */
  readonly mode: number;
  readonly kind: "file" | "dir" | "other";
}

/** File-system facts the script checks need (injected for tests). */
export interface ScriptProbe {
  readonly isExecutable: (path: string) => boolean;
  readonly userExists: (name: string) => boolean;
  /** stat(2) of a path, following symlinks; undefined when unreachable. Default: derived from isExecutable. */
  readonly statPath?: (path: string) => PathStat | undefined;
  /** realpath(3); undefined when a component is missing. Default: the path as written. */
  readonly realPath?: (path: string) => string | undefined;
}

/** The outcome of resolving one script's program. */
export type Resolution =
  | { readonly found: false; readonly reason: string }
  | {
    readonly found: true;
    readonly path: string;
    /** Set when a bare name was found by the PATH search. */
    readonly searched: boolean;
    /** A component can be changed by a user other than root. */
    readonly insecure: boolean;
    readonly executable: boolean;
  };

const S_IWGRP = 0o020, S_IWOTH = 0o002, S_ISVTX = 0o1000, X_ANY = 0o111;

/** Whether one path component lets a non-root user change what runs. */
function componentInsecure(st: PathStat): boolean {
  if (st.uid !== 0) return true;
  const sticky = st.kind === "dir" && (st.mode & S_ISVTX) !== 0;
  return !sticky && (st.mode & (S_IWGRP | S_IWOTH)) !== 0;
}

/** Check `/`, each directory and the file of an absolute path. */
function checkComponents(path: string, probe: ScriptProbe): Resolution {
  const stat = probe.statPath;
  if (!stat) {
    // Only isExecutable is known (in-memory loads): an executable file is taken as found and secure.
    if (probe.isExecutable(path)) return { found: true, path, searched: false, insecure: false, executable: true };
    return { found: false, reason: `Script ${path} cannot be accessed - No such file or directory` };
  }
  const parts = path.split("/").filter((p) => p !== "");
  let insecure = false;
  let cur = "";
  for (let i = -1; i < parts.length; i++) {
    cur = i < 0 ? "/" : `${cur === "/" ? "" : cur}/${parts[i]}`;
    const st = stat(cur);
    if (!st) return { found: false, reason: `Script ${path} cannot be accessed - No such file or directory` };
    const last = i === parts.length - 1;
    if ((!last && st.kind !== "dir") || (last && st.kind !== "file")) {
      return { found: false, reason: `Invalid script ${path}` };
    }
    if (componentInsecure(st)) insecure = true;
    if (last) return { found: true, path, searched: false, insecure, executable: (st.mode & X_ANY) !== 0 };
  }
  return { found: false, reason: `Invalid script ${path}` };
}

/** Resolve a script's program the way keepalived does before it runs it. */
export function resolveScript(prog: string, g: GlobalDefs, probe: ScriptProbe): Resolution {
  if (!prog.includes("/")) {
    for (const d of PATH_DIRS) {
      const r = checkComponents(`${d}/${prog}`, probe);
      if (r.found) return { ...r, searched: true };
    }
    return { found: false, reason: `Script ${prog} cannot be accessed - No such file or directory` };
  }
  const real = g.useSymlinkPaths ? prog : (probe.realPath ? probe.realPath(prog) : prog);
  if (real === undefined) return { found: false, reason: `Script ${prog} cannot be accessed - No such file or directory` };
  return checkComponents(real, probe);
}

/** The user a script runs as, or undefined when keepalived cannot pick one (script security on). */
export function runAsUser(s: ScriptSpec, g: GlobalDefs, probe: ScriptProbe): string | undefined {
  if (s.user !== null) return s.user;
  if (g.scriptUser) return g.scriptUser.user;
  if (probe.userExists("keepalived_script")) return "keepalived_script";
  return g.enableScriptSecurity ? undefined : "root";
}

/** Where a script sits: decides which of keepalived's messages apply. */
type Kind = { readonly t: "track"; readonly name: string } | { readonly t: "misc" } | { readonly t: "notify" };

/** Check one script; returns it when it stays, null when keepalived would not run it. */
function vet(s: ScriptSpec | null, kind: Kind, g: GlobalDefs, probe: ScriptProbe, diags: DiagSink): ScriptSpec | null {
  if (s === null) return null;
  const prog = s.argv[0] ?? "";
  const user = runAsUser(s, g, probe);
  if (user === undefined) {
    diags.error(s.src, "Unable to set default user keepalived_script for script");
    if (kind.t === "track") diags.error(s.src, `Unable to set default user for vrrp script ${kind.name} - removing`);
    if (kind.t === "misc") diags.error(s.src, `Unable to set default user for misc script '${prog}' - removing`);
    return null;
  }
  // In-memory loads (no stat) model no file system: only the user rule applies there.
  if (!probe.statPath) return s;
  const r = resolveScript(prog, g, probe);
  const info = (m: string) => diags.add(s.src, "info", m);
  if (!r.found) {
    info(r.reason);
    if (kind.t === "track") diags.error(s.src, `Disabling track script ${kind.name} since not found/accessible`);
    if (kind.t === "misc") info(`Disabling misc script '${prog}' since not found/accessible`);
    return null;
  }
  if (r.searched) info(`WARNING - script \`${prog}\` resolved by path search to \`${r.path}\`. Please specify full path.`);
  if (user === "root" && g.enableScriptSecurity && r.insecure) {
    info(`Unsafe permissions found for script '${r.path}' - disabling.`);
    if (kind.t === "track") diags.error(s.src, `Disabling track script ${kind.name} due to insecure`);
    if (kind.t === "misc") info(`Disabling misc script '${prog}' due to insecure`);
    return null;
  }
  if (!r.executable) {
    info(`WARNING - script '${r.path}' is not executable for user ${user} - disabling.`);
    return null;
  }
  return s;
}

type Vet = (s: ScriptSpec | null, kind?: Kind) => ScriptSpec | null;

function vetNotify(n: NotifyScripts, v: Vet): NotifyScripts {
  return {
    ...n,
    master: v(n.master),
    backup: v(n.backup),
    fault: v(n.fault),
    stop: v(n.stop),
    deleted: v(n.deleted),
    masterRxLowerPri: v(n.masterRxLowerPri),
    generic: v(n.generic),
  };
}

function vetChecker(ck: Checker, v: Vet): Checker | null {
  if (ck.type !== "MISC_CHECK" || ck.script === null) return ck;
  const script = v(ck.script, { t: "misc" });
  return script ? { ...ck, script } : null;
}

function vetRs(rs: RealServer, v: Vet): RealServer {
  const checkers = rs.checkers.map((c) => vetChecker(c, v)).filter((c): c is Checker => c !== null);
  return { ...rs, notifyUp: v(rs.notifyUp), notifyDown: v(rs.notifyDown), checkers };
}

function vetVs(vs: VirtualServer, v: Vet): VirtualServer {
  return { ...vs, quorumUp: v(vs.quorumUp), quorumDown: v(vs.quorumDown), realServers: vs.realServers.map((r) => vetRs(r, v)) };
}

/** Tracked vrrp_scripts that keepalived keeps; reports the references to the removed ones. */
function vetTrackScripts(c: KeepalivedConfig, v: Vet, probe: ScriptProbe, diags: DiagSink): KeepalivedConfig["vrrp"] {
  const trackers = [...c.vrrp.instances, ...c.vrrp.syncGroups];
  const tracked = new Set(trackers.flatMap((t) => t.trackScripts.map((r) => r.name)));
  const gone = new Set<string>();
  const noUser = new Set<string>();
  const scripts = c.vrrp.scripts.map((s) => {
    if (!tracked.has(s.name) || s.script === null) return s;
    if (runAsUser(s.script, c.global, probe) === undefined) noUser.add(s.name);
    const script = v(s.script, { t: "track", name: s.name });
    if (script === null) gone.add(s.name);
    return { ...s, script };
  }).filter((s) => !gone.has(s.name));
  const refs = <T extends { name: string; trackScripts: readonly TrackRef[] }>(t: T): T => ({
    ...t,
    trackScripts: t.trackScripts.filter((r) => {
      if (noUser.has(r.name)) diags.error(r.src, `(${t.name}) track script ${r.name} not found, ignoring...`);
      return !gone.has(r.name);
    }),
  });
  return {
    ...c.vrrp,
    scripts,
    instances: c.vrrp.instances.map((i) => refs({ ...i, notify: vetNotify(i.notify, v) })),
    syncGroups: c.vrrp.syncGroups.map((g) => refs({ ...g, notify: vetNotify(g.notify, v) })),
  };
}

/** `script_user` naming an account that does not exist (keepalived: a config error at that line). */
function checkScriptUser(g: GlobalDefs, probe: ScriptProbe, diags: DiagSink, at: Where): void {
  if (g.scriptUser && !probe.userExists(g.scriptUser.user)) {
    diags.error(at, `Error setting global script uid/gid: no user '${g.scriptUser.user}'`);
  }
}

/** The configuration as keepalived would run it: every script resolved and checked, dropped ones gone. */
export function vetScripts(c: KeepalivedConfig, probe: ScriptProbe, diags: DiagSink): KeepalivedConfig {
  const g = c.global;
  if (g.scriptUser) checkScriptUser(g, probe, diags, g.scriptUser.src);
  const v: Vet = (s, kind = { t: "notify" }) => vet(s, kind, g, probe, diags);
  const fifo = <F extends { script: ScriptSpec | null } | null>(f: F): F => (f ? { ...f, script: v(f.script) } : f);
  return {
    ...c,
    global: {
      ...g,
      startupScript: v(g.startupScript),
      shutdownScript: v(g.shutdownScript),
      notifyFifo: fifo(g.notifyFifo),
      vrrpNotifyFifo: fifo(g.vrrpNotifyFifo),
      lvsNotifyFifo: fifo(g.lvsNotifyFifo),
    },
    vrrp: vetTrackScripts(c, v, probe, diags),
    check: { ...c.check, virtualServers: c.check.virtualServers.map((vs) => vetVs(vs, v)) },
  };
}
