/**
 * Every keepalived.conf(5) keyword we parse but do not act on, in one table: each use is reported at
 * load with its line ("unsupported" diagnostic: logged as a warning, no change to the `-t` exit code,
 * since keepalived itself accepts these keywords), docs/config.md ("Not implemented") lists them, and
 * test/unit/config/unsupported.test.ts checks the table against the keyword trees and the model: an entry
 * must name a real keyword, its model field must not be read outside src/config (once it is, the
 * keyword is implemented and leaves the table), and a model field that nothing outside src/config reads
 * must be in this table or on the test's list of fields consumed inside the configuration code.
 */
import type { DiagSink, Where } from "./diag.ts";
import type { KeepalivedConfig } from "./model.ts";

/** One keyword that is accepted and has no effect. */
export interface Unsupported {
  /** Block paths the keyword is registered under ("" = top level; nested blocks joined by "/"). */
  readonly paths: readonly string[];
  readonly keywords: readonly string[];
  /** The model field the keyword fills (checked by the test). */
  readonly field: string;
  /** What is missing, for the load-time message and the docs. */
  readonly note: string;
}

const G = ["global_defs"];
const T = [""];
const CHECKERS = ["HTTP_GET", "SSL_GET"].map((c) => `virtual_server/real_server/${c}`);

const sched = (p: string, field: string): Unsupported => ({
  paths: G,
  keywords: ["priority", "no_swap", "rt_priority", "cpu_affinity", "rlimit_rttime", "rlimit_rtime"].map((k) => `${p}_${k}`),
  field,
  note: `the ${p} process's nice value, realtime scheduling, CPU affinity, memory locking and rlimit are not set`,
});

/** The table. */
export const UNSUPPORTED: readonly Unsupported[] = [
  sched("vrrp", "vrrpSched"),
  sched("checker", "checkerSched"),
  sched("bfd", "bfdSched"),
  {
    paths: G,
    keywords: ["process_names", "process_name", "vrrp_process_name", "checker_process_name", "bfd_process_name"],
    field: "processNames",
    note: "process names are not changed",
  },
  { paths: G, keywords: ["config_save_dir"], field: "configSaveDir", note: "the configuration is not saved" },
  { paths: G, keywords: ["tmp_config_directory"], field: "tmpConfigDirectory", note: "no temporary configuration copies are made" },
  { paths: G, keywords: ["data_use_instance"], field: "dataUseInstance", note: "dump file names do not carry the instance" },
  { paths: G, keywords: ["json_version"], field: "jsonVersion", note: "one JSON dump format only" },
  { paths: T, keywords: ["instance"], field: "instanceName", note: "file names do not carry the instance name" },
  { paths: T, keywords: ["use_pid_dir"], field: "usePidDir", note: "pid files stay in /run" },
  { paths: T, keywords: ["net_namespace"], field: "netNamespace", note: "the daemon does not enter a network namespace" },
  { paths: T, keywords: ["net_namespace_ipvs"], field: "netNamespaceIpvs", note: "IPVS is not driven in another namespace" },
  { paths: T, keywords: ["namespace_with_ipsets"], field: "namespaceWithIpsets", note: "no ipsets" },
  {
    paths: G,
    keywords: ["lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force"],
    field: "lvsNetlinkCmdRcvBufs",
    note: "netlink buffer sizes are not set",
  },
  {
    paths: G,
    keywords: ["lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force"],
    field: "lvsNetlinkMonitorRcvBufs",
    note: "netlink buffer sizes are not set",
  },
  {
    paths: G,
    keywords: ["vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force"],
    field: "vrrpNetlinkCmdRcvBufs",
    note: "netlink buffer sizes are not set",
  },
  {
    paths: G,
    keywords: ["vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force"],
    field: "vrrpNetlinkMonitorRcvBufs",
    note: "netlink buffer sizes are not set",
  },
  {
    paths: G,
    keywords: ["process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force"],
    field: "processMonitorRcvBufs",
    note: "the process connector socket keeps its own 1 MiB receive buffer",
  },
  {
    paths: G,
    keywords: ["nftables_ipvs", "nftables_ipvs_priority", "nftables_ipvs_start_fwmark"],
    field: "ipvsTable",
    note: "no nftables fwmark rules are written for virtual server groups",
  },
  { paths: G, keywords: ["vrrp_iptables"], field: "vrrpIptables", note: "no firewall rules are written" },
  { paths: G, keywords: ["vrrp_ipsets"], field: "vrrpIpsets", note: "no ipsets are written" },
  { paths: G, keywords: ["reload_time_file"], field: "reloadTimeFile", note: "no timed reloads" },
  { paths: G, keywords: ["reload_repeat"], field: "reloadRepeat", note: "no timed reloads" },
  { paths: G, keywords: ["reload_file"], field: "reloadFile", note: "no reload file" },
  { paths: G, keywords: ["reload_check_config"], field: "reloadCheckConfig", note: "a reload is not checked in a separate process" },
  { paths: G, keywords: ["max_auto_priority"], field: "maxAutoPriority", note: "no automatic realtime priority" },
  { paths: G, keywords: ["min_auto_priority_delay"], field: "minAutoPriorityDelayUs", note: "no automatic realtime priority" },
  { paths: ["virtual_server"], keywords: ["snmp_name"], field: "snmpName", note: "not in our SNMP virtual server table" },
  { paths: CHECKERS.map((c) => `${c}/url`), keywords: ["regex_stack"], field: "regexStack", note: "JavaScript regular expressions need no stack size" },
];

/** An option inside address / route / rule entries that is parsed and has no effect. */
export interface UnsupportedOption {
  readonly option: string;
  /** The entry field it sets (on IpAddressSpec, RouteSpec or RuleSpec). */
  readonly field: never;
  readonly note: string;
}

/** Entry options (virtual_ipaddress, virtual_routes, virtual_rules and their static_* forms). */
export const UNSUPPORTED_OPTIONS: readonly UnsupportedOption[] = [];

type Entry = { readonly src: Where } & Partial<Record<UnsupportedOption["field"], unknown>>;

/** Report every entry option of UNSUPPORTED_OPTIONS that a configuration uses, at its line. */
export function reportUnsupportedOptions(c: KeepalivedConfig, diags: DiagSink): void {
  const entries: Entry[] = [
    ...c.vrrp.staticIpaddresses,
    ...c.vrrp.staticRoutes,
    ...c.vrrp.staticRules,
    ...c.vrrp.instances.flatMap((i) => [
      ...i.virtualIpaddresses,
      ...i.virtualIpaddressesExcluded,
      ...i.virtualRoutes,
      ...i.virtualRules,
    ]),
  ];
  for (const e of entries) {
    for (const o of UNSUPPORTED_OPTIONS) {
      if (e[o.field]) diags.add(e.src, "unsupported", `option '${o.option}' is not implemented (${o.note}); it has no effect`);
    }
  }
  // use_vmac belongs to virtual addresses (src/config/vmac-addr.ts); keepalived 2.2.7 -t: exit 5, these words.
  for (const a of c.vrrp.staticIpaddresses) {
    if (a.useVmac) diags.error(a.src, "Unknown configuration entry 'use_vmac' for ip address - ignoring");
  }
  // track_group acts on static addresses and routes (src/vrrp/track-group.ts); keepalived 2.2.7 was seen
  // to do nothing with it on a static rule, and neither do we.
  for (const r of c.vrrp.staticRules) {
    if (r.trackGroup !== null) {
      diags.add(r.src, "unsupported", "option 'track_group' has no effect on a static rule (keepalived 2.2.7 neither tracks nor restores static rules)");
    }
  }
}

/** Block path -> keyword -> its entry. */
const BY_PATH: ReadonlyMap<string, ReadonlyMap<string, Unsupported>> = (() => {
  const m = new Map<string, Map<string, Unsupported>>();
  for (const u of UNSUPPORTED) {
    for (const p of u.paths) {
      const byKw = m.get(p) ?? new Map<string, Unsupported>();
      for (const k of u.keywords) byKw.set(k, u);
      m.set(p, byKw);
    }
  }
  return m;
})();

/** The entry for keyword `kw` in block path `path`, if it is parsed and not acted on. */
export function unsupportedAt(path: string, kw: string): Unsupported | undefined {
  return BY_PATH.get(path)?.get(kw);
}

/** The load-time message for one use. */
export function unsupportedMessage(kw: string, u: Unsupported): string {
  return `'${kw}' is not implemented (${u.note}); it has no effect`;
}
