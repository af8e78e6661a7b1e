/**
 * Netlink message and attribute codec (RFC 3549 section 2.3.2; Linux UAPI linux/netlink.h): nlmsghdr,
 * NLMSG_ERROR / NLMSG_DONE, multi-part dump splitting, and the nlattr TLV format (nla_len, nla_type,
 * NLA_F_NESTED, 4-byte alignment). Used by every kernel conversation keepalived has: addresses, links,
 * routes, rules (rtnetlink) and IPVS (generic netlink).
 *
 * Byte order: netlink headers and most attribute values are in HOST byte order. This codec assumes a
 * little-endian host (x86-64, arm64), which is what every supported target is. Network-order values
 * (ports, addresses) are written explicitly big-endian by the be16/be32/address helpers.
 *
 * Pure: bytes in, typed value or `{ ok: false, reason }` out. Parsers never throw on wire input.
 * Encoders are fed validated config; they throw RangeError only on programmer error (bad address text).
 */
import { bytesToIpv4, ipv4ToBytes } from "./ipv4.ts";
import type { Result } from "./result.ts";
import { bytesToIpv6, ipv6ToBytes } from "./ipv6.ts";

/** Size of struct nlmsghdr in bytes. */
export const NLMSG_HDRLEN = 16;
/** Size of struct nlattr in bytes. */
export const NLA_HDRLEN = 4;

/** Reserved message types (linux/netlink.h). */
export const NLMSG_NOOP = 1;
/** Error or ACK (errno 0) for a request. */
export const NLMSG_ERROR = 2;
/** End of a multi-part dump. */
export const NLMSG_DONE = 3;
/** Data lost. */
export const NLMSG_OVERRUN = 4;
/** Lowest type a protocol may use. */
export const NLMSG_MIN_TYPE = 0x10;

/** nlmsg_flags bits; several share values and mean different things for GET / NEW / DEL / ERROR. */
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  /** GET: return the whole table. */
  ROOT: 0x100,
  /** GET: return all matching entries. */
  MATCH: 0x200,
  ATOMIC: 0x400,
  /** GET: ROOT | MATCH. */
  DUMP: 0x300,
  /** NEW: replace an existing object. */
  REPLACE: 0x100,
  /** NEW: fail if the object exists. */
  EXCL: 0x200,
  /** NEW: create if it does not exist. */
  CREATE: 0x400,
  /** NEW: add to the end of the list. */
  APPEND: 0x800,
  /** DEL: do not delete recursively. */
  NONREC: 0x100,
  /** ERROR: the request was capped (only its header echoed). */
  CAPPED: 0x100,
  /** ERROR: extended ACK TLVs follow. */
  ACK_TLVS: 0x200,
} as const;

/** nla_type bit: the payload is a list of attributes. */
export const NLA_F_NESTED = 0x8000;
/** nla_type bit: the payload is in network byte order. */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** Mask that removes the two flag bits from nla_type. */
export const NLA_TYPE_MASK = 0x3fff;

/** Extended ACK attribute types carried after the echoed request in NLMSG_ERROR. */
export const NLMSGERR_ATTR = { MSG: 1, OFFS: 2, COOKIE: 3 } as const;

/** Rounds a length up to the 4-byte netlink alignment. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** struct nlmsghdr; `len` counts the header itself. */
export interface NlHeader {
  /** Total message length in bytes, header included. */
  len: number;
  type: number;
  flags: number;
  seq: number;
  /** Sender port id (0 = kernel). */
  pid: number;
}

/** One message split from a datagram: header plus payload (len - 16 bytes, unpadded). */
export interface NlMessage {
  header: NlHeader;
  payload: Uint8Array;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Encodes a 16-byte nlmsghdr. */
export function encodeNlHeader(h: NlHeader): Uint8Array {
  const buf = new ArrayBuffer(NLMSG_HDRLEN);
  const out = new Uint8Array(buf);
  const v = new DataView(buf);
  v.setUint32(0, h.len, true);
  v.setUint16(4, h.type, true);
  v.setUint16(6, h.flags, true);
  v.setUint32(8, h.seq >>> 0, true);
  v.setUint32(12, h.pid >>> 0, true);
  return out;
}

/** Builds one netlink message: header (len computed) + body, padded to 4 bytes. */
export function nlmsg(type: number, flags: number, seq: number, body: Uint8Array, pid = 0): Uint8Array {
  const len = NLMSG_HDRLEN + body.length;
  const out = new Uint8Array(align4(len));
  out.set(encodeNlHeader({ len, type, flags, seq, pid }), 0);
  out.set(body, NLMSG_HDRLEN);
  return out;
}

/** Decodes the nlmsghdr at `offset`. */
export function parseNlHeader(buf: Uint8Array, offset = 0): Result<NlHeader> {
  if (buf.length - offset < NLMSG_HDRLEN) {
    return { ok: false, reason: `short netlink header: ${buf.length - offset} bytes at offset ${offset}, need 16` };
  }
  const v = view(buf);
  return {
    ok: true,
    value: {
      len: v.getUint32(offset, true),
      type: v.getUint16(offset + 4, true),
      flags: v.getUint16(offset + 6, true),
      seq: v.getUint32(offset + 8, true),
      pid: v.getUint32(offset + 12, true),
    },
  };
}

/** Splits a datagram into its messages (a dump reply holds many). Errors on any length inconsistency. */
export function splitMessages(buf: Uint8Array): Result<NlMessage[]> {
  const out: NlMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    const h = parseNlHeader(buf, off);
    if (!h.ok) return h;
    const len = h.value.len;
    if (len < NLMSG_HDRLEN) return { ok: false, reason: `nlmsg_len ${len} at offset ${off} is below 16` };
    if (off + len > buf.length) {
      return { ok: false, reason: `nlmsg_len ${len} at offset ${off} runs past the ${buf.length}-byte buffer` };
    }
    out.push({ header: h.value, payload: buf.subarray(off + NLMSG_HDRLEN, off + len) });
    off += align4(len);
  }
  return { ok: true, value: out };
}

/**
 * Whether the first `n` bytes of `buf` are exactly one NLMSG_ERROR with errno 0 (an ACK) answering
 * sequence number `seq`: what most requests get back, recognised without decoding anything.
 */
export function isPlainAck(buf: DataView, n: number, seq: number): boolean {
  if (n < NLMSG_HDRLEN + 4 + NLMSG_HDRLEN || buf.byteLength < n) return false;
  const len = buf.getUint32(0, true);
  return len >= NLMSG_HDRLEN + 4 + NLMSG_HDRLEN && len <= n && align4(len) >= n && buf.getUint16(4, true) === NLMSG_ERROR &&
    buf.getUint32(8, true) === seq >>> 0 && buf.getInt32(16, true) === 0;
}

/** Decoded NLMSG_ERROR: errno 0 is an ACK. */
export interface NlError {
  /** Positive errno (17 = EEXIST), 0 for an ACK. */
  errno: number;
  /** The echoed request header. */
  request: NlHeader;
  /** The echoed request payload (empty when NLM_F_CAPPED). */
  requestPayload: Uint8Array;
  /** Extended ACK message (NLMSGERR_ATTR_MSG), when the kernel sent one. */
  message?: string;
  /** Extended ACK: byte offset of the offending attribute in the request. */
  offset?: number;
}

/** Parses the payload of an NLMSG_ERROR message (errno, echoed request, extended ACK TLVs). */
export function parseNlError(msg: NlMessage): Result<NlError> {
  const p = msg.payload;
  if (msg.header.type !== NLMSG_ERROR) return { ok: false, reason: `message type ${msg.header.type} is not NLMSG_ERROR` };
  if (p.length < 4 + NLMSG_HDRLEN) return { ok: false, reason: `NLMSG_ERROR payload ${p.length} bytes, need 20` };
  const error = view(p).getInt32(0, true);
  const req = parseNlHeader(p, 4);
  if (!req.ok) return req;
  const capped = (msg.header.flags & NLM_F.CAPPED) !== 0;
  const echoedLen = capped ? NLMSG_HDRLEN : req.value.len;
  if (echoedLen < NLMSG_HDRLEN || 4 + echoedLen > p.length) {
    return { ok: false, reason: `NLMSG_ERROR echoes ${echoedLen} request bytes but only ${p.length - 4} are present` };
  }
  const out: NlError = {
    errno: error === 0 ? 0 : -error,
    request: req.value,
    requestPayload: p.subarray(4 + NLMSG_HDRLEN, 4 + echoedLen),
  };
  if ((msg.header.flags & NLM_F.ACK_TLVS) !== 0) {
    const tlv = parseAttrs(p.subarray(Math.min(p.length, 4 + align4(echoedLen))));
    if (!tlv.ok) return { ok: false, reason: `NLMSG_ERROR extended ACK: ${tlv.reason}` };
    for (const a of tlv.value) {
      if (a.type === NLMSGERR_ATTR.MSG) out.message = decodeString(a.value);
      if (a.type === NLMSGERR_ATTR.OFFS && a.value.length >= 4) out.offset = view(a.value).getUint32(0, true);
    }
  }
  return { ok: true, value: out };
}

/** What one datagram (or a run of them) of a dump reply contained. */
export interface DumpResult {
  /** Data messages (not ERROR / DONE / NOOP), in order. */
  messages: NlMessage[];
  /** True once NLMSG_DONE (or a final ERROR) was seen. */
  done: boolean;
  /** Set when the kernel answered with a non-zero errno (an ERROR message, or a negative DONE status). */
  error?: NlError | { errno: number };
  /** True if any message carried NLM_F_DUMP_INTR (the dump was inconsistent; retry it). */
  interrupted: boolean;
}

/** Collects the messages of a dump reply from one or more datagrams until NLMSG_DONE. */
export function collectDump(datagrams: Uint8Array | Uint8Array[]): Result<DumpResult> {
  const list = Array.isArray(datagrams) ? datagrams : [datagrams];
  const res: DumpResult = { messages: [], done: false, interrupted: false };
  for (const dg of list) {
    const msgs = splitMessages(dg);
    if (!msgs.ok) return msgs;
    for (const m of msgs.value) {
      if (res.done) return { ok: false, reason: `message type ${m.header.type} after the end of the dump` };
      if ((m.header.flags & NLM_F.DUMP_INTR) !== 0) res.interrupted = true;
      if (m.header.type === NLMSG_NOOP) continue;
      if (m.header.type === NLMSG_DONE) {
        res.done = true;
        if (m.payload.length >= 4) {
          const status = view(m.payload).getInt32(0, true);
          if (status < 0) res.error = { errno: -status };
        }
      } else if (m.header.type === NLMSG_ERROR) {
        const e = parseNlError(m);
        if (!e.ok) return e;
        res.done = true;
        if (e.value.errno !== 0) res.error = e.value;
      } else {
        res.messages.push(m);
      }
    }
  }
  return { ok: true, value: res };
}

/** Accumulates a dump reply datagram by datagram (as a socket receives it) until NLMSG_DONE. */
export class DumpCollector {
  private readonly res: DumpResult = { messages: [], done: false, interrupted: false };

  /** Adds one received datagram; returns whether the dump is complete, or a framing error. */
  push(datagram: Uint8Array): Result<boolean> {
    if (this.res.done) return { ok: false, reason: "datagram received after the end of the dump" };
    const r = collectDump(datagram);
    if (!r.ok) return r;
    this.res.messages.push(...r.value.messages);
    this.res.interrupted ||= r.value.interrupted;
    this.res.done = r.value.done;
    if (r.value.error) this.res.error = r.value.error;
    return { ok: true, value: this.res.done };
  }

  /** Everything collected so far. */
  result(): DumpResult {
    return this.res;
  }
}

/**
 * Finds the NLMSG_ERROR answering request `seq` in a received datagram: the ACK (errno 0) or error, or
 * undefined when the datagram holds no answer to that request.
 */
export function findAck(datagram: Uint8Array, seq: number): Result<NlError | undefined> {
  const msgs = splitMessages(datagram);
  if (!msgs.ok) return msgs;
  for (const m of msgs.value) {
    if (m.header.type === NLMSG_ERROR && m.header.seq === seq >>> 0) return parseNlError(m);
  }
  return { ok: true, value: undefined };
}

/** One attribute: `type` has the flag bits removed; `value` is the unpadded payload. */
export interface NlAttr {
  type: number;
  /** NLA_F_NESTED was set. */
  nested: boolean;
  /** NLA_F_NET_BYTEORDER was set. */
  netByteOrder: boolean;
  value: Uint8Array;
}

/** Parses a run of attributes filling `buf` exactly (last one's padding may be absent). */
export function parseAttrs(buf: Uint8Array): Result<NlAttr[]> {
  const out: NlAttr[] = [];
  const v = view(buf);
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLA_HDRLEN) {
      return { ok: false, reason: `${buf.length - off} trailing bytes at offset ${off} are not an attribute (bad alignment)` };
    }
    const len = v.getUint16(off, true);
    const rawType = v.getUint16(off + 2, true);
    if (len < NLA_HDRLEN) return { ok: false, reason: `nla_len ${len} at offset ${off} is below 4` };
    if (off + len > buf.length) {
      return { ok: false, reason: `nla_len ${len} (type ${rawType & NLA_TYPE_MASK}) at offset ${off} runs past the ${buf.length}-byte buffer` };
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
      value: buf.subarray(off + NLA_HDRLEN, off + len),
    });
    off = Math.min(buf.length, off + align4(len));
  }
  return { ok: true, value: out };
}

/** Decodes a NUL-terminated (or unterminated) attribute string as UTF-8. */
export function decodeString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? b.subarray(0, nul) : b);
}

/** Formats 4 or 16 address bytes as text; undefined for any other length. */
export function bytesToAddr(b: Uint8Array): string | undefined {
  if (b.length === 4) return bytesToIpv4(b);
  if (b.length === 16) return bytesToIpv6(b);
  return undefined;
}

/** Parses IPv4 or IPv6 text into 4 or 16 bytes; undefined when malformed. */
export function addrToBytes(addr: string): Uint8Array | undefined {
  return addr.includes(":") ? ipv6ToBytes(addr) : ipv4ToBytes(addr);
}

/** Formats link-layer address bytes as lower-case colon-separated hex ("00:00:5e:00:01:33"). */
export function bytesToMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
}

/** Parses "aa:bb:cc:dd:ee:ff" (any number of octets) into bytes; undefined when malformed. */
export function macToBytes(mac: string): Uint8Array | undefined {
  const parts = mac.split(":");
  if (parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}
