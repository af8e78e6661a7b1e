/**
 * BFD Control packet codec.
 *
 * - RFC 5880 §4.1: the mandatory section of a Control packet (24 octets, version 1). We implement no
 *   authentication (keepalived has none), so a packet with the A bit set is discarded and the encoder never
 *   writes an authentication section.
 * - RFC 5880 §6.8.6: the reception checks that depend on the packet alone, applied in the RFC's order by
 *   {@link parseBfdControl}; the one that needs a session (Your Discriminator selects a session) is
 *   {@link checkYourDiscriminator}.
 * - RFC 5881 §5 (single hop: TTL / Hop Limit must be 255) and keepalived's `ttl`/`hoplimit` + `max_hops`
 *   extension, also used for RFC 5883 multihop sessions: {@link checkReceivedTtl}.
 *
 * Pure: bytes in, typed value or typed reason out; never throws on wire input.
 */
import type { Result } from "./result.ts";

/** The only BFD version (RFC 5880 §4.1). */
export const BFD_VERSION = 1;
/** Length in octets of a Control packet without authentication (RFC 5880 §4.1). */
export const BFD_CONTROL_LENGTH = 24;
/** Minimum Length field when the A bit is set (RFC 5880 §6.8.6). */
export const BFD_CONTROL_LENGTH_WITH_AUTH = 26;
/** UDP destination port of single-hop Control packets (RFC 5881 §4). */
export const BFD_SINGLE_HOP_PORT = 3784;
/** UDP destination port of single-hop Echo packets (RFC 5881 §4); we do not implement Echo. */
export const BFD_ECHO_PORT = 3785;
/** UDP destination port of multihop Control packets (RFC 5883 §5). */
export const BFD_MULTI_HOP_PORT = 4784;
/** Lowest UDP source port a sender may use (RFC 5881 §4). */
export const BFD_SOURCE_PORT_MIN = 49152;
/** Highest UDP source port a sender may use (RFC 5881 §4). */
export const BFD_SOURCE_PORT_MAX = 65535;
/** TTL / Hop Limit that single-hop packets are sent with and must arrive with (RFC 5881 §5). */
export const BFD_SINGLE_HOP_TTL = 255;

/** Session states in wire order (RFC 5880 §4.1: 0 AdminDown, 1 Down, 2 Init, 3 Up). */
export const BFD_STATES = ["AdminDown", "Down", "Init", "Up"] as const;
/** A BFD session state (RFC 5880 §4.1, §6.2). */
export type BfdState = (typeof BFD_STATES)[number];

/** Diagnostic codes (RFC 5880 §4.1); 9–31 are reserved and passed through as numbers. */
export const Diag = {
  NoDiagnostic: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;

const DIAG_NAMES: readonly string[] = Object.keys(Diag);

/** Readable name of a diagnostic code, e.g. `ControlDetectionTimeExpired`, or `Reserved(12)`. */
export function diagName(code: number): string {
  return DIAG_NAMES[code] ?? `Reserved(${code})`;
}

/** The fields our encoder writes: a 24-octet Control packet without authentication, Multipoint clear. */
export interface BfdControlFields {
  /** Diagnostic code, 0–31 (see {@link Diag}). */
  diag: number;
  /** Sender's session state. */
  state: BfdState;
  /** P: a Poll Sequence is in progress. */
  poll: boolean;
  /** F: answers a received Poll. */
  final: boolean;
  /** C: Control Plane Independent. */
  controlPlaneIndependent: boolean;
  /** D: the sender wishes to operate in Demand mode. */
  demand: boolean;
  /** Detect Mult, 1–255. */
  detectMult: number;
  /** My Discriminator, non-zero 32-bit. */
  myDiscriminator: number;
  /** Your Discriminator, 0 if not yet known. */
  yourDiscriminator: number;
  /** Desired Min TX Interval, microseconds. */
  desiredMinTxUs: number;
  /** Required Min RX Interval, microseconds (0: do not send me periodic packets). */
  requiredMinRxUs: number;
  /** Required Min Echo RX Interval, microseconds (0: no Echo). */
  requiredMinEchoRxUs: number;
}

/** A decoded Control packet: the encoder's fields plus the header fields only a parser sees. */
export interface BfdControlPacket extends BfdControlFields {
  /** Version field (always 1 after a successful parse). */
  version: number;
  /** A: authentication section present (always false after a successful parse). */
  authPresent: boolean;
  /** M: multipoint (always false after a successful parse). */
  multipoint: boolean;
  /** Length field, octets. */
  length: number;
}

/** Why a received packet was discarded; named after the RFC 5880 §6.8.6 / RFC 5881 §5 check that failed. */
export type BfdDiscardReason =
  | "truncated"
  | "bad-version"
  | "length-too-small"
  | "length-exceeds-payload"
  | "zero-detect-mult"
  | "multipoint"
  | "zero-my-discriminator"
  | "zero-your-discriminator"
  | "auth-not-supported"
  | "poll-and-final"
  | "unknown-your-discriminator"
  | "ttl-too-low";

/** A discard verdict: `reason` is stable for counters and tests, `detail` names the bad value. */
export interface BfdDiscard {
  ok: false;
  reason: BfdDiscardReason;
  detail: string;
}

function discard(reason: BfdDiscardReason, detail: string): BfdDiscard {
  return { ok: false, reason, detail };
}

const FLAG_P = 0x20;
const FLAG_F = 0x10;
const FLAG_C = 0x08;
const FLAG_A = 0x04;
const FLAG_D = 0x02;
const FLAG_M = 0x01;

/** Encodes a 24-octet Control packet (RFC 5880 §4.1). Out-of-range numbers are masked to their field width. */
export function encodeBfdControl(f: BfdControlFields): Uint8Array {
  const buf = new ArrayBuffer(BFD_CONTROL_LENGTH); // before the views: see netlink-attr.ts num()
  const out = new Uint8Array(buf);
  const view = new DataView(buf);
  out[0] = (BFD_VERSION << 5) | (f.diag & 0x1f);
  out[1] = (BFD_STATES.indexOf(f.state) << 6) |
    (f.poll ? FLAG_P : 0) |
    (f.final ? FLAG_F : 0) |
    (f.controlPlaneIndependent ? FLAG_C : 0) |
    (f.demand ? FLAG_D : 0);
  out[2] = f.detectMult & 0xff;
  out[3] = BFD_CONTROL_LENGTH;
  view.setUint32(4, f.myDiscriminator >>> 0);
  view.setUint32(8, f.yourDiscriminator >>> 0);
  view.setUint32(12, f.desiredMinTxUs >>> 0);
  view.setUint32(16, f.requiredMinRxUs >>> 0);
  view.setUint32(20, f.requiredMinEchoRxUs >>> 0);
  return out;
}

/** Reads every header field without judging it; `buf` must hold at least 24 octets. */
function readHeader(buf: Uint8Array): BfdControlPacket {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const b0 = buf[0] ?? 0;
  const b1 = buf[1] ?? 0;
  return {
    version: b0 >> 5,
    diag: b0 & 0x1f,
    state: BFD_STATES[b1 >> 6] ?? "AdminDown",
    poll: (b1 & FLAG_P) !== 0,
    final: (b1 & FLAG_F) !== 0,
    controlPlaneIndependent: (b1 & FLAG_C) !== 0,
    authPresent: (b1 & FLAG_A) !== 0,
    demand: (b1 & FLAG_D) !== 0,
    multipoint: (b1 & FLAG_M) !== 0,
    detectMult: buf[2] ?? 0,
    length: buf[3] ?? 0,
    myDiscriminator: view.getUint32(4),
    yourDiscriminator: view.getUint32(8),
    desiredMinTxUs: view.getUint32(12),
    requiredMinRxUs: view.getUint32(16),
    requiredMinEchoRxUs: view.getUint32(20),
  };
}

/** The framing checks: version, then Length against its minimum and against the UDP payload. */
function checkFraming(buf: Uint8Array): BfdDiscard | null {
  if (buf.length < 1) return discard("truncated", "empty UDP payload");
  const version = (buf[0] ?? 0) >> 5;
  if (version !== BFD_VERSION) return discard("bad-version", `version ${version}, expected ${BFD_VERSION}`);
  if (buf.length < 4) return discard("truncated", `${buf.length} octets, cannot read the Length field`);
  const auth = ((buf[1] ?? 0) & FLAG_A) !== 0;
  const length = buf[3] ?? 0;
  const min = auth ? BFD_CONTROL_LENGTH_WITH_AUTH : BFD_CONTROL_LENGTH;
  if (length < min) {
    return discard("length-too-small", `Length ${length} < ${min} (A bit ${auth ? "set" : "clear"})`);
  }
  if (length > buf.length) {
    return discard("length-exceeds-payload", `Length ${length} > UDP payload ${buf.length} octets`);
  }
  return null;
}

/** The field checks of RFC 5880 §6.8.6 after framing, in the RFC's order. */
function checkFields(p: BfdControlPacket): BfdDiscard | null {
  if (p.detectMult === 0) return discard("zero-detect-mult", "Detect Mult is 0");
  if (p.multipoint) return discard("multipoint", "Multipoint (M) bit is set");
  if (p.myDiscriminator === 0) return discard("zero-my-discriminator", "My Discriminator is 0");
  const zero = checkZeroYourDiscriminator(p);
  if (zero) return zero;
  if (p.authPresent) return discard("auth-not-supported", "A bit set but no authentication is configured");
  // RFC 5880 §6.5: a packet MUST NOT carry both P and F; such a packet cannot be answered sensibly.
  if (p.poll && p.final) return discard("poll-and-final", "both Poll (P) and Final (F) bits are set");
  return null;
}

/**
 * Parses a UDP payload as a Control packet, applying the packet-level checks of RFC 5880 §6.8.6 in order:
 * version, Length minimum (24, or 26 with A), Length vs payload, Detect Mult, Multipoint, My Discriminator,
 * zero Your Discriminator outside Down/AdminDown, A bit (no authentication here), then P and F together.
 * Octets beyond Length are ignored.
 */
export function parseBfdControl(buf: Uint8Array): Result<BfdControlPacket, BfdDiscard> {
  const framing = checkFraming(buf);
  if (framing) return framing;
  const packet = readHeader(buf);
  const fields = checkFields(packet);
  if (fields) return fields;
  return { ok: true, value: packet };
}

/**
 * RFC 5880 §6.8.6: a zero Your Discriminator is only valid while the sender is Down or AdminDown (it has not
 * heard from us yet). Part of {@link parseBfdControl}; exported for callers that demultiplex by hand.
 */
export function checkZeroYourDiscriminator(
  p: Pick<BfdControlFields, "yourDiscriminator" | "state">,
): BfdDiscard | null {
  if (p.yourDiscriminator !== 0 || p.state === "Down" || p.state === "AdminDown") return null;
  return discard("zero-your-discriminator", `Your Discriminator is 0 but State is ${p.state}`);
}

/**
 * Session selection check of RFC 5880 §6.8.6: a non-zero Your Discriminator must be this session's
 * local discriminator; a zero one is accepted only with State Down or AdminDown.
 */
export function checkYourDiscriminator(
  p: Pick<BfdControlFields, "yourDiscriminator" | "state">,
  localDiscriminator: number,
): Result<true, BfdDiscard> {
  const zero = checkZeroYourDiscriminator(p);
  if (zero) return zero;
  if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== localDiscriminator >>> 0) {
    return discard(
      "unknown-your-discriminator",
      `Your Discriminator ${p.yourDiscriminator} does not match local discriminator ${localDiscriminator >>> 0}`,
    );
  }
  return { ok: true, value: true };
}

/** How a session judges the TTL / Hop Limit of received packets. */
export interface BfdTtlPolicy {
  /** TTL / Hop Limit the peer sends with (keepalived `ttl` / `hoplimit`; RFC 5881 says 255). */
  expectedTtl: number;
  /** Largest accepted reduction in transit (keepalived `max_hops`; 0 = single hop; >= 255 disables the check). */
  maxHops: number;
}

/** RFC 5881 §5 single hop: packets must arrive with TTL / Hop Limit 255. */
export const SINGLE_HOP_TTL_POLICY: BfdTtlPolicy = { expectedTtl: BFD_SINGLE_HOP_TTL, maxHops: 0 };

/** Lowest TTL / Hop Limit a policy accepts (0 when the check is disabled). */
export function minAcceptedTtl(policy: BfdTtlPolicy): number {
  if (policy.maxHops >= 255) return 0;
  return Math.max(0, policy.expectedTtl - policy.maxHops);
}

/**
 * GTSM-style check (RFC 5881 §5, RFC 5082) with keepalived's `max_hops`: discard when
 * `receivedTtl + maxHops < expectedTtl`. With the single-hop policy only 255 passes. For RFC 5883 multihop
 * sessions the RFC sets no rule, so `max_hops` alone decides. `receivedTtl` undefined means the kernel did
 * not report one (no IP_RECVTTL / IPV6_RECVHOPLIMIT ancillary data); the check then passes.
 */
export function checkReceivedTtl(receivedTtl: number | undefined, policy: BfdTtlPolicy): Result<true, BfdDiscard> {
  if (receivedTtl === undefined) return { ok: true, value: true };
  const min = minAcceptedTtl(policy);
  if (receivedTtl < min) {
    return discard(
      "ttl-too-low",
      `TTL/Hop Limit ${receivedTtl} < ${min} (ttl ${policy.expectedTtl}, max_hops ${policy.maxHops})`,
    );
  }
  return { ok: true, value: true };
}
