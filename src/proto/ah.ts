/**
 * IP Authentication Header for VRRPv2 "auth_type AH" (RFC 2338 §5.3.6.3, RFC 2402 §2-§3.3,
 * HMAC-MD5-96 per RFC 2403), laid out as keepalived 2.2.7 sends it (checked against captures):
 *   IPv4 header (protocol 51) | AH: next header 112, payload len 4 (24-byte AH), reserved 0,
 *   SPI = IPv4 source address, sequence number, 12-byte ICV | VRRPv2 message (auth type 2).
 * The ICV is HMAC-MD5 truncated to 96 bits over the whole datagram with TOS, flags + fragment offset,
 * the header checksum and the ICV set to zero. Unlike RFC 2402 §3.3.3.1.1.1, keepalived does NOT zero
 * the TTL: it is covered by the ICV (as sent, 255), found by matching captured ICVs. The key is the auth_pass (first 8 bytes; HMAC zero-pads it). Sequence-number anti-replay is
 * session state and left to the caller. Pure: parseAhPacket never throws on wire input.
 */
import { encodeIpv4Header, IPPROTO_AH, IPPROTO_VRRP, type Ipv4Header, ipv4ToBytes, parseIpv4Header } from "./ipv4.ts";
import type { Result } from "./result.ts";

/** Length in bytes of the AH header keepalived uses (12 fixed + 12-byte ICV). */
export const AH_LEN = 24;
/** Length in bytes of the HMAC-MD5-96 ICV. */
export const AH_ICV_LEN = 12;
/** Maximum key length used from auth_pass, in bytes. */
export const AH_KEY_LEN = 8;

/** A decoded Authentication Header. */
export interface AhHeader {
  nextHeader: number;
  /** AH length in 32-bit words minus 2 (4 for a 96-bit ICV). */
  payloadLen: number;
  /** Security Parameters Index; keepalived puts the sender's IPv4 address here. */
  spi: number;
  /** Sequence number (monotonic per sender). */
  seq: number;
  /** Integrity Check Value as received. */
  icv: Uint8Array;
}

/** The HMAC key bytes derived from auth_pass (first 8 bytes, UTF-8). */
export function ahKey(password: string): Uint8Array {
  return new TextEncoder().encode(password).subarray(0, AH_KEY_LEN);
}

/** Computes the 96-bit ICV over an IPv4 datagram carrying AH at `ahOffset` (the input is not modified; TTL is covered). */
export function ahIcv(datagram: Uint8Array, ahOffset: number, password: string): Uint8Array {
  const m = datagram.slice();
  m[1] = 0; // TOS
  m[6] = 0; // flags + fragment offset
  m[7] = 0;
  // m[8], the TTL, stays: keepalived includes it in the ICV.
  m[10] = 0; // header checksum
  m[11] = 0;
  m.fill(0, ahOffset + 12, ahOffset + AH_LEN);
  // Bun's own HMAC, not node:crypto's: importing node:crypto costs every process that loads it ~3 ms
  // and 1.5 MiB of anonymous memory (docs/design.md, Footprint).
  const h = new Bun.CryptoHasher("md5", ahKey(password));
  h.update(m);
  const mac = h.digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, AH_ICV_LEN).slice();
}

/** Inputs for encodeAhPacket. */
export interface AhPacketInput {
  src: string;
  dst: string;
  /** IPv4 identification field. */
  id: number;
  /** AH sequence number. */
  seq: number;
  /** @default 255 */
  ttl?: number;
  /** @default 0xc0 */
  tos?: number;
  /** auth_pass. */
  password: string;
  /** The VRRPv2 message (auth type 2), already checksummed. */
  vrrp: Uint8Array;
}

/** Builds the complete IPv4 datagram (for an IP_HDRINCL raw socket): IP header + AH + VRRP. */
export function encodeAhPacket(i: AhPacketInput): Uint8Array {
  const ip = encodeIpv4Header({
    tos: i.tos ?? 0xc0,
    id: i.id,
    ttl: i.ttl ?? 255,
    protocol: IPPROTO_AH,
    src: i.src,
    dst: i.dst,
    payloadLength: AH_LEN + i.vrrp.length,
  });
  const out = new Uint8Array(ip.length + AH_LEN + i.vrrp.length);
  out.set(ip, 0);
  const v = new DataView(out.buffer);
  out[20] = IPPROTO_VRRP;
  out[21] = AH_LEN / 4 - 2;
  const spi = ipv4ToBytes(i.src)!;
  out.set(spi, 24);
  v.setUint32(28, i.seq >>> 0);
  out.set(i.vrrp, 20 + AH_LEN);
  out.set(ahIcv(out, 20, i.password), 32);
  return out;
}

/**
 * Decodes and verifies an AH-protected VRRP datagram (IPv4 header included, as read from a raw
 * IPPROTO_AH socket): IPv4 header, AH layout, SPI = source address, next header 112, ICV.
 */
export function parseAhPacket(
  datagram: Uint8Array,
  password: string,
): Result<{ ip: Ipv4Header; ah: AhHeader; vrrp: Uint8Array }> {
  const p = parseIpv4Header(datagram);
  if (!p.ok) return p;
  const ip = p.value.header;
  if (ip.protocol !== IPPROTO_AH) return { ok: false, reason: `ip protocol ${ip.protocol} != 51 (AH)` };
  const body = p.value.payload;
  if (body.length < AH_LEN) return { ok: false, reason: `ah truncated: ${body.length} < ${AH_LEN} bytes` };
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const ah: AhHeader = {
    nextHeader: body[0]!,
    payloadLen: body[1]!,
    spi: v.getUint32(4),
    seq: v.getUint32(8),
    icv: body.slice(12, AH_LEN),
  };
  if (ah.payloadLen !== AH_LEN / 4 - 2) return { ok: false, reason: `ah payload len ${ah.payloadLen} != 4` };
  if (ah.nextHeader !== IPPROTO_VRRP) return { ok: false, reason: `ah next header ${ah.nextHeader} != 112` };
  const srcNum = new DataView(datagram.buffer, datagram.byteOffset + 12, 4).getUint32(0);
  if (ah.spi !== srcNum) return { ok: false, reason: `ah spi 0x${ah.spi.toString(16)} != source ${ip.src}` };
  const whole = datagram.subarray(0, ip.totalLength);
  const want = ahIcv(whole, ip.headerLength, password);
  if (!want.every((x, n) => x === ah.icv[n])) return { ok: false, reason: "ah icv mismatch" };
  return { ok: true, value: { ip, ah, vrrp: body.subarray(AH_LEN) } };
}
