/**
 * Script security check of keepalived.conf(5) "SCRIPTS": a script that exists and would run as root
 * while `enable_script_security` is off is a security problem (`keepalived -t` exit 6). Scripts run as
 * the script's own user, else `script_user`, else `keepalived_script` when that user exists, else root.
 * Scripts whose program cannot be found are not run at all, so they raise nothing here.
 */
import type { DiagSink } from "./diag.ts";
import type { GlobalDefs, KeepalivedConfig, ScriptSpec } from "./model.ts";

/** File-system facts the check needs (injected for tests). */
export interface SecurityProbe {
  readonly isExecutable: (path: string) => boolean;
  readonly userExists: (name: string) => boolean;
}

const PATH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Every script the configuration would run (vrrp_scripts only when tracked). */
export function allScripts(c: Omit<KeepalivedConfig, "file">): ScriptSpec[] {
  const out: (ScriptSpec | null)[] = [
    c.global.startupScript,
    c.global.shutdownScript,
    c.global.notifyFifo?.script ?? null,
    c.global.vrrpNotifyFifo?.script ?? null,
    c.global.lvsNotifyFifo?.script ?? null,
  ];
  // A vrrp_script only runs when an instance or sync group tracks it.
  const tracked = new Set<string>();
  for (const t of [...c.vrrp.instances, ...c.vrrp.syncGroups]) {
    for (const r of t.trackScripts) tracked.add(r.name);
  }
  for (const s of c.vrrp.scripts) if (tracked.has(s.name)) out.push(s.script);
  for (const n of [...c.vrrp.instances.map((i) => i.notify), ...c.vrrp.syncGroups.map((g) => g.notify)]) {
    out.push(n.master, n.backup, n.fault, n.stop, n.deleted, n.masterRxLowerPri, n.generic);
  }
  for (const vs of c.check.virtualServers) {
    out.push(vs.quorumUp, vs.quorumDown);
    for (const rs of vs.realServers) {
      out.push(rs.notifyUp, rs.notifyDown);
      for (const ck of rs.checkers) if (ck.type === "MISC_CHECK") out.push(ck.script);
    }
  }
  return out.filter((s): s is ScriptSpec => s !== null);
}

function resolve(prog: string, probe: SecurityProbe): string | undefined {
  if (prog.includes("/")) return probe.isExecutable(prog) ? prog : undefined;
  for (const d of PATH_DIRS) if (probe.isExecutable(`${d}/${prog}`)) return `${d}/${prog}`;
  return undefined;
}

function runsAsRoot(s: ScriptSpec, g: GlobalDefs, probe: SecurityProbe): boolean {
  const user = s.user ?? g.scriptUser?.user ??
    (probe.userExists("keepalived_script") ? "keepalived_script" : "root");
  return user === "root";
}

/** Report one security diagnostic when any runnable script would run as root without script security. */
export function checkScriptSecurity(
  c: Omit<KeepalivedConfig, "file">,
  probe: SecurityProbe,
  diags: DiagSink,
): void {
  if (c.global.enableScriptSecurity) return;
  for (const s of allScripts(c)) {
    const prog = s.argv[0];
    if (prog === undefined || resolve(prog, probe) === undefined) continue;
    if (s.user !== null && !probe.userExists(s.user)) continue; // keepalived will not run it at all
    if (!runsAsRoot(s, c.global, probe)) continue;
    diags.add(s.src, "security", `script '${prog}' would run as root but enable_script_security is not set`);
    return;
  }
}
