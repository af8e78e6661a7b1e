/**
 * Script security verdict of keepalived.conf(5) "SCRIPTS" for `keepalived -t`: when
 * `enable_script_security` is off and any script the configuration would run exists and would run as
 * root, keepalived 2.2.7 ends `-t` with "SECURITY VIOLATION - scripts are being executed but
 * script_security not enabled." (exit 6), adding "There are insecure scripts." when one of them can
 * be changed by a non-root user. A script runs as its own user, else `script_user`, else
 * `keepalived_script` when that account exists, else root. Scripts that cannot be found do not count;
 * scripts that exist but are not executable do (keepalived checks that only when it starts them).
 */
import type { DiagSink } from "./diag.ts";
import type { KeepalivedConfig, ScriptSpec } from "./model.ts";
import { resolveScript, runAsUser, type ScriptProbe } from "./scripts.ts";

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

/** Report one security diagnostic when any existing script would run as root without script security. */
export function checkScriptSecurity(
  c: Omit<KeepalivedConfig, "file">,
  probe: ScriptProbe,
  diags: DiagSink,
): void {
  if (c.global.enableScriptSecurity) return;
  let first: ScriptSpec | undefined;
  let insecure = false;
  for (const s of allScripts(c)) {
    if (s.user !== null && !probe.userExists(s.user)) continue; // keepalived will not run it at all
    if (runAsUser(s, c.global, probe) !== "root") continue;
    const r = resolveScript(s.argv[0] ?? "", c.global, probe);
    if (!r.found) continue;
    first ??= s;
    if (r.insecure) insecure = true;
  }
  if (!first) return;
  diags.add(
    first.src,
    "security",
    "SECURITY VIOLATION - scripts are being executed but script_security not enabled." +
      (insecure ? " There are insecure scripts." : "") + ` (first: '${first.argv[0]}' runs as root)`,
  );
}
