/** The parent's command-line pieces: what its children get, and its own pid file. */
import type { CliOptions } from "../cli.ts";
import { createPidFile } from "../core/pidfile.ts";

/** The options a child needs from the parent's command line (logging, config id, pid files, release). */
export function childArgs(o: CliOptions): string[] {
  const a = ["-n", "-f", o.configFile, `--log-facility=${facilityName(o.facility)}`];
  if (o.logConsole) a.push("-l");
  if (o.logDetail) a.push("-D");
  if (o.noSyslog) a.push("-G");
  if (o.logFile) a.push(`--log-file=${o.logFile}`);
  if (o.configId !== undefined) a.push("-i", o.configId);
  if (o.dontReleaseVrrp) a.push("-V");
  if (o.dontReleaseIpvs) a.push("-I");
  if (o.releaseVips) a.push("-X");
  if (o.addressMonitoring) a.push("-a");
  if (o.snmp) a.push("-x");
  if (o.instance !== undefined) a.push(`--instance=${o.instance}`);
  if (o.ipvsNamespace !== undefined) a.push(`--ipvs-namespace=${o.ipvsNamespace}`);
  return a;
}

/** The -S spelling of a facility number. */
export function facilityName(f: number): string {
  return f === 1 ? "user" : f >= 16 && f <= 23 ? `local${f - 16}` : "daemon";
}

/** Creates the parent's pid file; returns an error line or undefined. */
export function claimPidFile(o: CliOptions): string | undefined {
  try {
    createPidFile(o.pidFile);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
