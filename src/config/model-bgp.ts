/**
 * Typed model of `bgp_announce` blocks: our own keyword (not keepalived's), documented in docs/bgp.md.
 * An announcement puts prefixes on a TUN device that FRR's zebra sees as connected routes, while the VRRP
 * instances, sync groups and virtual servers it follows allow it. Import through model.ts. Same JSON
 * rules as model.ts.
 */
import type { Family, SourceRef } from "./model-base.ts";

/**
 * Route metric of a VRRP VIP that an announcement also puts on its TUN device. zebra picks, among
 * connected routes of one prefix, the lowest metric (FRR 8.4 rib_choose_best), so the copy on our
 * device (metric <= BGP_METRIC_MAX + 255) wins while it exists, and the VIP left on eth0 after a kill -9
 * is the one zebra then offers, which the documented route-map (`match interface`) refuses.
 * Not 0xffffffff: zebra 8.4 reports that value as metric 0 (measured).
 */
export const VIP_METRIC_UNDER_BGP = 0x7fffffff;
/** Highest `metric` a bgp_announce accepts (announce_backup adds up to 255). */
export const BGP_METRIC_MAX = VIP_METRIC_UNDER_BGP - 256;

/** One prefix to announce: the address put on the device and its prefix length. */
export interface BgpPrefix {
  readonly family: Family;
  /** Canonical address text (the host part is kept: it becomes a local address). */
  readonly address: string;
  /** Prefix length, bits; the announced route is the network ADDRESS/LEN. */
  readonly prefixLen: number;
}

/** `bgp_announce NAME {}` after validation. */
export interface BgpAnnounce {
  readonly name: string;
  /** `follow_instance`: VRRP instances that must be MASTER (or BACKUP with announce_backup). */
  readonly instances: readonly string[];
  /** `follow_sync_group`: sync groups whose every member must be MASTER (or BACKUP with announce_backup). */
  readonly syncGroups: readonly string[];
  /** `follow_virtual_server`: display names (src/alert/names.ts vsName) of virtual servers needing quorum. */
  readonly virtualServers: readonly string[];
  /** `prefix {}`; defaults to the followed instances' virtual_ipaddress and the virtual servers' addresses. */
  readonly prefixes: readonly BgpPrefix[];
  /** `interface`: the TUN device the prefixes go on. Default "ka-bgp". */
  readonly device: string;
  /** `metric`: route metric of the addresses, which zebra redistributes into BGP as the MED. Default 0. */
  readonly metric: number;
  /** `announce_backup`: also announce while BACKUP, with metric + 256 - effective priority. */
  readonly announceBackup: boolean;
  readonly src: SourceRef;
}

/** The announcements; owned by the parent process (no child gets them). */
export interface BgpSection {
  readonly announces: readonly BgpAnnounce[];
}
