/**
 * Many datagrams on one socket in one system call: sendmmsg(2). The VRRP child queues the adverts of
 * every instance due in one wake and sends them together, instead of one sendto(2) each. The message
 * headers and iovecs live in buffers made once; the datagrams and addresses are the caller's (each in an
 * ArrayBuffer of its own, see Socket: the kernel reads them during the call only).
 */
import type { Pointer } from "bun:ffi";
import { addressOf, errno, libc, SysError } from "./libc.ts";
import { EINTR } from "./errno.ts";

/** struct mmsghdr on LP64: struct msghdr (56 bytes) + unsigned int msg_len, padded to 64. */
const MMSGHDR = 64;

/** A reusable batch of datagrams for one socket. */
export class DatagramBatch {
  readonly #msgs: Uint8Array;
  readonly #view: DataView;
  readonly #iov: Uint8Array;
  readonly #iovView: DataView;
  readonly #iovAt: number;
  readonly #data: Uint8Array[] = [];
  readonly #names: Uint8Array[] = [];
  #n = 0;

  /** `capacity`: datagrams per system call (a fuller batch is sent in several calls). */
  constructor(readonly capacity = 64) {
    this.#msgs = new Uint8Array(new ArrayBuffer(capacity * MMSGHDR));
    this.#view = new DataView(this.#msgs.buffer);
    this.#iov = new Uint8Array(new ArrayBuffer(capacity * 16));
    this.#iovView = new DataView(this.#iov.buffer);
    this.#iovAt = addressOf(this.#iov);
  }

  /** Datagrams queued. */
  get size(): number {
    return this.#n;
  }

  /** Queues `data` for the socket address `name`; returns false when the batch is full (flush first). */
  add(data: Uint8Array, name: Uint8Array): boolean {
    if (this.#n >= this.capacity) return false;
    this.#data[this.#n] = data;
    this.#names[this.#n] = name;
    this.#n++;
    return true;
  }

  /**
   * Sends everything queued on `fd` and empties the batch. A datagram the kernel refuses is reported to
   * `onError` with its index (in the order of `add`); the ones after it are still sent.
   */
  flush(fd: number, onError: (index: number, e: SysError) => void): void {
    const n = this.#n;
    if (!n) return;
    const v = this.#view, iov = this.#iovView;
    for (let i = 0; i < n; i++) {
      const d = this.#data[i]!, name = this.#names[i]!, o = i * MMSGHDR;
      put64(iov, 16 * i, addressOf(d));
      put64(iov, 16 * i + 8, d.length);
      put64(v, o, addressOf(name));
      v.setUint32(o + 8, name.length, true);
      put64(v, o + 16, this.#iovAt + 16 * i);
      put64(v, o + 24, 1);
      put64(v, o + 32, 0);
      put64(v, o + 40, 0);
      v.setUint32(o + 48, 0, true);
    }
    const base = addressOf(this.#msgs);
    for (let start = 0; start < n;) {
      const rc = libc.sendmmsg(fd, (base + start * MMSGHDR) as Pointer, n - start, 0);
      if (rc > 0) {
        start += rc;
        continue;
      }
      const err = errno();
      if (rc < 0 && err === EINTR) continue;
      // rc < 0: the datagram at `start` failed (sendmmsg reports an error only for the first message).
      onError(start, new SysError("sendmmsg", rc < 0 ? err : 0));
      start++;
    }
    this.#data.fill(undefined as never, 0, n);
    this.#names.fill(undefined as never, 0, n);
    this.#n = 0;
  }
}

/** A 64-bit little-endian field from a number below 2^53 (pointers, sizes), without a BigInt. */
function put64(v: DataView, off: number, x: number): void {
  v.setUint32(off, x >>> 0, true);
  v.setUint32(off + 4, Math.floor(x / 4294967296), true);
}
