/**
 * UDP_CHECK (keepalived.conf(5)): send `payload` (random bytes if none) to the real server.
 * Without `require_reply` the check passes unless an ICMP error (port/host/net unreachable)
 * arrives before connect_timeout, so a passing attempt lasts the whole timeout. With
 * `require_reply` a reply is needed, its length must lie in [min_reply_length,
 * max_reply_length] and, when a pattern is given, it must match the pattern over the shorter
 * of the two lengths; pattern nibbles written X/x match anything.
 */
import { runDatagram } from "./datagram.ts";
import { type CheckResult, type Endpoint, fail, pass, type RunCheck } from "./types.ts";

/** Bytes with a per-nibble care mask (mask bit 0 = ignore). */
export interface HexPattern {
  bytes: Uint8Array;
  mask: Uint8Array;
}

/** Options of one UDP_CHECK. */
export interface UdpCheckOptions {
  endpoint: Endpoint;
  /** Overall deadline of one attempt in ms (connect_timeout). */
  connectTimeoutMs: number;
  /** Bytes to send (`payload`); random 8 bytes when undefined. */
  payload?: Uint8Array;
  /** `require_reply`: undefined = no reply needed; true = any reply; pattern = reply must match. */
  requireReply?: true | HexPattern;
  /** Minimum reply length in bytes. @default 0 */
  minReplyLength?: number;
  /** Maximum reply length in bytes. @default 255 */
  maxReplyLength?: number;
}

type HexResult = { ok: true; value: HexPattern } | { ok: false; reason: string };

/**
 * Parses keepalived's free-form HEX_STR: whitespace-separated groups, each read two digits
 * per byte with a lone last digit becoming a low nibble ("Ab12f 3" = AB 12 0F 03). With
 * allowWildcard, X/x is a nibble that matches anything.
 */
export function parseHexString(text: string, allowWildcard = false): HexResult {
  const bytes: number[] = [];
  const mask: number[] = [];
  for (const group of text.trim().split(/\s+/).filter((g) => g !== "")) {
    for (let i = 0; i < group.length; i += 2) {
      const pair = group.length - i === 1 ? `0${group[i]}` : group.slice(i, i + 2);
      let b = 0;
      let m = 0;
      for (const ch of pair) {
        const nib = nibble(ch, allowWildcard);
        if (nib === undefined) {
          return { ok: false, reason: `bad hex digit ${JSON.stringify(ch)} in ${JSON.stringify(group)}` };
        }
        b = (b << 4) | (nib < 0 ? 0 : nib);
        m = (m << 4) | (nib < 0 ? 0 : 0xf);
      }
      bytes.push(b);
      mask.push(m);
    }
  }
  return { ok: true, value: { bytes: Uint8Array.from(bytes), mask: Uint8Array.from(mask) } };
}

/** Hex digit value, -1 for a wildcard, undefined if invalid. */
function nibble(ch: string, allowWildcard: boolean): number | undefined {
  if (allowWildcard && (ch === "x" || ch === "X")) return -1;
  if (!/^[0-9a-fA-F]$/.test(ch)) return undefined;
  return Number.parseInt(ch, 16);
}

/** Judges one reply against require_reply and the length bounds. */
export function judgeUdpReply(data: Uint8Array, opts: UdpCheckOptions): CheckResult {
  const min = opts.minReplyLength ?? 0;
  const max = opts.maxReplyLength ?? 255;
  if (data.length < min || data.length > max) {
    return fail(`udp: reply length ${data.length} outside ${min}-${max}`);
  }
  const pat = opts.requireReply;
  if (pat !== undefined && pat !== true) {
    const n = Math.min(data.length, pat.bytes.length);
    for (let i = 0; i < n; i++) {
      const m = pat.mask[i] as number;
      if (((data[i] as number) & m) !== ((pat.bytes[i] as number) & m)) {
        return fail(
          `udp: reply byte ${i} is 0x${(data[i] as number).toString(16).padStart(2, "0")}, does not match require_reply`,
        );
      }
    }
  }
  return pass(`udp: reply of ${data.length} bytes`);
}

/** Builds a UDP_CHECK attempt. */
export function makeUdpCheck(opts: UdpCheckOptions): RunCheck {
  return (signal) => {
    const payload = opts.payload ?? crypto.getRandomValues(new Uint8Array(8));
    return runDatagram(opts.endpoint, opts.connectTimeoutMs, signal, "udp", {
      onOpen: (send) => (send(payload) ? undefined : fail("udp: send failed")),
      onMessage: (
        data,
      ) => (opts.requireReply === undefined ? pass("udp: reply received") : judgeUdpReply(data, opts)),
      onTimeout: (ms) => opts.requireReply === undefined ? pass(`udp: no ICMP error within ${ms}ms`) : fail(`udp: no reply within ${ms}ms`),
    });
  };
}
