/**
 * Many datagrams from one socket in one system call: recvmmsg(2) with MSG_DONTWAIT. A VRRP Backup of 100
 * instances hears 1,000 adverts a second, read in bunches of ~50 (src/core/rx-pump.ts); one recvmsg(2)
 * each cost a system call and an FFI call per advert. Every slot (data, sender, ancillary bytes) and
 * the message headers are made once; a receive overwrites them, so what a slot holds is valid until
 * the next `recv`. Nothing is allocated per datagram.
 */
import { addressOf, errno, libc, SysError } from "./libc.ts";
import { EAGAIN, EINTR } from "./errno.ts";
import { decodeSockaddr, type SockAddr } from "./sockaddr.ts";
import { type Cmsg, cmsgNext, isVolatile, MSG_DONTWAIT, MSG_TRUNC, parseCmsgs, SO_RXQ_OVFL, SO_TIMESTAMPNS, SOL_SOCKET } from "./socket.ts";

/** struct mmsghdr on LP64: struct msghdr (56 bytes) + unsigned int msg_len, padded to 64. */
const MMSGHDR = 64;
/** Bytes of sender address and ancillary data per slot. */
const NAME = 128, CONTROL = 256;

/**
 * The largest VRRP datagram a slot must hold: an IPv6 advert with 255 addresses (8 + 255 × 16 bytes,
 * the raw socket gives no IPv6 header) or an IPv4 one with a 60-byte header, AH and 255 addresses,
 * rounded up. Anything longer is reported truncated.
 */
export const VRRP_SLOT_BYTES = 4224;

/** Receive slots for one socket, read with one recvmmsg per `recv`. */
export class RecvBatch {
  // Explicit ArrayBuffers for everything whose address the kernel keeps (see Socket).
  readonly #hdrs: Uint8Array;
  readonly #hv: DataView;
  readonly #names: Uint8Array;
  readonly #controls: Uint8Array;
  readonly #cv: DataView;
  /** Slot `i`'s data buffer (a view of one ArrayBuffer; its first `length(i)` bytes are the datagram). */
  readonly data: Uint8Array[] = [];
  /** Slot `i`'s data as 32-bit words (aligned: slots are a multiple of 8 bytes). */
  readonly words: Int32Array[] = [];
  #n = 0;

  constructor(readonly capacity = 32, readonly slotBytes = VRRP_SLOT_BYTES) {
    if (slotBytes % 8) throw new Error("slot size must be a multiple of 8");
    const all = new ArrayBuffer(capacity * slotBytes);
    this.#hdrs = new Uint8Array(new ArrayBuffer(capacity * MMSGHDR));
    this.#hv = new DataView(this.#hdrs.buffer);
    this.#names = new Uint8Array(new ArrayBuffer(capacity * NAME));
    this.#controls = new Uint8Array(new ArrayBuffer(capacity * CONTROL));
    this.#cv = new DataView(this.#controls.buffer);
    const iov = new Uint8Array(new ArrayBuffer(capacity * 16));
    const iv = new DataView(iov.buffer);
    const dataAt = addressOf(new Uint8Array(all)), iovAt = addressOf(iov);
    const nameAt = addressOf(this.#names), controlAt = addressOf(this.#controls);
    for (let i = 0; i < capacity; i++) {
      this.data.push(new Uint8Array(all, i * slotBytes, slotBytes));
      this.words.push(new Int32Array(all, i * slotBytes, slotBytes >> 2));
      put64(iv, 16 * i, dataAt + i * slotBytes);
      put64(iv, 16 * i + 8, slotBytes);
      const o = i * MMSGHDR;
      put64(this.#hv, o, nameAt + i * NAME);
      put64(this.#hv, o + 16, iovAt + 16 * i);
      put64(this.#hv, o + 24, 1);
      put64(this.#hv, o + 32, controlAt + i * CONTROL);
    }
    this.iovecs = iov;
  }
  /** The iovecs the headers point to (held so they live as long as the batch). */
  readonly iovecs: Uint8Array;

  /** Datagrams the last `recv` read. */
  get size(): number {
    return this.#n;
  }

  /**
   * Reads up to `capacity` queued datagrams from `fd` without blocking; returns how many (0: none
   * queued). Retries EINTR; other errors throw SysError.
   */
  recv(fd: number): number {
    const v = this.#hv;
    for (let i = 0; i < this.capacity; i++) {
      const o = i * MMSGHDR;
      v.setUint32(o + 8, NAME, true); // msg_namelen
      v.setUint32(o + 40, CONTROL, true); // msg_controllen (size_t): the high half stays 0
      v.setInt32(o + 48, 0, true); // msg_flags
    }
    for (;;) {
      const rc = libc.recvmmsg(fd, this.#hdrs, this.capacity, MSG_DONTWAIT, null);
      if (rc >= 0) return (this.#n = rc);
      const err = errno();
      if (err === EINTR) continue;
      this.#n = 0;
      if (err === EAGAIN) return 0;
      throw new SysError("recvmmsg", err);
    }
  }

  /** Bytes of slot `i`'s datagram held (at most `slotBytes`). */
  length(i: number): number {
    return Math.min(this.#hv.getUint32(i * MMSGHDR + 56, true), this.slotBytes);
  }

  /** Whether slot `i`'s datagram was longer than the slot. */
  truncated(i: number): boolean {
    return (this.#hv.getInt32(i * MMSGHDR + 48, true) & MSG_TRUNC) !== 0 || this.#hv.getUint32(i * MMSGHDR + 56, true) > this.slotBytes;
  }

  /** Slot `i`'s sender address bytes (a view: valid until the next `recv`). */
  name(i: number): Uint8Array {
    return this.#names.subarray(i * NAME, i * NAME + this.#hv.getUint32(i * MMSGHDR + 8, true));
  }

  /** Slot `i`'s ancillary bytes (a view: valid until the next `recv`). */
  control(i: number): Uint8Array {
    return this.#controls.subarray(i * CONTROL, i * CONTROL + this.#controlLen(i));
  }

  #controlLen(i: number): number {
    return Math.min(this.#hv.getUint32(i * MMSGHDR + 40, true), CONTROL);
  }

  /** Slot `i`'s kernel receive time (SO_TIMESTAMPNS), CLOCK_REALTIME ms; NaN when it carries none. */
  receivedAtRealtimeMs(i: number): number {
    const cv = this.#cv, base = i * CONTROL, end = base + this.#controlLen(i);
    for (let off = base, next = 0; off + 16 <= end && (next = cmsgNext(cv, off, end)) > 0; off = next) {
      if (isVolatile(cv, off) && cv.getInt32(off + 12, true) === SO_TIMESTAMPNS && next - off >= 32) {
        return (cv.getUint32(off + 16, true) + cv.getInt32(off + 20, true) * 2 ** 32) * 1000 + cv.getUint32(off + 24, true) / 1e6;
      }
    }
    return NaN;
  }

  /** The socket's drop count as of slot `i` (SO_RXQ_OVFL); -1 when the slot carries none. */
  queueDrops(i: number): number {
    const cv = this.#cv, base = i * CONTROL, end = base + this.#controlLen(i);
    for (let off = base, next = 0; off + 16 <= end && (next = cmsgNext(cv, off, end)) > 0; off = next) {
      if (cv.getInt32(off + 8, true) === SOL_SOCKET && cv.getInt32(off + 12, true) === SO_RXQ_OVFL && next - off >= 20) {
        return cv.getUint32(off + 16, true);
      }
    }
    return -1;
  }

  /**
   * Whether slot `i`'s sender and ancillary bytes (timestamp and drop count left out) equal `from` and
   * `control`, as `originBytes` gave them for an earlier datagram. Allocates nothing.
   */
  sameOrigin(i: number, from: Uint8Array, control: Uint8Array): boolean {
    const nameLen = this.#hv.getUint32(i * MMSGHDR + 8, true);
    if (nameLen !== from.length) return false;
    const names = this.#names, nb = i * NAME;
    for (let k = 0; k < nameLen; k++) if (names[nb + k] !== from[k]) return false;
    const c = this.#controls, cv = this.#cv, base = i * CONTROL, end = base + this.#controlLen(i);
    let j = 0;
    for (let off = base, next = 0; off + 16 <= end; off = next) {
      if ((next = cmsgNext(cv, off, end)) < 0) return false;
      if (isVolatile(cv, off)) continue;
      for (let k = off; k < next; k++, j++) if (c[k] !== control[j]) return false;
    }
    return j === control.length;
  }

  /** Copies of slot `i`'s sender and ancillary bytes without the timestamp and drop count, for `sameOrigin`. */
  originBytes(i: number): { from: Uint8Array; control: Uint8Array } {
    const c = this.#controls, cv = this.#cv, base = i * CONTROL, end = base + this.#controlLen(i);
    const parts: number[] = [];
    for (let off = base, next = 0; off + 16 <= end && (next = cmsgNext(cv, off, end)) > 0; off = next) {
      if (!isVolatile(cv, off)) { for (let k = off; k < next; k++) parts.push(c[k]!); }
    }
    return { from: this.name(i).slice(), control: Uint8Array.from(parts) };
  }

  /** Slot `i`'s sender (IPv6: the advert's source; IPv4 takes it from the IP header). */
  from(i: number): SockAddr {
    return decodeSockaddr(this.#names.subarray(i * NAME), this.#hv.getUint32(i * MMSGHDR + 8, true));
  }

  /** Slot `i`'s ancillary data, parsed (copies). */
  cmsgs(i: number): Cmsg[] {
    return parseCmsgs(this.#controls.subarray(i * CONTROL), this.#controlLen(i));
  }
}

/** A 64-bit little-endian field from a number below 2^53 (pointers, sizes), without a BigInt. */
function put64(v: DataView, off: number, x: number): void {
  v.setUint32(off, x >>> 0, true);
  v.setUint32(off + 4, Math.floor(x / 4294967296), true);
}
