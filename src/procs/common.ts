/** Small pieces shared by the parent and the children: logger set-up, config id, interface lookup. */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import type { CliOptions } from "../cli.ts";
import { type Diagnostic, formatDiagnostic } from "../config/diag.ts";
import { Logger } from "../core/log.ts";
import { SyslogSocket } from "../ffi/syslog.ts";
import { localTime } from "../ffi/libc.ts";
import { rtGuard } from "../core/rt-guard.ts";
import { dropExecutablePages } from "../ffi/resident.ts";
import { instanceIdent } from "../core/instance-files.ts";

/** keepalived's syslog identities. */
export const IDENTS = {
  parent: "Keepalived",
  vrrp: "Keepalived_vrrp",
  check: "Keepalived_healthcheckers",
  bfd: "Keepalived_bfd",
} as const;

/** The logger for a process, from the command line. */
export function makeLogger(o: CliOptions, who: keyof typeof IDENTS): Logger {
  const sys = o.noSyslog ? undefined : new SyslogSocket();
  let file = o.logFile;
  if (file && who !== "parent") file = file.replace(/(\.log)?$/, (m) => `_${who}${m}`);
  return new Logger({
    ident: instanceIdent(IDENTS[who], o.instance ?? null),
    console: o.logConsole,
    syslog: !o.noSyslog,
    facility: o.facility,
    file,
    detail: o.logDetail,
    syslogSend: sys ? (line) => void sys.send(line) : undefined,
    localTime,
  });
}

/** keepalived's default config id: the host name up to the first dot. */
export function configIdDefault(): string {
  return hostname().split(".")[0] ?? "";
}

/** Whether a network interface exists in this namespace now. */
export function interfaceExists(name: string): boolean {
  return name.length > 0 && !name.includes("/") && existsSync(`/sys/class/net/${name}`);
}

/** At most this many diagnostics of one load are logged (a garbage file gives one per line)... */
const MAX_LOGGED = 100;
/** ...each cut to this many characters. */
const MAX_LOGGED_CHARS = 512;

/** Logs configuration diagnostics, each as one line naming file and line; after MAX_LOGGED, a count. */
export function logLoad(log: Logger, diags: readonly Diagnostic[]): void {
  for (const d of diags.slice(0, MAX_LOGGED)) {
    const full = formatDiagnostic(d);
    const line = full.length > MAX_LOGGED_CHARS ? `${full.slice(0, MAX_LOGGED_CHARS)}... (${full.length} characters)` : full;
    if (d.severity === "info") log.info(line);
    else if (d.severity === "warning" || d.severity === "unsupported" || d.severity === "notice") log.warn(line);
    else log.error(line);
  }
  if (diags.length > MAX_LOGGED) log.error(`${diags.length - MAX_LOGGED} more configuration diagnostics not logged`);
}

/**
 * A full collection after a configuration was loaded and handed on. Processes run with Bun's GC timer
 * off (tuning.ts), so an idle parent kept everything a large parse left behind (10,000 real servers:
 * ~200 MiB) until it next allocated a lot.
 */
export function collectAfterLoad(): void {
  Bun.gc(true);
}

/** First unmapping of unused executable pages after start-up (src/ffi/resident.ts), ms. */
export const TRIM_FIRST_MS = 5000;
/** Then again every this many ms: pages a failover, a reload or the JIT touched once go too. */
export const TRIM_EVERY_MS = 60_000;

/**
 * Unmaps the executable's pages this process no longer uses, TRIM_FIRST_MS after it is up and then every
 * TRIM_EVERY_MS (docs/design.md, Footprint). KA_NO_TRIM=1 turns it off (the benchmark's "before").
 * The timers do not keep the process alive.
 */
export function startPageTrim(): void {
  if (process.env.KA_NO_TRIM === "1") return;
  // Reading /proc/self/smaps is tens of ms of one piece: a realtime child does it out of SCHED_RR.
  const trim = () => rtGuard.outside(dropExecutablePages);
  setTimeout(() => {
    trim();
    setInterval(trim, TRIM_EVERY_MS).unref();
  }, TRIM_FIRST_MS).unref();
}
