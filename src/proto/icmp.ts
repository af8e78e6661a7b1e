/**
 * ICMP / ICMPv6 echo codec for PING_CHECK: RFC 792 (Echo, Echo Reply, Destination
 * Unreachable, Time Exceeded), RFC 4443 sections 2.1 (message format), 2.3 (checksum with
 * the IPv6 pseudo-header of RFC 8200 8.1), 3.1, 3.3, 4.1 and 4.2. Pure: bytes in, typed value
 * or reason out; never throws. The raw socket that carries these lives in src/ffi (later).
 */
import { internetChecksum } from "./checksum.ts";
import type { Family } from "../core/inet.ts";
import type { Result } from "./result.ts";

/** ICMP (IPv4) types used here. */
export const ICMP4 = { ECHO_REPLY: 0, DEST_UNREACH: 3, ECHO_REQUEST: 8, TIME_EXCEEDED: 11 } as const;
/** ICMPv6 types used here. */
export const ICMP6 = { DEST_UNREACH: 1, TIME_EXCEEDED: 3, ECHO_REQUEST: 128, ECHO_REPLY: 129 } as const;

/** Identifier, sequence number and data of an echo message. */
export interface EchoFields {
  /** 16-bit identifier. */
  id: number;
  /** 16-bit sequence number. */
  seq: number;
  payload: Uint8Array;
}

/** A decoded ICMP message. */
export type IcmpMessage =
  | ({ kind: "echo-reply" } & EchoFields)
  | ({ kind: "echo-request" } & EchoFields)
  | { kind: "unreachable" | "time-exceeded"; code: number; original?: { id: number; seq: number } }
  | { kind: "other"; type: number; code: number };

/** IPv6 source and destination (16 bytes each) for the ICMPv6 pseudo-header checksum. */
export interface Ipv6Pair {
  src: Uint8Array;
  dst: Uint8Array;
}

/** RFC 8200 8.1 pseudo-header: src, dst, upper-layer length, 3 zero bytes, next header 58. */
function pseudoHeader6(pair: Ipv6Pair, length: number): Uint8Array {
  const ph = new Uint8Array(40);
  ph.set(pair.src.subarray(0, 16), 0);
  ph.set(pair.dst.subarray(0, 16), 16);
  new DataView(ph.buffer).setUint32(32, length);
  ph[39] = 58;
  return ph;
}

/**
 * Encodes an Echo Request. IPv4: checksum filled in. IPv6: checksum filled in when `pair`
 * is given, else left 0 for the kernel (raw ICMPv6 sockets always compute it, RFC 3542 3.1).
 */
export function encodeEchoRequest(family: Family, f: EchoFields, pair?: Ipv6Pair): Uint8Array {
  const out = new Uint8Array(8 + f.payload.length);
  const dv = new DataView(out.buffer);
  out[0] = family === "ipv4" ? ICMP4.ECHO_REQUEST : ICMP6.ECHO_REQUEST;
  dv.setUint16(4, f.id & 0xffff);
  dv.setUint16(6, f.seq & 0xffff);
  out.set(f.payload, 8);
  if (family === "ipv4") dv.setUint16(2, internetChecksum(out));
  else if (pair) dv.setUint16(2, internetChecksum(pseudoHeader6(pair, out.length), out));
  return out;
}

/** Skips an IPv4 header (raw IPv4 ICMP sockets deliver it); checks version and protocol 1. */
export function stripIpv4Header(
  b: Uint8Array,
): Result<Uint8Array> {
  if (b.length < 20) return { ok: false, reason: `IPv4 packet shorter than 20 bytes (${b.length})` };
  const v = (b[0] as number) >> 4;
  const ihl = ((b[0] as number) & 0xf) * 4;
  if (v !== 4) return { ok: false, reason: `IP version ${v}, want 4` };
  if (ihl < 20 || ihl > b.length) return { ok: false, reason: `bad IHL ${ihl}` };
  if (b[9] !== 1) return { ok: false, reason: `IP protocol ${b[9]}, want 1 (ICMP)` };
  return { ok: true, value: b.subarray(ihl) };
}

/** Options of decodeIcmp. */
export interface DecodeOptions {
  /** Verify the checksum (IPv4 always possible; IPv6 needs `pair`). @default true */
  verifyChecksum?: boolean;
  /** Addresses for the ICMPv6 checksum (src = the sender of this message). */
  pair?: Ipv6Pair;
}

/** Decodes one ICMP/ICMPv6 message (without IP header). */
export function decodeIcmp(family: Family, b: Uint8Array, o: DecodeOptions = {}): Result<IcmpMessage> {
  if (b.length < 8) return { ok: false, reason: `ICMP message shorter than 8 bytes (${b.length})` };
  if (o.verifyChecksum !== false) {
    const sum = family === "ipv4" ? internetChecksum(b) : o.pair ? internetChecksum(pseudoHeader6(o.pair, b.length), b) : 0;
    if (sum !== 0) return { ok: false, reason: "bad ICMP checksum" };
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = b[0] as number;
  const code = b[1] as number;
  const T = family === "ipv4" ? ICMP4 : ICMP6;
  if (type === T.ECHO_REPLY || type === T.ECHO_REQUEST) {
    const kind = type === T.ECHO_REPLY ? "echo-reply" : "echo-request";
    return { ok: true, value: { kind, id: dv.getUint16(4), seq: dv.getUint16(6), payload: b.slice(8) } };
  }
  if (type === T.DEST_UNREACH || type === T.TIME_EXCEEDED) {
    const kind = type === T.DEST_UNREACH ? "unreachable" : "time-exceeded";
    const original = embeddedEcho(family, b.subarray(8));
    return { ok: true, value: original ? { kind, code, original } : { kind, code } };
  }
  return { ok: true, value: { kind: "other", type, code } };
}

/** Finds the id/seq of our echo request quoted inside an error message, if it is one. */
function embeddedEcho(family: Family, inner: Uint8Array): { id: number; seq: number } | undefined {
  let icmp: Uint8Array;
  if (family === "ipv4") {
    const ip = stripIpv4Header(inner);
    if (!ip.ok) return undefined;
    icmp = ip.value;
  } else {
    if (inner.length < 40 || (inner[0] as number) >> 4 !== 6 || inner[6] !== 58) return undefined;
    icmp = inner.subarray(40);
  }
  const want = family === "ipv4" ? ICMP4.ECHO_REQUEST : ICMP6.ECHO_REQUEST;
  if (icmp.length < 8 || icmp[0] !== want) return undefined;
  const dv = new DataView(icmp.buffer, icmp.byteOffset, icmp.byteLength);
  return { id: dv.getUint16(4), seq: dv.getUint16(6) };
}

/** True when msg is the echo reply to (id, seq). */
export function isReplyTo(msg: IcmpMessage, id: number, seq: number): boolean {
  return msg.kind === "echo-reply" && msg.id === id && msg.seq === seq;
}
