/**
 * The top-level keyword table of keepalived.conf(5) (global_defs, the top-level globals, VRRP blocks,
 * static addresses/routes/rules, LVS blocks, SSL and bfd_instance) and the raw, unvalidated result
 * of walking it.
 */
import type { InterfaceDelay, IpAddressSpec, RouteSpec, RuleSpec, SslSettings, VsgEntry } from "./model.ts";
import type { Token } from "./lexer.ts";
import type { Ctx, KwDef, Table } from "./tree.ts";
import { withKeywordChecks } from "./kw-checks.ts";
import { GLOBAL_DEFS, type GlobalDraft, TOP_GLOBAL } from "./kw-global.ts";
import { type InstanceDraft, newInstanceDraft, VRRP_INSTANCE } from "./kw-vrrp.ts";
import {
  GARP_GROUP,
  type GarpGroupDraft,
  parseIfDelay,
  type ScriptDraft,
  SYNC_GROUP,
  type SyncDraft,
  TRACK_FILE,
  TRACK_GROUP,
  TRACK_PROCESS,
  type TrackFileDraft,
  type TrackGroupDraft,
  type TrackProcessDraft,
  VRRP_SCRIPT,
} from "./kw-vrrp-misc.ts";
import { openVs, parseVsgEntry, SSL_TABLE, VIRTUAL_SERVER, type VsDraft } from "./kw-check.ts";
import { BFD_INSTANCE, type BfdDraft } from "./kw-bfd.ts";
import { BGP_ANNOUNCE, type BgpDraft, newBgpDraft } from "./kw-bgp.ts";
import { parseAddressEntry, parseRouteEntry, parseRuleEntry } from "./iproute.ts";
import type { Draft } from "./values.ts";

/** Everything the walker collected, before validation. */
export interface RawConfig {
  global: GlobalDraft;
  scripts: ScriptDraft[];
  trackFiles: TrackFileDraft[];
  trackProcesses: TrackProcessDraft[];
  garpGroups: GarpGroupDraft[];
  syncGroups: SyncDraft[];
  instances: InstanceDraft[];
  staticIps: IpAddressSpec[];
  staticRoutes: RouteSpec[];
  staticRules: RuleSpec[];
  trackGroups: TrackGroupDraft[];
  linkbeat: { name: string; type?: "MII" | "ETHTOOL" | "IOCTL"; src: { file: string; line: number } }[];
  ifDelays: (InterfaceDelay & { src: { file: string; line: number } })[];
  vsgs: { name: string; entries: VsgEntry[]; src: { file: string; line: number } }[];
  vss: VsDraft[];
  ssl: Draft<SslSettings> | null;
  bfds: BfdDraft[];
  bgps: BgpDraft[];
}

/** An empty raw config. */
export function newRaw(): RawConfig {
  return {
    global: {},
    scripts: [],
    trackFiles: [],
    trackProcesses: [],
    garpGroups: [],
    syncGroups: [],
    instances: [],
    staticIps: [],
    staticRoutes: [],
    staticRules: [],
    trackGroups: [],
    linkbeat: [],
    ifDelays: [],
    vsgs: [],
    vss: [],
    ssl: null,
    bfds: [],
    bgps: [],
  };
}

function name(args: readonly Token[], c: Ctx): string | undefined {
  const n = args[0]?.text;
  if (n === undefined) c.diags.error(c.at, `'${c.kw}' needs a name; block ignored`);
  else if (args.length > 1) c.diags.error(c.at, `'${c.kw} ${n}': extra words after the name ignored`);
  return n;
}

/** A named block whose draft is pushed onto `list(raw)`. */
function named<D extends object>(
  list: (r: RawConfig) => D[],
  make: (n: string, c: Ctx) => D,
  table: Table<D>,
): KwDef<RawConfig> {
  return {
    block: {
      open: (r, a, c) => {
        const n = name(a, c);
        if (n === undefined) return undefined;
        const d = make(n, c);
        list(r).push(d);
        return d;
      },
      table: () => table as Table<never>,
    },
  };
}

const topGlobals: Table<RawConfig> = Object.fromEntries(
  Object.entries(TOP_GLOBAL).map((
    [k, def],
  ) => [k, { h: (r: RawConfig, a: readonly Token[], c: Ctx) => def.h!(r.global, a, c) }]),
);

const trackFileDef = named((r) => r.trackFiles, (n, c) => ({ name: n, src: c.at }), TRACK_FILE);

/** The top-level keyword table, with the checks of kw-checks.ts (fatal missing parameters, unsupported keywords). */
export const ROOT: Table<RawConfig> = withKeywordChecks({
  ...topGlobals,
  global_defs: { block: { open: (r) => r.global, table: () => GLOBAL_DEFS as Table<never> } },
  vrrp_script: named((r) => r.scripts, (n, c) => ({ name: n, src: c.at }), VRRP_SCRIPT),
  vrrp_track_file: trackFileDef,
  track_file: trackFileDef,
  vrrp_track_process: named((r) => r.trackProcesses, (n, c) => ({ name: n, src: c.at }), TRACK_PROCESS),
  garp_group: {
    block: {
      open: (r, _a, c) => {
        const g: GarpGroupDraft = { src: c.at };
        r.garpGroups.push(g);
        return g;
      },
      table: () => GARP_GROUP as Table<never>,
    },
  },
  vrrp_sync_group: named(
    (r) => r.syncGroups,
    (n, c): SyncDraft => ({ name: n, src: c.at, notifyD: {} }),
    SYNC_GROUP,
  ),
  vrrp_instance: named((r) => r.instances, (n, c) => newInstanceDraft(n, c.at), VRRP_INSTANCE),
  static_ipaddress: {
    values: {
      item: (r, w, c) => {
        const a = parseAddressEntry(w, c);
        if (a) r.staticIps.push(a);
      },
    },
  },
  static_routes: {
    values: {
      item: (r, w, c) => {
        const a = parseRouteEntry(w, c);
        if (a) r.staticRoutes.push(a);
      },
    },
  },
  static_rules: {
    values: {
      item: (r, w, c) => {
        const a = parseRuleEntry(w, c);
        if (a) r.staticRules.push(a);
      },
    },
  },
  track_group: named((r) => r.trackGroups, (n, c) => ({ name: n, src: c.at }), TRACK_GROUP),
  linkbeat_interfaces: {
    values: {
      item: (r, w, c) => {
        const kind = w[1]?.text;
        if (kind !== undefined && !["MII", "ETHTOOL", "IOCTL"].includes(kind)) {
          c.diags.error(
            c.at,
            `linkbeat_interfaces: polling type must be MII, ETHTOOL or IOCTL, not '${kind}'`,
          );
        }
        const type = kind === "MII" || kind === "ETHTOOL" || kind === "IOCTL" ? kind : undefined;
        r.linkbeat.push({ name: w[0]!.text, ...(type ? { type } : {}), src: c.at });
      },
    },
  },
  interface_up_down_delays: {
    values: {
      item: (r, w, c) => {
        const d = parseIfDelay(w, c);
        if (d) r.ifDelays.push({ ...d, src: c.at });
      },
    },
  },
  virtual_server_group: {
    block: undefined,
    values: {
      open: (r, a, c) => {
        const n = name(a, c) ?? "";
        r.vsgs.push({ name: n, entries: [], src: c.at });
      },
      item: (r, w, c) => {
        const e = parseVsgEntry(w, c);
        if (e) r.vsgs[r.vsgs.length - 1]!.entries.push(e);
      },
    },
  },
  virtual_server: {
    block: {
      open: (r, a, c) => {
        const v = openVs(a, c);
        if (v) r.vss.push(v);
        return v;
      },
      table: () => VIRTUAL_SERVER as Table<never>,
    },
  },
  SSL: { block: { open: (r) => (r.ssl ??= {}), table: () => SSL_TABLE as Table<never> } },
  bfd_instance: named((r) => r.bfds, (n, c) => ({ name: n, src: c.at }), BFD_INSTANCE),
  bgp_announce: named((r) => r.bgps, (n, c) => newBgpDraft(n, c.at), BGP_ANNOUNCE),
});
