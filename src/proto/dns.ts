/**
 * DNS message codec for DNS_CHECK: RFC 1035 section 4.1 (header, question, resource
 * records), 4.1.4 (name compression, decode only) and 3.2.2 (TYPE values), plus AAAA
 * (RFC 3596). Encodes one standard query; decodes a response without throwing.
 */
import type { Result } from "./result.ts";

/** Query types DNS_CHECK accepts (keepalived.conf(5) `type`), with their RFC 1035 codes. */
export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;

/** Name of a supported query type. */
export type DnsTypeName = keyof typeof DNS_TYPES;

/** CLASS IN. */
export const DNS_CLASS_IN = 1;

/** A question entry. */
export interface DnsQuestion {
  /** Domain name without the trailing dot; "" is the root. */
  name: string;
  type: number;
  class: number;
}

/** A resource record (rdata kept raw). */
export interface DnsRecord extends DnsQuestion {
  /** Seconds. */
  ttl: number;
  rdata: Uint8Array;
}

/** A decoded DNS message. */
export interface DnsMessage {
  id: number;
  /** QR bit: true for a response. */
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  /** Response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN...). */
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

/** Options of one query. */
export interface DnsQueryOptions {
  /** 16-bit query id. */
  id: number;
  /** Domain name, "." or "" for the root; a trailing dot is allowed. */
  name: string;
  /** Query type code (see DNS_TYPES). */
  type: number;
  /** Set RD (recursion desired). @default true */
  recursionDesired?: boolean;
}

/** Splits a name into labels; rejects empty labels and labels over 63 bytes, names over 255. */
export function nameToLabels(name: string): Result<string[]> {
  const trimmed = name === "." ? "" : name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed === "") return { ok: true, value: [] };
  const labels = trimmed.split(".");
  let wire = 1;
  for (const l of labels) {
    const len = new TextEncoder().encode(l).length;
    if (len === 0) return { ok: false, reason: `empty label in name ${JSON.stringify(name)}` };
    if (len > 63) return { ok: false, reason: `label longer than 63 bytes in name ${JSON.stringify(name)}` };
    wire += len + 1;
  }
  if (wire > 255) return { ok: false, reason: `name longer than 255 bytes: ${JSON.stringify(name)}` };
  return { ok: true, value: labels };
}

/** Encodes a standard query with one question (QCLASS IN). */
export function encodeQuery(q: DnsQueryOptions): Result<Uint8Array> {
  const labels = nameToLabels(q.name);
  if (!labels.ok) return labels;
  const enc = new TextEncoder();
  const parts = labels.value.map((l) => enc.encode(l));
  const nameLen = parts.reduce((n, p) => n + p.length + 1, 1);
  const out = new Uint8Array(12 + nameLen + 4);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, q.id & 0xffff);
  dv.setUint16(2, q.recursionDesired === false ? 0 : 0x0100);
  dv.setUint16(4, 1); // QDCOUNT
  let off = 12;
  for (const p of parts) {
    out[off++] = p.length;
    out.set(p, off);
    off += p.length;
  }
  out[off++] = 0;
  dv.setUint16(off, q.type);
  dv.setUint16(off + 2, DNS_CLASS_IN);
  return { ok: true, value: out };
}

/** Reads a possibly compressed name at off; returns the name and the offset after it. */
export function readName(buf: Uint8Array, off: number): Result<{ name: string; next: number }> {
  const labels: string[] = [];
  let pos = off;
  let next = -1;
  let jumps = 0;
  let total = 1;
  for (;;) {
    if (pos >= buf.length) return { ok: false, reason: `name runs past end of message at offset ${pos}` };
    const len = buf[pos] as number;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) {
        return { ok: false, reason: `truncated compression pointer at offset ${pos}` };
      }
      if (++jumps > 64) return { ok: false, reason: "compression pointer loop" };
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | (buf[pos + 1] as number);
      continue;
    }
    if ((len & 0xc0) !== 0) {
      return { ok: false, reason: `bad label type 0x${len.toString(16)} at offset ${pos}` };
    }
    if (len === 0) break;
    if (pos + 1 + len > buf.length) {
      return { ok: false, reason: `label runs past end of message at offset ${pos}` };
    }
    total += len + 1;
    if (total > 255) return { ok: false, reason: "name longer than 255 bytes" };
    labels.push(String.fromCharCode(...buf.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { ok: true, value: { name: labels.join("."), next: next < 0 ? pos + 1 : next } };
}

function readQuestion(buf: Uint8Array, off: number): Result<{ q: DnsQuestion; next: number }> {
  const n = readName(buf, off);
  if (!n.ok) return n;
  const p = n.value.next;
  if (p + 4 > buf.length) return { ok: false, reason: "question runs past end of message" };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    ok: true,
    value: { q: { name: n.value.name, type: dv.getUint16(p), class: dv.getUint16(p + 2) }, next: p + 4 },
  };
}

function readRecord(buf: Uint8Array, off: number): Result<{ r: DnsRecord; next: number }> {
  const q = readQuestion(buf, off);
  if (!q.ok) return q;
  const p = q.value.next;
  if (p + 6 > buf.length) return { ok: false, reason: "resource record header runs past end of message" };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const rdlen = dv.getUint16(p + 4);
  if (p + 6 + rdlen > buf.length) return { ok: false, reason: `RDLENGTH ${rdlen} runs past end of message` };
  const r: DnsRecord = { ...q.value.q, ttl: dv.getUint32(p), rdata: buf.slice(p + 6, p + 6 + rdlen) };
  return { ok: true, value: { r, next: p + 6 + rdlen } };
}

/** Decodes a DNS message; never throws. */
export function decodeMessage(buf: Uint8Array): Result<DnsMessage> {
  if (buf.length < 12) {
    return { ok: false, reason: `message shorter than the 12-byte header (${buf.length})` };
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = dv.getUint16(2);
  const msg: DnsMessage = {
    id: dv.getUint16(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
  };
  let off = 12;
  for (let i = 0; i < dv.getUint16(4); i++) {
    const q = readQuestion(buf, off);
    if (!q.ok) return q;
    msg.questions.push(q.value.q);
    off = q.value.next;
  }
  const sections: Array<[DnsRecord[], number]> = [
    [msg.answers, dv.getUint16(6)],
    [msg.authority, dv.getUint16(8)],
    [msg.additional, dv.getUint16(10)],
  ];
  for (const [list, count] of sections) {
    for (let i = 0; i < count; i++) {
      const r = readRecord(buf, off);
      if (!r.ok) return r;
      list.push(r.value.r);
      off = r.value.next;
    }
  }
  return { ok: true, value: msg };
}

/** Names of RCODE values (RFC 1035 4.1.1, RFC 6895). */
export function rcodeName(rcode: number): string {
  const names = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
  return names[rcode] ?? `RCODE${rcode}`;
}
