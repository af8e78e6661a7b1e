/**
 * Incremental HTTP/1.x response parser for HTTP_GET / SSL_GET and genhash.
 * RFC 9112 sections 4 (status line), 5 (header fields), 6.3 (message body length) and
 * 7.1 (chunked transfer coding). Bytes in, events out; never throws on wire input.
 * Memory is bounded: headers, chunk-size lines and trailers have byte limits, and body
 * bytes are handed back as views into the caller's chunks, never accumulated.
 */
import type { Result } from "./result.ts";

/** Byte limits of the parser. */
export interface HttpLimits {
  /** Maximum size of the status line plus header fields, in bytes. @default 16384 */
  maxHeaderBytes: number;
  /** Maximum length of one chunk-size line, in bytes. @default 1024 */
  maxChunkLineBytes: number;
  /** Maximum total size of the chunked trailer section, in bytes. @default 16384 */
  maxTrailerBytes: number;
}

/** Default limits. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxHeaderBytes: 16384,
  maxChunkLineBytes: 1024,
  maxTrailerBytes: 16384,
};

/** How the end of the body is found (RFC 9112 6.3). */
export type HttpFraming = "none" | "length" | "chunked" | "close";

/** A parsed status line and header section. */
export interface HttpHead {
  /** Minor version of HTTP/1.x. */
  minor: number;
  /** Status code (100-999). */
  status: number;
  /** Reason phrase (may be empty). */
  reason: string;
  /** Header fields in order, names lower-cased, values trimmed. */
  headers: Array<[string, string]>;
  /** Body framing chosen from the headers. */
  framing: HttpFraming;
  /** Declared body length in bytes when framing is "length". */
  contentLength?: number;
}

/** What one push() produced. */
export interface HttpPushResult {
  /** Set on the push that completed the (final, non-1xx) head. */
  head?: HttpHead;
  /** Body bytes as they were on the wire (chunk framing included), in order. */
  raw: Uint8Array[];
  /** Decoded body bytes (chunk framing removed), in order. */
  data: Uint8Array[];
  /** The message is complete; later bytes are ignored. */
  complete: boolean;
  /** Parse failure; the parser stops. */
  error?: string;
}

type ChunkState = "size" | "data" | "crlf" | "trailer";
const CR = 13;
const LF = 10;

/** Incremental response parser; feed it with push(), then end() at EOF. */
export class HttpResponseParser {
  private readonly limits: HttpLimits;
  private headBuf = new Uint8Array(0);
  private head: HttpHead | undefined;
  private remaining = 0;
  private chunkState: ChunkState = "size";
  private line: number[] = [];
  private trailerBytes = 0;
  private done = false;
  private failed: string | undefined;
  /** Body bytes seen on the wire so far. */
  rawBodyBytes = 0;
  /** Bytes of the head section(s), interim 1xx heads included. */
  headBytes = 0;

  constructor(limits: Partial<HttpLimits> = {}) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...limits };
  }

  /** The final head once parsed. */
  get response(): HttpHead | undefined {
    return this.head;
  }

  /** Feeds bytes; returns head, body pieces, completion or an error. */
  push(chunk: Uint8Array): HttpPushResult {
    const out: HttpPushResult = { raw: [], data: [], complete: this.done };
    if (this.failed !== undefined) return { ...out, error: this.failed };
    if (this.done) return out;
    let rest: Uint8Array | undefined = chunk;
    while (rest && rest.length > 0 && !this.head) {
      rest = this.pushHead(rest, out);
      if (out.error !== undefined) return this.fail(out, out.error);
    }
    if (this.head && !this.done && rest && rest.length > 0) this.pushBody(rest, out);
    if (out.error !== undefined) return this.fail(out, out.error);
    out.complete = this.done;
    return out;
  }

  /** Peer closed: completes a close-delimited body, else reports truncation. */
  end(): { complete: boolean; error?: string } {
    if (this.failed !== undefined) return { complete: false, error: this.failed };
    if (this.done) return { complete: true };
    if (!this.head) {
      const e = this.headBuf.length === 0 ? "closed before any response" : "closed inside the header section";
      return { complete: false, error: e };
    }
    if (this.head.framing === "close") {
      this.done = true;
      return { complete: true };
    }
    if (this.head.framing === "length") {
      const got = (this.head.contentLength ?? 0) - this.remaining;
      return { complete: false, error: `closed after ${got} of ${this.head.contentLength} body bytes` };
    }
    return { complete: false, error: "closed inside chunked body" };
  }

  private fail(out: HttpPushResult, reason: string): HttpPushResult {
    this.failed = reason;
    return { ...out, complete: false, error: reason };
  }

  /** Accumulates header bytes; returns the bytes after the head (or undefined). */
  private pushHead(chunk: Uint8Array, out: HttpPushResult): Uint8Array | undefined {
    const prev = this.headBuf.length;
    const room = this.limits.maxHeaderBytes + 4 - prev;
    const take = chunk.subarray(0, Math.max(0, room));
    const buf = new Uint8Array(prev + take.length);
    buf.set(this.headBuf);
    buf.set(take, prev);
    const endAt = findHeadEnd(buf, Math.max(0, prev - 3));
    if (endAt < 0) {
      if (buf.length > this.limits.maxHeaderBytes) {
        out.error = `header section exceeds ${this.limits.maxHeaderBytes} bytes`;
      } else if (!looksLikeStatusPrefix(buf)) {
        out.error = `bad status line: ${printable(buf)}`;
      }
      this.headBuf = buf;
      return undefined;
    }
    if (endAt > this.limits.maxHeaderBytes) {
      out.error = `header section exceeds ${this.limits.maxHeaderBytes} bytes`;
      return undefined;
    }
    if (!looksLikeStatusPrefix(buf)) {
      out.error = `bad status line: ${printable(buf)}`;
      return undefined;
    }
    const parsed = parseHead(latin1(buf.subarray(0, endAt)));
    if (!parsed.ok) {
      out.error = parsed.reason;
      return undefined;
    }
    this.headBuf = new Uint8Array(0);
    this.headBytes += endAt;
    const after = chunk.subarray(endAt - prev);
    if (parsed.value.status < 200 && parsed.value.status !== 101) return after; // interim 1xx
    this.head = parsed.value;
    out.head = parsed.value;
    if (parsed.value.framing === "none") this.done = true;
    if (parsed.value.framing === "length") {
      this.remaining = parsed.value.contentLength ?? 0;
      if (this.remaining === 0) this.done = true;
    }
    return after;
  }

  private pushBody(bytes: Uint8Array, out: HttpPushResult): void {
    const head = this.head as HttpHead;
    if (head.framing === "close") {
      this.emit(out, bytes, bytes);
      return;
    }
    if (head.framing === "length") {
      const piece = bytes.subarray(0, this.remaining);
      this.remaining -= piece.length;
      this.emit(out, piece, piece);
      if (this.remaining === 0) this.done = true;
      return;
    }
    const used = this.pushChunked(bytes, out);
    this.rawBodyBytes += used;
    out.raw.push(bytes.subarray(0, used));
  }

  private emit(out: HttpPushResult, raw: Uint8Array, data: Uint8Array): void {
    if (raw.length === 0) return;
    this.rawBodyBytes += raw.length;
    out.raw.push(raw);
    out.data.push(data);
  }

  /** Runs the chunked decoder over bytes; returns how many bytes belonged to the message. */
  private pushChunked(bytes: Uint8Array, out: HttpPushResult): number {
    let i = 0;
    while (i < bytes.length && !this.done && out.error === undefined) {
      if (this.chunkState === "data") {
        const n = Math.min(this.remaining, bytes.length - i);
        out.data.push(bytes.subarray(i, i + n));
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.chunkState = "crlf";
        continue;
      }
      const b = bytes[i] as number;
      i += 1;
      if (this.chunkState === "crlf") {
        if (b === LF) this.chunkState = "size";
        else if (b !== CR) out.error = "missing CRLF after chunk data";
        continue;
      }
      if (b !== LF) {
        this.line.push(b);
        if (this.chunkState === "size" && this.line.length > this.limits.maxChunkLineBytes) {
          out.error = `chunk-size line exceeds ${this.limits.maxChunkLineBytes} bytes`;
        }
        if (this.chunkState === "trailer" && ++this.trailerBytes > this.limits.maxTrailerBytes) {
          out.error = `trailer section exceeds ${this.limits.maxTrailerBytes} bytes`;
        }
        continue;
      }
      this.endOfLine(out);
    }
    return i;
  }

  private endOfLine(out: HttpPushResult): void {
    let text = String.fromCharCode(...this.line);
    this.line = [];
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (this.chunkState === "trailer") {
      if (text === "") this.done = true;
      return;
    }
    const size = parseChunkSize(text);
    if (size === undefined) {
      out.error = `bad chunk-size line: ${printable(new TextEncoder().encode(text))}`;
      return;
    }
    this.remaining = size;
    this.chunkState = size === 0 ? "trailer" : "data";
  }
}

/** Parses "1a;ext=1" → 26; undefined when not a hex size. */
function parseChunkSize(line: string): number | undefined {
  const m = /^([0-9A-Fa-f]{1,12})[ \t]*(;.*)?$/.exec(line);
  if (!m) return undefined;
  return Number.parseInt(m[1] as string, 16);
}

/** Index just past the blank line ending the head (CRLFCRLF or LFLF), or -1. */
function findHeadEnd(buf: Uint8Array, from: number): number {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] !== LF) continue;
    if (buf[i + 1] === LF) return i + 2;
    if (buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
  }
  return -1;
}

function looksLikeStatusPrefix(buf: Uint8Array): boolean {
  const want = "HTTP/";
  for (let i = 0; i < Math.min(buf.length, want.length); i++) {
    if (buf[i] !== want.charCodeAt(i)) return false;
  }
  return true;
}

/** Parses the status line and header fields of a complete head. */
export function parseHead(text: string): Result<HttpHead> {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const first = lines[0] ?? "";
  const m = /^HTTP\/1\.(\d) (\d{3})(?: (.*))?$/.exec(first);
  if (!m) return { ok: false, reason: `bad status line: ${printable(new TextEncoder().encode(first))}` };
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const last = headers[headers.length - 1];
    if ((line.startsWith(" ") || line.startsWith("\t")) && last) {
      last[1] = `${last[1]} ${line.trim()}`; // obsolete line folding
      continue;
    }
    const hm = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!hm) {
      return { ok: false, reason: `malformed header line: ${printable(new TextEncoder().encode(line))}` };
    }
    headers.push([(hm[1] as string).toLowerCase(), hm[2] as string]);
  }
  const status = Number(m[2]);
  const framing = chooseFraming(status, headers);
  if (!framing.ok) return framing;
  const head: HttpHead = {
    minor: Number(m[1]),
    status,
    reason: m[3] ?? "",
    headers,
    framing: framing.value.framing,
  };
  if (framing.value.length !== undefined) head.contentLength = framing.value.length;
  return { ok: true, value: head };
}

/** RFC 9112 6.3: 1xx/204/304 have no body; chunked wins over Content-Length; else length or close. */
function chooseFraming(status: number, headers: Array<[string, string]>): Result<{ framing: HttpFraming; length?: number }> {
  if (status < 200 || status === 204 || status === 304) return { ok: true, value: { framing: "none" } };
  const te = headers.filter(([n]) => n === "transfer-encoding").map(([, v]) => v.toLowerCase());
  if (te.length > 0) {
    const codings = te.join(",").split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (codings[codings.length - 1] === "chunked") return { ok: true, value: { framing: "chunked" } };
    return { ok: true, value: { framing: "close" } };
  }
  const cl = headers.filter(([n]) => n === "content-length").flatMap(([, v]) => v.split(",").map((s) => s.trim()));
  if (cl.length === 0) return { ok: true, value: { framing: "close" } };
  const first = cl[0] as string;
  if (!/^\d{1,15}$/.test(first) || cl.some((v) => v !== first)) {
    return { ok: false, reason: `bad Content-Length: ${cl.join(", ").slice(0, 60)}` };
  }
  return { ok: true, value: { framing: "length", length: Number(first) } };
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/** At most 40 bytes of input, non-printable bytes escaped, for error reasons. */
export function printable(b: Uint8Array): string {
  let s = "";
  for (const c of b.subarray(0, 40)) {
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return JSON.stringify(b.length > 40 ? `${s}...` : s);
}
