/**
 * Load-time checks that look at the running system, as keepalived 2.2.7 makes them when it reads
 * keepalived.conf(5): scripts (scripts.ts, security.ts) and the `smtp_server` name, which keepalived
 * resolves at load ("Invalid smtp server NAME PORT" when it does not resolve). Our alerter still
 * resolves the name again each time it sends, so a name that starts resolving later is used. Entry
 * options that are parsed and not implemented are reported here too (unsupported.ts).
 */
import type { DiagSink } from "./diag.ts";
import type { KeepalivedConfig } from "./model.ts";
import { parseIp } from "./ip.ts";
import { type ScriptProbe, vetScripts } from "./scripts.ts";
import { checkScriptSecurity } from "./security.ts";
import { reportUnsupportedOptions } from "./unsupported.ts";

/** System facts the load-time checks need (injected for tests). */
export interface IoProbe extends ScriptProbe {
  /** Does a host name resolve? Default (loadConfig): `getent ahosts NAME`. Absent: not checked. */
  readonly resolveHost?: (name: string) => boolean;
}

/** Run the load-time system checks; returns the configuration as it will run. */
export function validateWithIo(c: KeepalivedConfig, io: IoProbe, diags: DiagSink): KeepalivedConfig {
  const s = c.global.smtpServer;
  if (s && io.resolveHost && parseIp(s.host) === undefined && !io.resolveHost(s.host)) {
    diags.error(s.src ?? { file: c.file, line: 0 }, `Invalid smtp server ${s.host} ${s.port}`);
  }
  reportUnsupportedOptions(c, diags);
  // The `-t` security verdict is on the configuration as written, before vetting drops scripts.
  checkScriptSecurity(c, io, diags);
  return vetScripts(c, io, diags);
}
