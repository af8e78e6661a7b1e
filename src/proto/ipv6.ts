/**
 * IPv6 address text <-> bytes (RFC 4291 §2.2, canonical output per RFC 5952 §4) and the IPv6
 * upper-layer pseudo-header (RFC 8200 §8.1) used by the VRRPv3 (RFC 5798 §5.2.8) and ICMPv6
 * (RFC 4443 §2.3) checksums. We never see an IPv6 header on receive: hop limit and addresses come
 * from recvmsg ancillary data, so there is no header codec here. Pure; never throws on wire input.
 */
import { formatIp, parseIPv6 } from "../core/inet.ts";

/** Parses IPv6 text (with optional embedded IPv4 tail) into 16 bytes, or undefined when malformed. */
export function ipv6ToBytes(addr: string): Uint8Array | undefined {
  return parseIPv6(addr);
}

/** Like ipv6ToBytes but throws on a malformed address (for encoders fed by validated config). */
export function ipv6Bytes(addr: string): Uint8Array {
  const b = ipv6ToBytes(addr);
  if (!b) throw new Error(`invalid IPv6 address "${addr}"`);
  return b;
}

/** Formats 16 bytes at `offset` as RFC 5952 canonical text (lower case, longest zero run as "::"). */
export function bytesToIpv6(b: Uint8Array, offset = 0): string {
  return formatIp(b.subarray(offset, offset + 16));
}

/** The 40-byte IPv6 pseudo-header: src, dst, 32-bit upper-layer length, 3 zero bytes, next header. */
export function ipv6PseudoHeader(src: string, dst: string, nextHeader: number, length: number): Uint8Array {
  const b = new Uint8Array(40);
  b.set(ipv6Bytes(src), 0);
  b.set(ipv6Bytes(dst), 16);
  new DataView(b.buffer).setUint32(32, length);
  b[39] = nextHeader;
  return b;
}
