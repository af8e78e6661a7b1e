/**
 * The receive path of one VRRP instance: validation and accounting of an incoming advert.
 * `judgeAdvert` is pure: a received packet in, a typed verdict out. Packet-level checks are
 * src/proto/vrrp.ts's (RFC 5798 §7.1 / RFC 3768 §7.1: TTL, version, type, length, checksum, v2 auth);
 * here are the checks that need the instance (RFC 2402 AH for v2, unicast source, VRID, the v2
 * Advertisement Interval, the address list). `countVerdict` adds a verdict to keepalived's counters:
 * every reason code is counted under exactly one (RX_COUNTER), as the stats dump, the metrics
 * (src/metrics/vrrp-samples.ts) and SNMP (src/snmp/mib-rfc.ts) name them.
 * The address list is judged here but acted on by the state machine (src/vrrp/fsm.ts): an advert from
 * the address owner is accepted whatever it lists (RFC 5798 §7.1).
 */
import type { VrrpInstance } from "../config/model.ts";
import { parseAhPacket } from "../proto/ah.ts";
import { bytesToIpv4, ipv4ToBytes } from "../proto/ipv4.ts";
import { bytesToIpv6, ipv6ToBytes } from "../proto/ipv6.ts";
import { parseVrrp, type VrrpAdvert, type VrrpDiscardReason } from "../proto/vrrp.ts";
import { advertAuth } from "./advert.ts";
import type { AdvertEvent } from "./fsm.ts";
import type { RxPacket } from "./transport.ts";

/** Counters, as keepalived's stats dump names them. */
export interface InstanceStats {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  packetLenErr: number;
  ipTtlErr: number;
  invalidType: number;
  advertIntervalErr: number;
  addrListErr: number;
  invalidAuthType: number;
  /** A valid auth type other than ours (keepalived's "Auth Type Mismatch"). */
  authTypeMismatch: number;
  authFailure: number;
  pri0Rcvd: number;
  pri0Sent: number;
  otherErr: number;
}

/** Every counter at zero. */
export function newStats(): InstanceStats {
  return {
    advertRcvd: 0,
    advertSent: 0,
    becomeMaster: 0,
    releaseMaster: 0,
    packetLenErr: 0,
    ipTtlErr: 0,
    invalidType: 0,
    advertIntervalErr: 0,
    addrListErr: 0,
    invalidAuthType: 0,
    authTypeMismatch: 0,
    authFailure: 0,
    pri0Rcvd: 0,
    pri0Sent: 0,
    otherErr: 0,
  };
}

/** Why the receive path dropped an advert: the parser's reasons plus the instance's own checks. */
export type VrrpRxReason =
  | VrrpDiscardReason
  /** IPSEC-AH (v2 `auth_type AH`): the AH header or its ICV is wrong. */
  | "ah-failure"
  /** check_unicast_src: the source is not one of our unicast_peers. */
  | "not-unicast-peer"
  /** VRRPv2: the Adver Int differs from ours (RFC 3768 §7.1 MUST). */
  | "advert-interval";

/** The receive-error counters of InstanceStats. */
export type RxErrorCounter = Exclude<
  keyof InstanceStats,
  "advertRcvd" | "advertSent" | "becomeMaster" | "releaseMaster" | "pri0Rcvd" | "pri0Sent"
>;

/** The keepalived counter each drop reason is counted under. */
export const RX_COUNTER: Readonly<Record<VrrpRxReason, RxErrorCounter>> = {
  "bad-ttl": "ipTtlErr",
  "truncated": "packetLenErr",
  "bad-length": "packetLenErr",
  // keepalived 2.2.7 counts a wrong version only in SNMP's global vrrpRouterVersionErrors (RFC 2787), not
  // as an invalid type; checksum errors likewise (vrrpRouterChecksumErrors). Both are "Other" here.
  "bad-version": "otherErr",
  "bad-type": "invalidType",
  "bad-pseudo-header": "otherErr",
  "bad-checksum": "otherErr",
  "invalid-auth-type": "invalidAuthType",
  "auth-type-mismatch": "authTypeMismatch",
  "auth-failure": "authFailure",
  "ah-failure": "authFailure",
  "not-unicast-peer": "otherErr",
  "advert-interval": "advertIntervalErr",
};

/** What judgeAdvert decided about one packet. */
export type RxVerdict =
  /** Not ours to judge: our own advert looped back, or another VRID's on a shared socket. Not counted. */
  | { kind: "ignored" }
  /**
   * Dropped. `advert` is set when the packet was a well-formed advert for our VRID that failed a
   * session check (it still counts as received, as keepalived counts it).
   */
  | { kind: "dropped"; reason: VrrpRxReason; detail: string; advert?: VrrpAdvert }
  /** For the state machine; `event.addressListMatches` false is counted as an address list error. */
  | { kind: "accepted"; advert: VrrpAdvert; event: AdvertEvent };

/** What the judge needs of the instance; fixed while the configuration stays. */
export interface ReceiveContext {
  readonly cfg: VrrpInstance;
  readonly family: "ipv4" | "ipv6";
  /** Our VIPs in wire text form (see wireForm). */
  readonly vipSet: ReadonlySet<string>;
  /** How many VIPs we have (the advert must list exactly these). */
  readonly vipCount: number;
}

/** The context for `cfg`'s virtual addresses. */
export function receiveContext(cfg: VrrpInstance, family: "ipv4" | "ipv6"): ReceiveContext {
  const vips = cfg.virtualIpaddresses.map((v) => v.address);
  return { cfg, family, vipSet: new Set(vips.map(wireForm)), vipCount: vips.length };
}

/** An address in the text form the VRRP parser produces (dotted quad / RFC 5952), for set lookups. */
export function wireForm(a: string): string {
  const v4 = ipv4ToBytes(a);
  if (v4) return bytesToIpv4(v4);
  const v6 = ipv6ToBytes(a);
  return v6 ? bytesToIpv6(v6) : a;
}

const drop = (reason: VrrpRxReason, detail: string, advert?: VrrpAdvert): RxVerdict => ({
  kind: "dropped",
  reason,
  detail,
  advert,
});

/** Judges one packet from the instance's transport; `ownSrc`: our advert source address. Pure. */
export function judgeAdvert(c: ReceiveContext, p: RxPacket, ownSrc: string): RxVerdict {
  const cfg = c.cfg;
  if (p.src === ownSrc) return { kind: "ignored" };
  const checked = checkPacket(c, p);
  if (!checked.ok) return checked.verdict;
  const adv = checked.value;
  if (adv.vrid !== cfg.vrid) return { kind: "ignored" };
  if (cfg.version === 2 && adv.advertIntervalCs !== Math.round(cfg.advertIntMs / 10)) {
    const detail = `advert interval ${adv.advertIntervalCs / 100} s != ours ${cfg.advertIntMs / 1000} s`;
    return drop("advert-interval", detail, adv);
  }
  const addressListMatches = cfg.skipCheckAdvAddr || sameAddresses(c, adv.addresses);
  return {
    kind: "accepted",
    advert: adv,
    event: {
      type: "advertReceived",
      priority: adv.priority,
      advertIntervalCs: adv.advertIntervalCs,
      srcAddress: p.src,
      addressListMatches,
    },
  };
}

/** AH (v2), the unicast source, then parseVrrp's packet checks: the advert, or why it was dropped. */
function checkPacket(
  c: ReceiveContext,
  p: RxPacket,
): { ok: true; value: VrrpAdvert } | { ok: false; verdict: RxVerdict } {
  const cfg = c.cfg;
  let msg = p.payload;
  if (cfg.auth?.type === "AH") {
    const ah = parseAhPacket(p.ahDatagram ?? new Uint8Array(), cfg.auth.password);
    if (!ah.ok) return { ok: false, verdict: drop("ah-failure", ah.reason) };
    msg = ah.value.vrrp;
  }
  const unicast = cfg.unicastPeers.length > 0;
  const peer = unicast ? cfg.unicastPeers.find((u) => u.address === p.src) : undefined;
  if (unicast && cfg.checkUnicastSrc && !peer) {
    return { ok: false, verdict: drop("not-unicast-peer", `advert from ${p.src}, not a unicast peer`) };
  }
  // A unicast peer's min_ttl / max_ttl; unicast without them takes any TTL; multicast needs 255.
  const ttlRange: [number, number] = peer && (peer.minTtl !== null || peer.maxTtl !== null)
    ? [peer.minTtl ?? 0, peer.maxTtl ?? 255]
    : unicast
    ? [0, 255]
    : [255, 255];
  const parsed = parseVrrp(msg, {
    family: c.family,
    version: cfg.version,
    ttl: p.ttl,
    ttlRange,
    src: p.src,
    dst: p.dst,
    auth: advertAuth(cfg),
    v3ChecksumAsV2: cfg.oldUnicastChecksum && unicast,
  });
  return parsed.ok ? parsed : { ok: false, verdict: drop(parsed.reason, parsed.detail) };
}

/** The advert lists exactly our VIPs (any order; a repeated address does not count twice). */
function sameAddresses(c: ReceiveContext, list: readonly string[]): boolean {
  if (list.length !== c.vipCount) return false;
  const seen = new Set<string>();
  for (const a of list) {
    if (!c.vipSet.has(a)) return false;
    seen.add(a);
  }
  return seen.size === c.vipSet.size;
}

/** Adds one verdict to the counters. */
export function countVerdict(stats: InstanceStats, v: RxVerdict): void {
  if (v.kind === "ignored") return;
  if (v.kind === "dropped") stats[RX_COUNTER[v.reason]]++;
  const adv = v.advert;
  if (!adv) return;
  stats.advertRcvd++;
  if (adv.priority === 0) stats.pri0Rcvd++;
  if (v.kind === "accepted" && !v.event.addressListMatches) stats.addrListErr++;
}
