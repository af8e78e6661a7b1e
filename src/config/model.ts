/**
 * Typed, immutable, JSON-serialisable model of a keepalived.conf (keepalived.conf(5), all areas).
 *
 * Rules for every type here: plain objects and arrays only (no Map, class or function), `null` for
 * "not configured" (never `undefined`), units in field names (`...Ms`, `...Bytes`). The parent sends
 * each child its slice (see `sliceFor`) over IPC as JSON, so `JSON.parse(JSON.stringify(x))` must
 * equal `x` for every value of these types.
 */

export type { Family, ScriptSpec, SourceRef } from "./model-base.ts";
import type { Family, ScriptSpec, SourceRef } from "./model-base.ts";
export type { FifoSpec, GlobalDefs, LvsSyncDaemon, MetricsCompat, NftablesSettings, ProcessSchedule, RcvBuf, RxBufsPolicy } from "./model-global.ts";
import type { GlobalDefs } from "./model-global.ts";

/** One `ip addr`-style entry (virtual_ipaddress, virtual_ipaddress_excluded, static_ipaddress). */
export interface IpAddressSpec {
  readonly family: Family;
  /** Address without prefix, canonical text form. */
  readonly address: string;
  /** Prefix length; default 32 (IPv4) or 128 (IPv6). */
  readonly prefixLen: number;
  /** `brd`: broadcast address, or "+" / "-" as in ip(8); null = none. */
  readonly broadcast: string | null;
  /** `dev`: interface; null = the instance's interface (or default_interface for static). */
  readonly dev: string | null;
  /** `scope`: host|link|site|global|nowhere or a number; null = global. */
  readonly scope: string | null;
  /** `label`: interface label (IPv4 only). */
  readonly label: string | null;
  /** `peer`: point-to-point peer address (with optional /len). */
  readonly peer: string | null;
  /** `-nodad` (IPv6): skip duplicate address detection. */
  readonly noDad: boolean;
  /** `noprefixroute`: do not add the prefix route. */
  readonly noPrefixRoute: boolean;
  /** `home` (IPv6 mobility home address flag). */
  readonly home: boolean;
  /** `autojoin` (multicast auto-join). */
  readonly autoJoin: boolean;
  /** `no_track`: a missing address does not put the instance into FAULT. */
  readonly noTrack: boolean;
  /** `preferred_lft`: 0 (deprecated) or forever (null). */
  readonly preferredLftS: number | null;
  /** `use_vmac [NAME]`: address lives on a VMAC; `vmacName` may be null (generated). */
  readonly useVmac: boolean;
  readonly vmacName: string | null;
  /** `track_group NAME` (static addresses only). */
  readonly trackGroup: string | null;
  readonly src: SourceRef;
}

/** One next hop of a multipath route (`nexthop via ... dev ... weight ...`). */
export interface NextHopSpec {
  readonly via: string | null;
  readonly dev: string | null;
  readonly weight: number | null;
  /** `onlink` flag. */
  readonly onlink: boolean;
  /** `realms` value as text. */
  readonly realms: string | null;
}

/** One `ip route`-style entry (virtual_routes, static_routes). */
export interface RouteSpec {
  readonly family: Family;
  /** Route type: unicast (default), blackhole, unreachable, prohibit, throw, local, broadcast, anycast, multicast, nat. */
  readonly type: string;
  /** Destination prefix "ADDR/LEN" ("0.0.0.0/0" or "::/0" for default). */
  readonly dest: string;
  /** `src` preferred source address. */
  readonly prefSrc: string | null;
  /** `from` source prefix (IPv6 source routing). */
  readonly fromPrefix: string | null;
  readonly via: string | null;
  readonly dev: string | null;
  /** Routing table number (names like main resolved to numbers), null = main. */
  readonly table: number | null;
  readonly metric: number | null;
  /** `scope` text, null = default for the type. */
  readonly scope: string | null;
  /** `protocol` text (boot, static, kernel... or number), null = default. */
  readonly protocol: string | null;
  readonly onlink: boolean;
  /** `no_track`: a missing route does not put the instance into FAULT. */
  readonly noTrack: boolean;
  readonly nexthops: readonly NextHopSpec[];
  /** Remaining route attributes (mtu, advmss, window, rtt, realms, tos, pref, ...), value as written. */
  readonly options: Readonly<Record<string, string>>;
  /** `track_group NAME` (static routes only). */
  readonly trackGroup: string | null;
  readonly src: SourceRef;
}

/** One `ip rule`-style entry (virtual_rules, static_rules). */
export interface RuleSpec {
  readonly family: Family;
  /** `from` prefix, null = all. */
  readonly from: string | null;
  /** `to` prefix, null = all. */
  readonly to: string | null;
  /** `preference`/`priority`/`order`; null = unset (the kernel picks). */
  readonly preference: number | null;
  /** Action: table (default), goto, nop, blackhole, unreachable, prohibit. */
  readonly action: string;
  readonly table: number | null;
  readonly gotoTarget: number | null;
  readonly not: boolean;
  /** `no_track`. */
  readonly noTrack: boolean;
  /** Remaining selectors (iif, oif, fwmark, tos, uidrange, sport, dport, ipproto, ...), value as written. */
  readonly options: Readonly<Record<string, string>>;
  readonly trackGroup: string | null;
  readonly src: SourceRef;
}

/** `vrrp_script NAME {}`. */
export interface VrrpScript {
  readonly name: string;
  readonly script: ScriptSpec | null;
  /** Default 1000. */
  readonly intervalMs: number;
  /** null = interval. */
  readonly timeoutMs: number | null;
  /** -253..253; 0 means a failure puts trackers into FAULT. */
  readonly weight: number;
  readonly weightReverse: boolean;
  /** Default 1. */
  readonly rise: number;
  /** Default 1. */
  readonly fall: number;
  readonly initFail: boolean;
  readonly src: SourceRef;
}

/** `vrrp_track_file` / `track_file NAME {}`. */
export interface TrackFileDef {
  readonly name: string;
  readonly path: string | null;
  /** Default 1. */
  readonly weight: number;
  readonly weightReverse: boolean;
  /** `init_file [VALUE] [overwrite]`: create the file with VALUE (default 0) if missing. */
  readonly initFile: { readonly value: number; readonly overwrite: boolean } | null;
  readonly src: SourceRef;
}

/** `vrrp_track_process NAME {}`. */
export interface TrackProcessDef {
  readonly name: string;
  readonly process: string | null;
  readonly params: readonly string[];
  /** `param_match exact|partial|initial`. Default exact when params given. */
  readonly paramMatch: "exact" | "partial" | "initial";
  /** Default 1. */
  readonly quorum: number;
  /** Default unlimited (null). */
  readonly quorumMax: number | null;
  /** -254..254, default 0 (not running = FAULT). */
  readonly weight: number;
  readonly weightReverse: boolean;
  /** Delay before acting on a process start. Default 0. */
  readonly forkDelayMs: number;
  /** Delay before acting on a process exit. Default 0. */
  readonly terminateDelayMs: number;
  readonly fullCommand: boolean;
  readonly src: SourceRef;
}

/** `garp_group {}`. */
export interface GarpGroup {
  readonly garpIntervalMs: number | null;
  readonly gnaIntervalMs: number | null;
  readonly interfaces: readonly string[];
  readonly src: SourceRef;
}

/** A reference from an instance or sync group to a tracker, with an optional weight override. */
export interface TrackRef {
  readonly name: string;
  /** null = the tracker's own weight (scripts/files/processes) or FAULT (interfaces). */
  readonly weight: number | null;
  readonly reverse: boolean;
  readonly src: SourceRef;
}

/** Notify scripts shared by instances and sync groups. */
export interface NotifyScripts {
  readonly master: ScriptSpec | null;
  readonly backup: ScriptSpec | null;
  readonly fault: ScriptSpec | null;
  readonly stop: ScriptSpec | null;
  readonly deleted: ScriptSpec | null;
  readonly masterRxLowerPri: ScriptSpec | null;
  /** `notify`: gets TYPE NAME STATE PRIORITY appended. */
  readonly generic: ScriptSpec | null;
  readonly priorityChanges: boolean;
}

/** `vrrp_sync_group NAME {}`. */
export interface SyncGroup {
  readonly name: string;
  readonly members: readonly string[];
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackScripts: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
  readonly trackProcesses: readonly TrackRef[];
  readonly trackBfds: readonly TrackRef[];
  readonly notify: NotifyScripts;
  readonly smtpAlert: boolean | null;
  readonly globalTracking: boolean;
  readonly syncGroupTrackingWeight: boolean;
  readonly src: SourceRef;
}

/** `unicast_peer { IP [min_ttl N] [max_ttl N] }` entry. */
export interface UnicastPeer {
  readonly address: string;
  readonly minTtl: number | null;
  readonly maxTtl: number | null;
}

/** `use_vmac [NAME] [MAC]` / `use_ipvlan [NAME] [ADDR] [bridge|private|vepa]`. */
export interface VmacSpec {
  readonly name: string | null;
  readonly mac: string | null;
  readonly ipvlan: boolean;
  readonly ipvlanAddress: string | null;
  readonly ipvlanMode: string | null;
}

/** `vrrp_instance NAME {}` after validation (defaults applied). */
export interface VrrpInstance {
  readonly name: string;
  /** Initial state wanted: MASTER or BACKUP (default BACKUP; priority 255 forces MASTER). */
  readonly initialState: "MASTER" | "BACKUP";
  readonly interface: string | null;
  /** 1..255. 0 = not configured (an error). */
  readonly vrid: number;
  /** 1..255. Default 100, or 255 when `state MASTER` is given without a priority; 255 = address owner. */
  readonly priority: number;
  /** Advertisement interval: v2 whole seconds, v3 rounded to centiseconds. Default 1000. */
  readonly advertIntMs: number;
  readonly version: 2 | 3;
  /** Family of the VIPs; null when the instance has none. */
  readonly family: Family | null;
  readonly vmac: VmacSpec | null;
  readonly useVmacAddr: boolean;
  readonly vmacXmitBase: boolean;
  readonly nativeIpv6: boolean;
  readonly dontTrackPrimary: boolean;
  readonly mcastSrcIp: string | null;
  readonly mcastDstIp: string | null;
  readonly unicastSrcIp: string | null;
  readonly unicastPeers: readonly UnicastPeer[];
  readonly unicastFaultNoPeer: boolean;
  /** Default 255. */
  readonly unicastTtl: number;
  readonly checkUnicastSrc: boolean;
  readonly trackSrcIp: boolean;
  /** `old_unicast_checksum [never]`. */
  readonly oldUnicastChecksum: boolean;
  readonly garpMasterDelayMs: number;
  readonly garpMasterRepeat: number;
  readonly garpLowerPrioDelayMs: number;
  readonly garpLowerPrioRepeat: number;
  readonly garpMasterRefreshMs: number;
  readonly garpMasterRefreshRepeat: number;
  readonly garpExtraIf: { readonly delayMs: number; readonly all: boolean } | null;
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  /**
   * `timer_expired_backup [PRIO]` (keepalived after 2.2.7): with nopreempt, a MASTER whose advert timer
   * fires so late that a router of this priority (default 254) would have taken over goes BACKUP; null = off.
   */
  readonly timerExpiredBackup: number | null;
  /** global_defs `vrrp_owner_ignore_adverts` (keepalived after 2.2.7): an owner (priority 255) drops adverts. */
  readonly ownerIgnoreAdverts: boolean;
  /** `v3_checksum_as_v2`: VRRPv3 IPv4 checksum without the pseudo-header (interop). */
  readonly v3ChecksumAsV2: boolean;
  /** `no_virtual_ipaddress`: an instance without VIPs is intended (no warning). */
  readonly noVirtualIpaddress: boolean;
  /** Legacy v2 authentication; null = none. */
  readonly auth: { readonly type: "PASS" | "AH"; readonly password: string } | null;
  readonly virtualIpaddresses: readonly IpAddressSpec[];
  readonly virtualIpaddressesExcluded: readonly IpAddressSpec[];
  readonly promoteSecondaries: boolean;
  readonly virtualRoutes: readonly RouteSpec[];
  readonly virtualRules: readonly RuleSpec[];
  /** Accept mode (answer on VIPs while MASTER without owning them). Default: true unless strict. */
  readonly accept: boolean;
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  readonly skipCheckAdvAddr: boolean;
  readonly strictMode: boolean;
  readonly notify: NotifyScripts;
  readonly smtpAlert: boolean | null;
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackScripts: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
  readonly trackProcesses: readonly TrackRef[];
  readonly trackBfds: readonly TrackRef[];
  /** Deprecated per-instance `lvs_sync_daemon_interface`. */
  readonly lvsSyncDaemonInterface: string | null;
  readonly kernelRxBufSizeBytes: number | null;
  readonly linkbeatUsePolling: boolean;
  readonly debugLevel: number;
  /** Name of the sync group this instance is a member of (filled by validation). */
  readonly syncGroup: string | null;
  readonly src: SourceRef;
}

/** `track_group NAME { group { VI_1 ... } }` used by static addresses/routes/rules. */
export interface TrackGroup {
  readonly name: string;
  readonly members: readonly string[];
  readonly src: SourceRef;
}

/** `interface_up_down_delays { IF UP_DELAY [DOWN_DELAY] }` entry. */
export interface InterfaceDelay {
  readonly ifname: string;
  readonly upDelayMs: number;
  readonly downDelayMs: number;
}

/** Everything the VRRP child needs from the config besides globals. */
export interface VrrpSection {
  readonly scripts: readonly VrrpScript[];
  readonly trackFiles: readonly TrackFileDef[];
  readonly trackProcesses: readonly TrackProcessDef[];
  readonly garpGroups: readonly GarpGroup[];
  readonly syncGroups: readonly SyncGroup[];
  readonly instances: readonly VrrpInstance[];
  readonly staticIpaddresses: readonly IpAddressSpec[];
  readonly staticRoutes: readonly RouteSpec[];
  readonly staticRules: readonly RuleSpec[];
  readonly trackGroups: readonly TrackGroup[];
  readonly linkbeatInterfaces: readonly string[];
  /** The polling type given to a linkbeat_interfaces entry (`eth0 MII`), by interface. */
  readonly linkbeatTypes: Readonly<Record<string, "MII" | "ETHTOOL" | "IOCTL">>;
  readonly interfaceUpDownDelays: readonly InterfaceDelay[];
}

export type {
  Checker,
  CheckerCommon,
  CheckSection,
  ForwardMethod,
  HttpUrl,
  RealServer,
  ServerTiming,
  SorryServer,
  SslSettings,
  VirtualServer,
  VirtualServerGroup,
  VsgEntry,
} from "./model-check.ts";
export type { BfdInstance, BfdSection } from "./model-bfd.ts";
import type { CheckSection } from "./model-check.ts";
import type { BfdSection } from "./model-bfd.ts";
export type { BgpAnnounce, BgpPrefix, BgpSection } from "./model-bgp.ts";
import type { BgpSection } from "./model-bgp.ts";

/** The whole parsed and validated configuration. */
export interface KeepalivedConfig {
  /** Main config file path. */
  readonly file: string;
  readonly global: GlobalDefs;
  readonly vrrp: VrrpSection;
  readonly check: CheckSection;
  readonly bfd: BfdSection;
  /** Our bgp_announce blocks (docs/bgp.md); the parent owns them. */
  readonly bgp: BgpSection;
}
