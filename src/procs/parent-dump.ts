/**
 * The parent's USR1 data dump (keepalived writes one per process): keepalived 2.2.7's Global definitions
 * as its parent writes them (src/dump/ka-global.ts), then ours: configuration file and generation,
 * the parent's pid, each child with its pid, state and restart count, alert mail counters and the
 * metrics address, and the state of each bgp_announce. Written with writeDumpFile (never through a planted symlink) to
 * $TMPDIR/keepalived_parent.data, or to `state_dump_file` with `_parent` before its extension.
 */
import type { Role } from "../core/ipc.ts";
import { dumpPath } from "../core/dumpfile.ts";
import type { MailStats } from "../alert/mailer.ts";
import { describe } from "./supervise.ts";
import type { GlobalDefs } from "../config/model.ts";
import { globalSection } from "../dump/ka-global.ts";

/** One child in the dump. */
export interface DumpChild {
  role: Role;
  pid: number | undefined;
  ready: boolean;
  restarts: number;
  /** Instances the child last reported in FAULT (VRRP): running, but not doing their job. */
  faulty?: readonly string[];
}

/** What the dump shows. */
export interface ParentDumpInfo {
  configFile: string;
  generation: number;
  pid: number;
  /** The configuration's globals: keepalived's section opens the file. */
  global: GlobalDefs | null;
  children: readonly DumpChild[];
  smtp: { target: string; stats: MailStats } | null;
  metricsUrl: string | null;
  /** bgp_announce name -> "on metric N" / "off" (docs/bgp.md); left out when none is configured. */
  bgp?: ReadonlyMap<string, string>;
}

/** Where the parent's data dump goes: `state_dump_file` with `_parent` inserted, else keepalived_parent.data. */
export function parentDumpPath(stateDumpFile: string | null, instance: string | null = null): string {
  return dumpPath("data", "parent", stateDumpFile, instance);
}

/** The dump text. */
export function parentDataDump(d: ParentDumpInfo, now = new Date()): string {
  const out = [
    ...(d.global ? globalSection(d.global, "parent") : []),
    "------< Keepalived parent >------",
    ` Dumped at = ${now.toUTCString()}`,
    ` Config file = ${d.configFile}`,
    ` Config generation = ${d.generation}`,
    ` Parent pid = ${d.pid}`,
    ` Children (${d.children.length}):`,
  ];
  for (const c of d.children) {
    out.push(
      `   ${describe(c.role)} child`,
      `     Pid = ${c.pid ?? "(not running)"}`,
      `     State = ${c.pid === undefined ? "restarting" : c.ready ? "running" : "starting"}` +
        (c.pid !== undefined && c.faulty?.length ? `, ${c.faulty.length} instance(s) in FAULT: ${c.faulty.join(", ")}` : ""),
      `     Restarts = ${c.restarts}`,
    );
  }
  if (d.smtp) {
    const s = d.smtp.stats;
    out.push(
      ` SMTP server = ${d.smtp.target}`,
      `   Alerts sent = ${s.sent}, failed attempts = ${s.failedAttempts}, dropped = ${s.dropped}, queued = ${s.queued}`,
    );
  } else out.push(" SMTP alerts = not configured");
  out.push(` Metrics = ${d.metricsUrl ?? "off"}`);
  if (d.bgp?.size) {
    out.push(` BGP announcements (${d.bgp.size}):`);
    for (const [name, state] of d.bgp) out.push(`   ${name} = ${state}`);
  }
  return out.join("\n") + "\n";
}
