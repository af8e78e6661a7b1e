/**
 * The adverts one instance sends (RFC 5798 §5.1-5.2, RFC 3768 §5, IPSEC-AH for v2 as keepalived does).
 * A VRRP message that has not changed is not encoded again: the kernel writes each datagram's IPv4
 * header (identification, header checksum) and IPv6 header, and the VRRP checksum covers only what is
 * kept here (the v3 pseudo-header of §5.2.8: source, destination, length), so the bytes of one
 * (priority, source, destination) stay valid until the priority or the source address changes. AH
 * datagrams carry their own IPv4 header and a sequence number that grows with each, so they are built
 * every time.
 */
import type { Family } from "../core/inet.ts";
import { VRRP_MCAST_V4, VRRP_MCAST_V6 } from "../core/inet.ts";
import type { VrrpInstance } from "../config/model.ts";
import { encodeAhPacket } from "../proto/ah.ts";
import { encodeVrrp, type VrrpAuth } from "../proto/vrrp.ts";

const DEFAULT_GROUP = { ipv4: VRRP_MCAST_V4, ipv6: VRRP_MCAST_V6 } as const;

/** Builds (and keeps) the datagrams of one instance's adverts. */
export class AdvertBuilder {
  /** Destinations: the unicast peers, or the multicast group. */
  readonly dsts: readonly string[];
  /** IPv4 AH: every datagram is built anew. */
  readonly ah: boolean;
  #kept: { priority: number; src: string; byDst: Map<string, Uint8Array> } | undefined;
  /**
   * IPSEC-AH sequence number. keepalived drops AH adverts whose sequence number is not above the last one
   * it saw from that peer, so a restarted router that counts from 1 again is ignored until it catches up.
   * Starting from twice the Unix time in seconds keeps the number rising across restarts (adverts are at
   * most one per second per instance in VRRPv2); it stays below 2^32 until 2038.
   */
  #ahSeq = (Math.floor(Date.now() / 1000) * 2) >>> 0;
  #ipId = 1;

  constructor(readonly cfg: VrrpInstance, readonly family: Family, readonly vips: readonly string[]) {
    this.dsts = cfg.unicastPeers.length ? cfg.unicastPeers.map((u) => u.address) : [cfg.mcastDstIp ?? DEFAULT_GROUP[family]];
    this.ah = cfg.auth?.type === "AH" && cfg.version === 2;
  }

  /**
   * The datagram for `dst` from `src` at `priority`: the kept VRRP message (never changed once made, so a
   * queued one stays valid until sent; in an ArrayBuffer of its own for sendmmsg), or a new AH datagram.
   */
  datagram(priority: number, src: string, dst: string): Uint8Array {
    if (this.ah) {
      const ttl = this.cfg.unicastPeers.length ? this.cfg.unicastTtl : 255;
      const password = this.cfg.auth?.password ?? "";
      return encodeAhPacket({ src, dst, id: this.#ipId++ & 0xffff, seq: this.#ahSeq++, password, vrrp: this.#encode(priority, src, dst), ttl });
    }
    let k = this.#kept;
    if (!k || k.priority !== priority || k.src !== src) k = this.#kept = { priority, src, byDst: new Map() };
    const known = k.byDst.get(dst);
    if (known) return known;
    const vrrp = this.#encode(priority, src, dst);
    const own = new Uint8Array(new ArrayBuffer(vrrp.length));
    own.set(vrrp);
    k.byDst.set(dst, own);
    return own;
  }

  #encode(priority: number, src: string, dst: string): Uint8Array {
    const cfg = this.cfg;
    return encodeVrrp({
      version: cfg.version,
      family: this.family,
      vrid: cfg.vrid,
      priority,
      advertIntervalCs: Math.round(cfg.advertIntMs / 10),
      addresses: [...this.vips],
      auth: advertAuth(cfg),
      src,
      dst,
      v3ChecksumAsV2: cfg.oldUnicastChecksum && cfg.unicastPeers.length > 0,
    });
  }
}

/** The authentication an instance's adverts carry (and its received ones must): v2 PASS/AH, else none. */
export function advertAuth(cfg: VrrpInstance): VrrpAuth {
  const a = cfg.auth;
  if (!a || cfg.version === 3) return { type: "none" };
  return a.type === "PASS" ? { type: "pass", password: a.password } : { type: "ah" };
}
