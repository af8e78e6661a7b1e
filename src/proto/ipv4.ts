/**
 * IPv4 header codec (RFC 791 §3.1) and the pseudo-header used by upper-layer checksums
 * (RFC 5798 §5.2.8 for VRRPv3). We receive the IPv4 header on a raw IPPROTO_VRRP/IPPROTO_AH socket
 * and build one ourselves for IP_HDRINCL sends (VRRPv2 with IPSEC-AH). Addresses are dotted-quad strings.
 * Pure: never throws on wire input.
 */
import { internetChecksum } from "./checksum.ts";
import type { Result } from "./result.ts";
import { parseIPv4 } from "../core/inet.ts";

/** IP protocol number of VRRP (RFC 5798 §5.1.1.4). */
export const IPPROTO_VRRP = 112;
/** IP protocol number of the IP Authentication Header (RFC 2402). */
export const IPPROTO_AH = 51;

/** A decoded IPv4 header. Lengths are in bytes. */
export interface Ipv4Header {
  /** Header length in bytes (IHL * 4, 20..60). */
  headerLength: number;
  /** Type of service / DSCP+ECN byte. */
  tos: number;
  /** Total datagram length in bytes, header included. */
  totalLength: number;
  /** Identification field. */
  id: number;
  /** The 3 flag bits (bit 1 = DF, bit 0 = MF). */
  flags: number;
  /** Fragment offset in 8-byte units. */
  fragmentOffset: number;
  /** Time to live (hops). */
  ttl: number;
  /** Upper-layer protocol number. */
  protocol: number;
  /** Header checksum as found on the wire. */
  checksum: number;
  /** Source address, dotted quad. */
  src: string;
  /** Destination address, dotted quad. */
  dst: string;
}

/** Recently parsed addresses (the receive path parses the same few sources and groups per packet). */
const parsed = new Map<string, Uint8Array | undefined>();
const PARSE_CACHE_MAX = 1024;

/** Parses a dotted-quad IPv4 address into 4 bytes, or returns undefined when malformed. */
export function ipv4ToBytes(addr: string): Uint8Array | undefined {
  let b = parsed.get(addr);
  if (b === undefined && !parsed.has(addr)) {
    if (parsed.size >= PARSE_CACHE_MAX) parsed.clear();
    b = parseIPv4(addr);
    parsed.set(addr, b);
  }
  return b && new Uint8Array(b); // a copy: callers may write into it
}

/** Formats 4 bytes starting at `offset` as a dotted-quad string. */
export function bytesToIpv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** Like ipv4ToBytes but throws on a malformed address (for encoders fed by validated config). */
export function ipv4Bytes(addr: string): Uint8Array {
  const b = ipv4ToBytes(addr);
  if (!b) throw new Error(`invalid IPv4 address "${addr}"`);
  return b;
}

/** Fields needed to build an IPv4 header with no options. */
export interface Ipv4HeaderInput {
  /** Type of service byte; keepalived sends VRRP with 0xc0 (precedence internetwork control). */
  tos?: number;
  id: number;
  /** Flag bits (DF=2); default 0. */
  flags?: number;
  ttl: number;
  protocol: number;
  src: string;
  dst: string;
  /** Length in bytes of everything after the 20-byte header. */
  payloadLength: number;
}

/** Encodes a 20-byte IPv4 header (no options) with its checksum filled in. */
export function encodeIpv4Header(h: Ipv4HeaderInput): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  b[1] = h.tos ?? 0;
  v.setUint16(2, 20 + h.payloadLength);
  v.setUint16(4, h.id & 0xffff);
  v.setUint16(6, ((h.flags ?? 0) & 7) << 13);
  b[8] = h.ttl;
  b[9] = h.protocol;
  b.set(ipv4Bytes(h.src), 12);
  b.set(ipv4Bytes(h.dst), 16);
  v.setUint16(10, internetChecksum(b));
  return b;
}

/**
 * Decodes the IPv4 header at the start of `packet` and returns it with the payload (bounded by the
 * total length). Checks version, IHL, lengths and the header checksum.
 */
export function parseIpv4Header(packet: Uint8Array): Result<{ header: Ipv4Header; payload: Uint8Array }> {
  if (packet.length < 20) return { ok: false, reason: `ipv4 header truncated: ${packet.length} < 20 bytes` };
  const version = packet[0]! >> 4;
  if (version !== 4) return { ok: false, reason: `ip version ${version} != 4` };
  const headerLength = (packet[0]! & 0x0f) * 4;
  if (headerLength < 20 || headerLength > packet.length) {
    return { ok: false, reason: `ipv4 header length ${headerLength} invalid for ${packet.length} bytes` };
  }
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const totalLength = v.getUint16(2);
  if (totalLength < headerLength || totalLength > packet.length) {
    return { ok: false, reason: `ipv4 total length ${totalLength} invalid for ${packet.length} bytes` };
  }
  const sum = internetChecksum(packet.subarray(0, headerLength));
  if (sum !== 0) {
    return { ok: false, reason: `ipv4 header checksum 0x${v.getUint16(10).toString(16)} invalid` };
  }
  const header: Ipv4Header = {
    headerLength,
    tos: packet[1]!,
    totalLength,
    id: v.getUint16(4),
    flags: packet[6]! >> 5,
    fragmentOffset: v.getUint16(6) & 0x1fff,
    ttl: packet[8]!,
    protocol: packet[9]!,
    checksum: v.getUint16(10),
    src: bytesToIpv4(packet, 12),
    dst: bytesToIpv4(packet, 16),
  };
  return { ok: true, value: { header, payload: packet.subarray(headerLength, totalLength) } };
}

/** The 12-byte IPv4 pseudo-header: src, dst, zero, protocol, upper-layer length (RFC 768 / RFC 5798 §5.2.8). */
export function ipv4PseudoHeader(src: string, dst: string, protocol: number, length: number): Uint8Array {
  const b = new Uint8Array(12);
  b.set(ipv4Bytes(src), 0);
  b.set(ipv4Bytes(dst), 4);
  b[9] = protocol;
  b[10] = (length >> 8) & 0xff;
  b[11] = length & 0xff;
  return b;
}
