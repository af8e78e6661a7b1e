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
const VI = ["vrrp_instance"];
const CHECKERS = ["HTTP_GET", "SSL_GET"].map((c) => `virtual_server/real_server/${c}`);

/** The table. */
export const UNSUPPORTED: readonly Unsupported[] = [
  {
    paths: G,
    keywords: ["fifo_write_vrrp_states_on_reload"],
    field: "fifoWriteVrrpStatesOnReload",
    note: "states are not rewritten to the FIFO on reload",
  },
  { paths: T, keywords: ["net_namespace"], field: "netNamespace", note: "the daemon does not enter a network namespace" },
  { paths: T, keywords: ["net_namespace_ipvs"], field: "netNamespaceIpvs", note: "IPVS is not driven in another namespace" },
  { paths: T, keywords: ["namespace_with_ipsets"], field: "namespaceWithIpsets", note: "no ipsets" },
  { paths: G, keywords: ["log_unknown_vrids"], field: "logUnknownVrids", note: "adverts for unknown VRIDs are not logged" },
  {
    paths: G,
    keywords: ["lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force"],
    field: "lvsNetlinkMonitorRcvBufs",
    note: "the check child has no netlink monitor socket to size (it does not follow interface addresses)",
  },
  { paths: G, keywords: ["vrrp_iptables"], field: "vrrpIptables", note: "no firewall rules are written" },
  { paths: G, keywords: ["vrrp_ipsets"], field: "vrrpIpsets", note: "no ipsets are written" },
  { paths: G, keywords: ["vrrp_min_garp"], field: "vrrpMinGarp", note: "the gratuitous ARP settings are not changed" },
  { paths: G, keywords: ["vmac_addr_prefix"], field: "vmacAddrPrefix", note: "VMAC address interfaces keep the default name" },
  { paths: G, keywords: ["disable_local_igmp"], field: "disableLocalIgmp", note: "IGMP reports are not turned off" },
  { paths: VI, keywords: ["debug"], field: "debugLevel", note: "no per-instance debug level" },
  { paths: VI, keywords: ["native_ipv6"], field: "nativeIpv6", note: "no native IPv6 VMAC mode" },
  {
    paths: VI,
    keywords: ["lvs_sync_daemon_interface"],
    field: "lvsSyncDaemonInterface",
    note: "use global_defs lvs_sync_daemon",
  },
  { paths: VI, keywords: ["use_vmac_addr"], field: "useVmacAddr", note: "the VMAC address is not used on the base interface" },
  { paths: CHECKERS.map((c) => `${c}/url`), keywords: ["regex_stack"], field: "regexStack", note: "JavaScript regular expressions need no stack size" },
  { paths: ["bfd_instance"], keywords: ["vrrp"], field: "toVrrp", note: "BFD events go to both children" },
  { paths: ["bfd_instance"], keywords: ["checker"], field: "toChecker", note: "BFD events go to both children" },
];

/** An option inside address / route / rule entries that is parsed and has no effect. */
export interface UnsupportedOption {
  readonly option: string;
  /** The entry field it sets (on IpAddressSpec, RouteSpec or RuleSpec). */
  readonly field: "autoJoin" | "noTrack" | "useVmac";
  readonly note: string;
}

/** Entry options (virtual_ipaddress, virtual_routes, virtual_rules and their static_* forms). */
export const UNSUPPORTED_OPTIONS: readonly UnsupportedOption[] = [
  { option: "autojoin", field: "autoJoin", note: "the address is added without IFA_F_MCAUTOJOIN" },
  { option: "no_track", field: "noTrack", note: "a missing entry is restored like any other" },
  { option: "use_vmac", field: "useVmac", note: "the address stays on the instance's interface" },
];

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
