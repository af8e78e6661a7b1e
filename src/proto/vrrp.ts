/**
 * VRRP advertisement codec.
 * - VRRPv2, RFC 3768 §5.1 (IPv4 header fields), §5.3 (packet format: 8-bit Adver Int in seconds,
 *   §5.3.6 auth type, §5.3.9 checksum over the VRRP message only) and RFC 2338 §5.3.6 for the
 *   legacy PASS (simple text password) and IPSEC-AH authentication types kept by keepalived.
 * - VRRPv3, RFC 5798 §5.2 (12-bit Max Adver Int in centiseconds, §5.2.8 checksum including the
 *   IPv4/IPv6 pseudo-header) for IPv4 and IPv6.
 * - Receive checks, RFC 5798 §7.1 / RFC 3768 §7.1, packet level only: TTL/hop limit 255, version,
 *   type, length vs address count, checksum, v2 auth type and password. VRID, priority and the
 *   address list are session checks done by the state machine.
 * keepalived compatibility options for the v3 checksum: `v3ChecksumAsV2` leaves the pseudo-header out
 * entirely; `oldUnicastChecksum` (keepalived's `old_unicast_checksum`, the pre-1.3.6 unicast
 * algorithm) puts the multicast group (224.0.0.18 / ff02::12) in the pseudo-header instead of the real
 * unicast destination. The latter was verified against keepalived 2.2.7 captures; 2.2.7 rejects the
 * keyword `v3_checksum_as_v2`.
 * Pure: never throws on wire input (parseVrrp returns a typed reason, like src/proto/bfd.ts); encoders
 * throw only on bad input values that come from validated configuration.
 */
import { internetChecksum } from "./checksum.ts";
import { type Family, VRRP_MCAST_V4, VRRP_MCAST_V6 } from "../core/inet.ts";
import { bytesToIpv4, IPPROTO_VRRP, ipv4PseudoHeader, ipv4ToBytes } from "./ipv4.ts";
import type { Result } from "./result.ts";
import { bytesToIpv6, ipv6PseudoHeader, ipv6ToBytes } from "./ipv6.ts";

/** VRRPv2 authentication (RFC 2338 §5.3.6): none (0), simple text password (1), IPSEC-AH (2). */
export type VrrpAuth = { type: "none" } | { type: "pass"; password: string } | { type: "ah" };

/** VRRP packet type: Advertisement (the only one defined). */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** Auth Type field values (RFC 2338 §5.3.6). */
export const AUTH_TYPE_CODE = { none: 0, pass: 1, ah: 2 } as const;
/** Length of the v2 Authentication Data field in bytes. */
export const V2_AUTH_DATA_LEN = 8;

/** A decoded advertisement. */
export interface VrrpAdvert {
  version: 2 | 3;
  /** Virtual Router ID 1..255 (0 is passed through; the FSM rejects it). */
  vrid: number;
  /** Priority 0..255; 0 = master is stopping, 255 = address owner. */
  priority: number;
  /** Advertisement interval in centiseconds (v2: Adver Int seconds * 100; v3: Max Adver Int). */
  advertIntervalCs: number;
  /** Virtual addresses in packet order (dotted quad or RFC 5952 text). */
  addresses: string[];
  /** v2 Auth Type field name ("none" for v3). */
  authType: "none" | "pass" | "ah";
  /** Checksum field as found on the wire. */
  checksum: number;
}

/** Inputs to encodeVrrp. */
export interface VrrpEncodeInput {
  version: 2 | 3;
  family: Family;
  vrid: number;
  priority: number;
  /** Advertisement interval in centiseconds; v2 sends round(cs / 100) seconds (min 1). */
  advertIntervalCs: number;
  addresses: string[];
  /** v2 authentication; default none. Ignored for v3. */
  auth?: VrrpAuth;
  /** Source and destination IP addresses, needed for the v3 pseudo-header checksum. */
  src?: string;
  dst?: string;
  /** v3 only: checksum without the pseudo-header (keepalived compatibility). @default false */
  v3ChecksumAsV2?: boolean;
  /** v3 only: pseudo-header carries the multicast group, not `dst` (old_unicast_checksum). @default false */
  oldUnicastChecksum?: boolean;
}

/**
 * Why parseVrrp discarded a packet, named after the RFC 5798 §7.1 / RFC 3768 §7.1 check that failed
 * (src/vrrp/receive.ts counts each under one keepalived stats counter).
 */
export type VrrpDiscardReason =
  /** TTL / hop limit outside the accepted range (255, or a unicast peer's min_ttl..max_ttl). */
  | "bad-ttl"
  /** Shorter than the 8-byte VRRP header. */
  | "truncated"
  /** Version other than the instance's (or 2 over IPv6). */
  | "bad-version"
  /** Type other than 1 (Advertisement). */
  | "bad-type"
  /** Length does not match the address count (and the v2 authentication data). */
  | "bad-length"
  /** The IP source or destination cannot go into the v3 pseudo-header. */
  | "bad-pseudo-header"
  | "bad-checksum"
  /** v2 Auth Type outside 0..2. */
  | "invalid-auth-type"
  /** v2 Auth Type valid but not ours (keepalived's "Auth Type Mismatch"). */
  | "auth-type-mismatch"
  /** v2 simple password differs. */
  | "auth-failure";

/** A discard verdict: `reason` is stable for counters and tests, `detail` names the bad value. */
export interface VrrpDiscard {
  ok: false;
  reason: VrrpDiscardReason;
  detail: string;
}

/** Result of parseVrrp. */
export type VrrpResult<T> = Result<T, VrrpDiscard>;

const discard = (reason: VrrpDiscardReason, detail: string): VrrpDiscard => ({ ok: false, reason, detail });

/** Receive-side expectations for parseVrrp. */
export interface VrrpParseOptions {
  family: Family;
  /** The VRRP version this instance runs; a packet of the other version is rejected. */
  version: 2 | 3;
  /** TTL (IPv4) or hop limit (IPv6) of the received packet, from the IP header or cmsg. */
  ttl: number;
  /** Accepted TTL range, inclusive. @default [255, 255] */
  ttlRange?: [number, number];
  /** IP source and destination of the received packet (v3 checksum pseudo-header). */
  src: string;
  dst: string;
  /** Expected v2 authentication; default none. */
  auth?: VrrpAuth;
  /** v3: verify the checksum computed without the pseudo-header. @default false */
  v3ChecksumAsV2?: boolean;
  /** v3: verify the checksum computed with the multicast group as pseudo-header destination. @default false */
  oldUnicastChecksum?: boolean;
}

/** Options that select how the checksum is computed. */
export interface VrrpChecksumOptions {
  version: 2 | 3;
  family: Family;
  src?: string;
  dst?: string;
  v3ChecksumAsV2?: boolean;
  oldUnicastChecksum?: boolean;
}

const addrLen = (f: Family) => (f === "ipv4" ? 4 : 16);
const addrBytes = (f: Family, a: string) => (f === "ipv4" ? ipv4ToBytes(a) : ipv6ToBytes(a));

/** Pads/truncates a v2 PASS password to the 8-byte NUL-padded Authentication Data field. */
export function passAuthData(password: string): Uint8Array {
  const out = new Uint8Array(V2_AUTH_DATA_LEN);
  out.set(new TextEncoder().encode(password).subarray(0, V2_AUTH_DATA_LEN));
  return out;
}

/** Expected length in bytes of a VRRP message with `count` addresses. */
export function vrrpLength(version: 2 | 3, family: Family, count: number): number {
  return 8 + count * addrLen(family) + (version === 2 ? V2_AUTH_DATA_LEN : 0);
}

/** The v3 checksum pseudo-header for `msgLen` bytes of VRRP from src to dst. */
function pseudoHeader(family: Family, src: string, dst: string, msgLen: number): Uint8Array | undefined {
  if (!addrBytes(family, src) || !addrBytes(family, dst)) return undefined;
  return family === "ipv4" ? ipv4PseudoHeader(src, dst, IPPROTO_VRRP, msgLen) : ipv6PseudoHeader(src, dst, IPPROTO_VRRP, msgLen);
}

/** Computes the checksum a VRRP message should carry (its checksum field is treated as zero). */
export function vrrpChecksum(msg: Uint8Array, o: VrrpChecksumOptions): number | undefined {
  const copy = msg.slice();
  copy[6] = 0;
  copy[7] = 0;
  if (o.version === 2 || o.v3ChecksumAsV2) return internetChecksum(copy);
  const mcast = o.family === "ipv4" ? VRRP_MCAST_V4 : VRRP_MCAST_V6;
  const ph = pseudoHeader(o.family, o.src ?? "", o.oldUnicastChecksum ? mcast : (o.dst ?? ""), copy.length);
  return ph ? internetChecksum(ph, copy) : undefined;
}

/** Encodes an advertisement (the VRRP message only, without the IP header). */
export function encodeVrrp(i: VrrpEncodeInput): Uint8Array {
  if (i.family === "ipv6" && i.version !== 3) throw new Error("VRRP over IPv6 requires version 3");
  const b = new Uint8Array(vrrpLength(i.version, i.family, i.addresses.length));
  b[0] = (i.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  b[1] = i.vrid;
  b[2] = i.priority;
  b[3] = i.addresses.length;
  if (i.version === 2) {
    const auth = i.auth ?? { type: "none" };
    b[4] = AUTH_TYPE_CODE[auth.type];
    b[5] = Math.min(255, Math.max(1, Math.round(i.advertIntervalCs / 100)));
    if (auth.type === "pass") b.set(passAuthData(auth.password), b.length - V2_AUTH_DATA_LEN);
  } else {
    b[4] = (i.advertIntervalCs >> 8) & 0x0f;
    b[5] = i.advertIntervalCs & 0xff;
  }
  i.addresses.forEach((a, n) => {
    const ab = addrBytes(i.family, a);
    if (!ab) throw new Error(`invalid ${i.family} address "${a}"`);
    b.set(ab, 8 + n * addrLen(i.family));
  });
  const sum = vrrpChecksum(b, i);
  if (sum === undefined) {
    throw new Error(`VRRPv3 needs valid src/dst for the checksum (src=${i.src} dst=${i.dst})`);
  }
  b[6] = sum >> 8;
  b[7] = sum & 0xff;
  return b;
}

/** Decodes and checks one VRRP message (IP payload). Returns the advert or the check that failed. */
export function parseVrrp(msg: Uint8Array, o: VrrpParseOptions): VrrpResult<VrrpAdvert> {
  const header = checkHeader(msg, o);
  if (header) return header;
  const count = msg[3]!;
  const checksum = (msg[6]! << 8) | msg[7]!;
  const expect = vrrpChecksum(msg, o);
  if (expect === undefined) {
    return discard("bad-pseudo-header", `bad src/dst for checksum: ${o.src} -> ${o.dst}`);
  }
  if (checksum !== expect) {
    return discard("bad-checksum", `checksum 0x${hex4(checksum)} != 0x${hex4(expect)}`);
  }
  const auth = checkAuth(msg, o);
  if (!auth.ok) return auth;
  const addresses: string[] = [];
  for (let n = 0; n < count; n++) {
    const off = 8 + n * addrLen(o.family);
    addresses.push(o.family === "ipv4" ? bytesToIpv4(msg, off) : bytesToIpv6(msg, off));
  }
  const version = o.version;
  const advertIntervalCs = version === 2 ? msg[5]! * 100 : ((msg[4]! & 0x0f) << 8) | msg[5]!;
  return {
    ok: true,
    value: {
      version,
      vrid: msg[1]!,
      priority: msg[2]!,
      advertIntervalCs,
      addresses,
      authType: auth.value,
      checksum,
    },
  };
}

/** TTL, header length, version, type and total length, in RFC 5798 §7.1's order. */
function checkHeader(msg: Uint8Array, o: VrrpParseOptions): VrrpDiscard | undefined {
  const [minTtl, maxTtl] = o.ttlRange ?? [255, 255];
  if (o.ttl < minTtl || o.ttl > maxTtl) {
    const want = minTtl === maxTtl ? `!= ${minTtl}` : `outside ${minTtl}..${maxTtl}`;
    return discard("bad-ttl", `${o.family === "ipv4" ? "ttl" : "hop limit"} ${o.ttl} ${want}`);
  }
  if (msg.length < 8) return discard("truncated", `truncated: ${msg.length} bytes < 8-byte VRRP header`);
  const version = msg[0]! >> 4;
  if (version !== o.version) return discard("bad-version", `version ${version} != ${o.version}`);
  if (o.family === "ipv6" && version !== 3) {
    return discard("bad-version", `version ${version} invalid over IPv6`);
  }
  const type = msg[0]! & 0x0f;
  if (type !== VRRP_TYPE_ADVERTISEMENT) return discard("bad-type", `type ${type} != 1 (advertisement)`);
  const count = msg[3]!;
  const want = vrrpLength(o.version, o.family, count);
  if (msg.length !== want) {
    return discard("bad-length", `length ${msg.length} != ${want} for ${count} addresses`);
  }
  return undefined;
}

const hex4 = (n: number) => n.toString(16).padStart(4, "0");

/** v2 Auth Type / Authentication Data checks (RFC 2338 §7.1); v3 has no auth. */
function checkAuth(msg: Uint8Array, o: VrrpParseOptions): VrrpResult<"none" | "pass" | "ah"> {
  if (o.version === 3) return { ok: true, value: "none" };
  const want = o.auth ?? { type: "none" };
  const code = msg[4]!;
  if (code !== AUTH_TYPE_CODE[want.type]) {
    const valid = code <= AUTH_TYPE_CODE.ah;
    const detail = `auth type ${code} != ${AUTH_TYPE_CODE[want.type]} (${want.type})`;
    return discard(valid ? "auth-type-mismatch" : "invalid-auth-type", detail);
  }
  if (want.type === "pass") {
    const got = msg.subarray(msg.length - V2_AUTH_DATA_LEN);
    const exp = passAuthData(want.password);
    if (!got.every((x, i) => x === exp[i])) return discard("auth-failure", "auth pass mismatch");
  }
  return { ok: true, value: want.type };
}
