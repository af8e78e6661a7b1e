/**
 * Unsolicited Neighbor Advertisement (RFC 4861 §4.4 format, §7.2.6 "sending unsolicited neighbor
 * advertisements"; RFC 5798 §6.4.2 for VRRP) and its ICMPv6 checksum (RFC 4443 §2.3 with the
 * RFC 8200 §8.1 pseudo-header). Layout as keepalived 2.2.7 sends it (checked against captures):
 * IPv6 src = the VIP, dst ff02::1, hop limit 255; ICMPv6 type 136 code 0, Override flag set
 * (Router flag optional), target = VIP, one Target Link-Layer Address option (type 2, length 1).
 * Pure: parseNaFrame never throws on wire input.
 */
import { internetChecksum } from "./checksum.ts";
import { ALL_NODES_V6 } from "../core/inet.ts";
import { bytesToIpv6, ipv6Bytes, ipv6PseudoHeader } from "./ipv6.ts";
import { bytesToMac, macToBytes } from "./arp.ts";
import type { Result } from "./result.ts";

/** ICMPv6 type of a Neighbor Advertisement. */
export const ICMPV6_NA = 136;
/** IPv6 next-header value of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
/** Ethertype of IPv6. */
export const ETHERTYPE_IPV6 = 0x86dd;
/** NA Router flag, in the byte after the checksum (RFC 4861 §4.4). */
export const NA_FLAG_ROUTER = 0x80;
/** NA Solicited flag (never set in unsolicited NAs). */
export const NA_FLAG_SOLICITED = 0x40;
/** NA Override flag (set: replace cached link-layer addresses). */
export const NA_FLAG_OVERRIDE = 0x20;

/** Options for an unsolicited NA. */
export interface NaInput {
  /** Link-layer address to announce. */
  mac: string;
  /** The virtual IPv6 address (target, and the IPv6 source as keepalived sends it). */
  vip: string;
  /** IPv6 source address. @default vip */
  src?: string;
  /** IPv6 destination. @default "ff02::1" */
  dst?: string;
  /** Set the Router flag (the node forwards). @default false */
  router?: boolean;
}

function mac6(mac: string): Uint8Array {
  const b = macToBytes(mac);
  if (!b) throw new Error(`invalid MAC address "${mac}"`);
  return b;
}

/** Builds the 32-byte ICMPv6 NA message with its checksum (for a raw ICMPv6 socket). */
export function encodeUnsolicitedNa(i: NaInput): Uint8Array {
  const m = new Uint8Array(32);
  m[0] = ICMPV6_NA;
  m[4] = NA_FLAG_OVERRIDE | (i.router ? NA_FLAG_ROUTER : 0);
  m.set(ipv6Bytes(i.vip), 8);
  m[24] = 2; // Target Link-Layer Address option
  m[25] = 1; // length in units of 8 bytes
  m.set(mac6(i.mac), 26);
  const sum = internetChecksum(
    ipv6PseudoHeader(i.src ?? i.vip, i.dst ?? ALL_NODES_V6, IPPROTO_ICMPV6, 32),
    m,
  );
  m[2] = sum >> 8;
  m[3] = sum & 0xff;
  return m;
}

/** Ethernet multicast MAC for an IPv6 multicast group (33:33 + low 32 bits, RFC 2464 §7). */
export function ipv6MulticastMac(group: string): string {
  const b = ipv6Bytes(group);
  return bytesToMac(Uint8Array.of(0x33, 0x33, b[12]!, b[13]!, b[14]!, b[15]!));
}

/** Builds the full 86-byte Ethernet frame (for an AF_PACKET socket): Ethernet + IPv6 + NA. */
export function encodeUnsolicitedNaFrame(i: NaInput): Uint8Array {
  const dst = i.dst ?? ALL_NODES_V6;
  const na = encodeUnsolicitedNa(i);
  const f = new Uint8Array(14 + 40 + na.length);
  const v = new DataView(f.buffer);
  f.set(mac6(ipv6MulticastMac(dst)), 0);
  f.set(mac6(i.mac), 6);
  v.setUint16(12, ETHERTYPE_IPV6);
  f[14] = 0x60; // version 6, traffic class 0, flow label 0
  v.setUint16(18, na.length);
  f[20] = IPPROTO_ICMPV6;
  f[21] = 255; // hop limit (RFC 4861 §7.1.2 requires 255)
  f.set(ipv6Bytes(i.src ?? i.vip), 22);
  f.set(ipv6Bytes(dst), 38);
  f.set(na, 54);
  return f;
}

/** A decoded Ethernet + IPv6 + Neighbor Advertisement frame. */
export interface NaFrame {
  ethDst: string;
  ethSrc: string;
  src: string;
  dst: string;
  hopLimit: number;
  flags: { router: boolean; solicited: boolean; override: boolean };
  target: string;
  /** Target Link-Layer Address option, if present. */
  targetMac?: string;
}

/** Decodes and checks (hop limit 255, code 0, checksum) an Ethernet frame carrying an NA. */
export function parseNaFrame(f: Uint8Array): Result<NaFrame> {
  if (f.length < 14 + 40 + 24) return { ok: false, reason: `na frame truncated: ${f.length} bytes` };
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (v.getUint16(12) !== ETHERTYPE_IPV6) return { ok: false, reason: "ethertype is not IPv6" };
  if (f[14]! >> 4 !== 6) return { ok: false, reason: `ip version ${f[14]! >> 4} != 6` };
  const plen = v.getUint16(18);
  if (f[20] !== IPPROTO_ICMPV6) return { ok: false, reason: `next header ${f[20]} != 58` };
  if (plen < 24 || 54 + plen > f.length) return { ok: false, reason: `payload length ${plen} invalid` };
  const icmp = f.subarray(54, 54 + plen);
  if (icmp[0] !== ICMPV6_NA || icmp[1] !== 0) {
    return { ok: false, reason: `icmpv6 type ${icmp[0]} code ${icmp[1]} is not NA` };
  }
  const src = bytesToIpv6(f, 22);
  const dst = bytesToIpv6(f, 38);
  if (internetChecksum(ipv6PseudoHeader(src, dst, IPPROTO_ICMPV6, plen), icmp) !== 0) {
    return { ok: false, reason: "icmpv6 checksum invalid" };
  }
  const fl = icmp[4]!;
  let targetMac: string | undefined;
  for (let o = 24; o + 8 <= icmp.length && icmp[o + 1]! > 0; o += icmp[o + 1]! * 8) {
    if (icmp[o] === 2 && icmp[o + 1] === 1) targetMac = bytesToMac(icmp, o + 2);
  }
  return {
    ok: true,
    value: {
      ethDst: bytesToMac(f, 0),
      ethSrc: bytesToMac(f, 6),
      src,
      dst,
      hopLimit: f[21]!,
      flags: {
        router: (fl & NA_FLAG_ROUTER) !== 0,
        solicited: (fl & NA_FLAG_SOLICITED) !== 0,
        override: (fl & NA_FLAG_OVERRIDE) !== 0,
      },
      target: bytesToIpv6(icmp, 8),
      ...(targetMac ? { targetMac } : {}),
    },
  };
}
