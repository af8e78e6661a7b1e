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

/** The table. */
export const UNSUPPORTED: readonly Unsupported[] = [
  {
    paths: T,
    keywords: ["namespace_with_ipsets"],
    field: "namespaceWithIpsets",
    note: "there are no ipsets to make in a namespace (Debian's keepalived 2.2.7, built without ipsets, does nothing with it either)",
  },
  {
    paths: G,
    keywords: ["lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force"],
    field: "lvsNetlinkMonitorRcvBufs",
    note: "keepalived's checker sizes its address monitor socket (it drives ha_suspend); ours has none: it polls the host's addresses",
  },
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
