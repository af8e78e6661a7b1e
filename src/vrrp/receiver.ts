/**
 * The receive half of a VRRP transport: reads the receive socket in batches (recvmmsg(2), one system
 * call per 32 datagrams: src/ffi/recvmmsg.ts) and hands each datagram on. A Backup of 100 instances
 * hears 1,000 adverts a second, nearly all repeats of the last advert of their VRID; those are
 * recognised in the receive slot (a word compare, no copy, no decode) and offered to `onRepeat`.
 * Only new or changed datagrams are copied and decoded.
 */
import { formatIp } from "../core/inet.ts";
import { rtGuard } from "../core/rt-guard.ts";
import { realtimeMs } from "../ffi/libc.ts";
import { RecvBatch } from "../ffi/recvmmsg.ts";
import type { SockAddr } from "../ffi/sockaddr.ts";
import { type Cmsg, cmsgPktInfo, cmsgTtl } from "../ffi/socket.ts";
import { parseIpv4Header } from "../proto/ipv4.ts";
import type { Family } from "../core/inet.ts";

/** One received VRRP (or AH) packet, with what the IP layer told us. */
export interface RxPacket {
  family: Family;
  /** VRRP message (for AH: the whole IPv4 datagram, see `ahDatagram`). */
  payload: Uint8Array;
  /** The whole IPv4 datagram when it carried AH. */
  ahDatagram?: Uint8Array;
  src: string;
  dst: string;
  ttl: number;
  ifindex: number;
  /** When the kernel received it, on the performance.now() clock (absent: when it was read). */
  at?: number;
}

/** A malformed datagram at the IP level. */
export interface RxError {
  reason: string;
}

/** Datagrams per recvmmsg. */
const BATCH = 32;
const IPPROTO_VRRP = 112;

/** What the receiver needs to know about its socket. */
export interface ReceiverOptions {
  fd: number;
  family: "ipv4" | "ipv6";
  /** 112 (VRRP) or 51 (AH). */
  proto: number;
  ifindex: number;
}

/** The last good datagram of a VRID (as words, zero padded), with its sender and ancillary bytes. */
interface Last {
  length: number;
  words: Int32Array;
  from: Uint8Array;
  control: Uint8Array;
}

export class VrrpReceiver {
  /** Datagrams the kernel dropped because the queue was full (SO_RXQ_OVFL), as last reported. */
  rxDrops = 0;
  readonly #b = new RecvBatch(BATCH);
  readonly #last: (Last | undefined)[] = [];

  constructor(readonly o: ReceiverOptions) {}

  /**
   * Reads every queued datagram and returns how many (see VrrpTransport.drain): `wants` drops a VRID
   * nobody listens for unread; a repeat of the last good datagram of its VRID goes to `onRepeat`
   * (decoded as usual when that returns false); `at` is the kernel's receive time on the
   * performance.now() clock.
   */
  drain(
    onPacket: (p: RxPacket) => void,
    onError: (e: RxError) => void,
    onRepeat?: (vrid: number, at: number) => boolean,
    wants?: (vrid: number) => boolean,
  ): number {
    const b = this.#b;
    let count = 0;
    let offset = NaN; // CLOCK_REALTIME - performance.now(), read once per drain
    for (;;) {
      const k = b.recv(this.o.fd);
      if (k === 0) break;
      const now = performance.now();
      // The drop count only grows: the last datagram of the batch carries the newest.
      const drops = b.queueDrops(k - 1);
      if (drops > this.rxDrops) this.rxDrops = drops;
      for (let i = 0; i < k; i++) {
        const stamp = b.receivedAtRealtimeMs(i);
        if (stamp === stamp && offset !== offset) offset = realtimeMs() - now;
        // A stamp from the future or from long ago means the wall clock moved: the read time is then the best guess.
        const at = stamp === stamp && stamp - offset <= now && stamp - offset > now - 1000 ? stamp - offset : now;
        this.#one(i, at, onPacket, onError, onRepeat, wants);
        rtGuard.checkpoint();
      }
      count += k;
      // Fewer than asked for: the queue was empty (a later datagram raises a new edge in the reactor).
      if (k < b.capacity) break;
    }
    return count;
  }

  #one(
    i: number,
    at: number,
    onPacket: (p: RxPacket) => void,
    onError: (e: RxError) => void,
    onRepeat: ((vrid: number, at: number) => boolean) | undefined,
    wants: ((vrid: number) => boolean) | undefined,
  ): void {
    const b = this.#b;
    const n = b.length(i);
    const truncated = b.truncated(i);
    let repeated = false;
    if (!truncated && this.o.proto === IPPROTO_VRRP) {
      const off = this.#vrrpOffset(i);
      // Too short to tell: decoded, and counted as malformed.
      if (off + 2 <= n) {
        const vrid = b.data[i]![off + 1]!;
        // A VRID no instance here listens for (a flood, another cluster) is dropped: nothing is copied or decoded.
        if (wants && !wants(vrid)) return;
        repeated = onRepeat !== undefined && this.#repeats(i, n, vrid);
        if (repeated && onRepeat!(vrid, at)) return;
      }
    }
    const data = b.data[i]!.slice(0, n);
    const p = this.#decode(i, data, truncated, at);
    if ("reason" in p) return onError(p);
    // A repeat no instance could replay (one they dropped) is already the remembered datagram.
    if (onRepeat && !repeated && this.o.proto === IPPROTO_VRRP && p.payload.length >= 2) this.#remember(p.payload[1]!, i, data);
    onPacket(p);
  }

  /** Where the VRRP header starts in slot `i` (after the IPv4 header; IPv6 raw sockets give none). */
  #vrrpOffset(i: number): number {
    return this.o.family === "ipv4" ? (this.#b.data[i]![0]! & 0x0f) * 4 : 0;
  }

  #remember(vrid: number, i: number, data: Uint8Array): void {
    const words = new Int32Array((data.length + 3) >> 2);
    new Uint8Array(words.buffer).set(data);
    this.#last[vrid] = { length: data.length, words, ...this.#b.originBytes(i) };
  }

  /** Whether slot `i` repeats the last good datagram of `vrid`: the same bytes from the same sender. */
  #repeats(i: number, n: number, vrid: number): boolean {
    const last = this.#last[vrid];
    if (!last || last.length !== n) return false;
    const w = this.#b.words[i]!, lw = last.words;
    const v4 = this.o.family === "ipv4";
    const full = n >> 2;
    for (let k = 0; k < full; k++) {
      // IPv4 identification (bytes 4-5) and header checksum (10-11) change with every datagram; little-endian words.
      const mask = !v4 ? -1 : k === 1 ? 0xffff0000 | 0 : k === 2 ? 0x0000ffff : -1;
      if (((w[k]! ^ lw[k]!) & mask) !== 0) return false;
    }
    if (n & 3) {
      const d = this.#b.data[i]!, tail = new Uint8Array(lw.buffer);
      for (let k = full << 2; k < n; k++) if (d[k] !== tail[k]) return false;
    }
    return this.#b.sameOrigin(i, last.from, last.control);
  }

  #decode(i: number, data: Uint8Array, truncated: boolean, at: number): RxPacket | RxError {
    if (truncated) return { reason: `datagram truncated (${data.length} bytes read)` };
    if (this.o.family === "ipv6") {
      const cmsgs: Cmsg[] = this.#b.cmsgs(i);
      const from: SockAddr = this.#b.from(i);
      const info = cmsgPktInfo(cmsgs);
      return {
        family: "ipv6",
        payload: data,
        src: "address" in from ? formatIp(from.address) : "",
        dst: info ? formatIp(info.dst) : "",
        ttl: cmsgTtl(cmsgs) ?? -1,
        ifindex: info?.ifindex ?? this.o.ifindex,
        at,
      };
    }
    const ip = parseIpv4Header(data);
    if (!ip.ok) return { reason: ip.reason };
    const h = ip.value.header;
    return {
      family: "ipv4",
      payload: ip.value.payload,
      ahDatagram: this.o.proto !== IPPROTO_VRRP ? data : undefined,
      src: h.src,
      dst: h.dst,
      ttl: h.ttl,
      ifindex: this.o.ifindex,
      at,
    };
  }
}
