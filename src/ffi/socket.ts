/**
 * A datagram socket over libc: raw IP (VRRP proto 112, ICMP), packet (gratuitous ARP), UDP with TTL
 * control (BFD), netlink and unix datagram. recvmsg keeps what Bun's own sockets drop: the source address
 * and ancillary data (TTL / hop limit, pktinfo). Reads never block: readiness comes from the reactor.
 */
import { addressOf, check, closeQuietly, libc, rcOrErrno, SysError } from "./libc.ts";
import { decodeSockaddr, type SockAddr } from "./sockaddr.ts";
import { EAGAIN, EINTR } from "./errno.ts";

/** Socket types and flags. */
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3;
/** socket(2) type flags. */
export const SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
/** Option levels. */
export const SOL_SOCKET = 1, IPPROTO_IP = 0, IPPROTO_IPV6 = 41, SOL_PACKET = 263, SOL_NETLINK = 270;
/** SOL_SOCKET options. */
export const SO_TIMESTAMPNS = 35,
  SO_REUSEADDR = 2,
  SO_SNDBUF = 7,
  SO_RCVBUF = 8,
  SO_PRIORITY = 12,
  SO_RCVTIMEO = 20,
  SO_BINDTODEVICE = 25,
  SO_ATTACH_FILTER = 26,
  SO_MARK = 36,
  SO_RCVBUFFORCE = 33,
  SO_RXQ_OVFL = 40;
/** IPPROTO_IP options. */
export const IP_TOS = 1,
  IP_TTL = 2,
  IP_HDRINCL = 3,
  IP_PKTINFO = 8,
  IP_RECVERR = 11,
  IP_RECVTTL = 12,
  IP_MULTICAST_IF = 32,
  IP_MULTICAST_TTL = 33,
  IP_MULTICAST_LOOP = 34,
  IP_ADD_MEMBERSHIP = 35,
  IP_DROP_MEMBERSHIP = 36,
  IP_MULTICAST_ALL = 49,
  IP_MINTTL = 21;
/** IPPROTO_IPV6 options. */
export const IPV6_CHECKSUM = 7,
  IPV6_UNICAST_HOPS = 16,
  IPV6_MULTICAST_IF = 17,
  IPV6_MULTICAST_HOPS = 18,
  IPV6_MULTICAST_LOOP = 19,
  IPV6_JOIN_GROUP = 20,
  IPV6_LEAVE_GROUP = 21,
  IPV6_V6ONLY = 26,
  IPV6_RECVPKTINFO = 49,
  IPV6_PKTINFO = 50,
  IPV6_RECVHOPLIMIT = 51,
  IPV6_HOPLIMIT = 52,
  IPV6_MINHOPCOUNT = 73;
/** recv/send flags. */
export const MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20, MSG_CTRUNC = 0x08;

/** One ancillary data item from recvmsg. */
export interface Cmsg {
  level: number;
  type: number;
  data: Uint8Array;
}

/** A received datagram. */
export interface Datagram {
  data: Uint8Array;
  from: SockAddr;
  cmsgs: Cmsg[];
  truncated: boolean;
}

const MSGHDR = 56, NAME = 128, CONTROL = 512;

/** An owned socket fd. Not thread-safe; one per purpose. */
export class Socket {
  readonly fd: number;
  #closed = false;
  // Every buffer whose address the kernel keeps (msghdr -> name, control, iov -> data) gets an explicit
  // ArrayBuffer: JSC moves a small typed array's storage the first time its .buffer is read, which would
  // leave the kernel writing to the old memory while we read a stale copy.
  #buf: Uint8Array;
  #name = new Uint8Array(new ArrayBuffer(NAME));
  #control = new Uint8Array(new ArrayBuffer(CONTROL));
  #controlView = new DataView(this.#control.buffer);
  #iov = new BigUint64Array(new ArrayBuffer(16));
  #msg = new Uint8Array(new ArrayBuffer(MSGHDR));
  #msgView = new DataView(this.#msg.buffer);
  #rxTruncated = false;

  /** Opens socket(domain, type | NONBLOCK | CLOEXEC, protocol). */
  constructor(domain: number, type: number, protocol: number, bufferSize = 65536) {
    this.fd = check("socket", libc.socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol), `(domain ${domain}, type ${type}, protocol ${protocol})`);
    this.#buf = new Uint8Array(new ArrayBuffer(bufferSize));
    this.#iov[0] = BigInt(addressOf(this.#buf));
    this.#iov[1] = BigInt(bufferSize);
    const mv = this.#msgView;
    mv.setBigUint64(0, BigInt(addressOf(this.#name)), true);
    mv.setBigUint64(16, BigInt(addressOf(this.#iov)), true);
    mv.setBigUint64(24, 1n, true);
    mv.setBigUint64(32, BigInt(addressOf(this.#control)), true);
  }

  /** setsockopt with an int value. */
  setInt(level: number, name: number, value: number): void {
    const v = new Int32Array([value]);
    check("setsockopt", libc.setsockopt(this.fd, level, name, v, 4), `(level ${level}, option ${name}, ${value})`);
  }

  /**
   * setsockopt (an int or raw bytes) for options the socket works without (SO_TIMESTAMPNS,
   * IP_MULTICAST_ALL, IP_MULTICAST_IF on a device-bound socket). Returns undefined once set, or the
   * error's text when the kernel (or an emulator: qemu-user answers ENOPROTOOPT) does not offer the
   * option. Any other failure throws.
   */
  setIfOffered(level: number, name: number, value: number | Uint8Array): string | undefined {
    try {
      if (typeof value === "number") this.setInt(level, name, value);
      else this.setBytes(level, name, value);
      return undefined;
    } catch (e) {
      if (e instanceof SysError && optionUnsupported(e.code)) return e.message;
      throw e;
    }
  }

  /** setsockopt with raw bytes. */
  setBytes(level: number, name: number, value: Uint8Array): void {
    check("setsockopt", libc.setsockopt(this.fd, level, name, value, value.length), `(level ${level}, option ${name})`);
  }

  /**
   * SO_ATTACH_FILTER: a classic BPF program (src/proto/bpf.ts) the kernel runs on every datagram queued
   * to this socket, dropping those it refuses before they are queued. Returns undefined once attached,
   * or the error's text when the kernel (or an emulator) does not offer it.
   */
  attachFilter(prog: Uint8Array): string | undefined {
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; } on LP64: 16 bytes.
    const fprog = new Uint8Array(new ArrayBuffer(16));
    const v = new DataView(fprog.buffer);
    v.setUint16(0, prog.length / 8, true);
    const at = addressOf(prog);
    v.setUint32(8, at >>> 0, true);
    v.setUint32(12, Math.floor(at / 4294967296), true);
    return this.setIfOffered(SOL_SOCKET, SO_ATTACH_FILTER, fprog);
  }

  /** Reads and drops everything queued; returns how many datagrams there were. */
  discardQueued(): number {
    let n = 0;
    while (this.recvInPlace() >= 0) n++;
    return n;
  }

  /** getsockopt returning an int. */
  getInt(level: number, name: number): number {
    const v = new Int32Array(1);
    const len = new Uint32Array([4]);
    check("getsockopt", libc.getsockopt(this.fd, level, name, v, len));
    return v[0]!;
  }

  /** SO_BINDTODEVICE. */
  bindToDevice(ifname: string): void {
    this.setBytes(SOL_SOCKET, SO_BINDTODEVICE, new TextEncoder().encode(ifname + "\0"));
  }

  /** bind(2). */
  bind(addr: Uint8Array): void {
    check("bind", libc.bind(this.fd, addr, addr.length));
  }

  /** connect(2) (datagram sockets: fixes the peer). */
  connect(addr: Uint8Array): void {
    check("connect", libc.connect(this.fd, addr, addr.length));
  }

  /** The bound local address. */
  localAddress(): SockAddr {
    const b = new Uint8Array(NAME);
    const len = new Uint32Array([NAME]);
    check("getsockname", libc.getsockname(this.fd, b, len));
    return decodeSockaddr(b, len[0]!);
  }

  /** sendto(2); returns bytes sent, or throws SysError (EAGAIN included). */
  sendTo(data: Uint8Array, to: Uint8Array | null): number {
    const rc = libc.sendto(this.fd, data, data.length, 0, to, to ? to.length : 0);
    return check("sendto", rc);
  }

  /** sendmsg(2) with optional ancillary data (already laid out as cmsghdrs, see buildCmsg). */
  sendMsg(data: Uint8Array, to: Uint8Array | null, control?: Uint8Array): number {
    const iov = new BigUint64Array([BigInt(addressOf(data)), BigInt(data.length)]);
    const msg = new Uint8Array(MSGHDR);
    const mv = new DataView(msg.buffer);
    if (to) {
      mv.setBigUint64(0, BigInt(addressOf(to)), true);
      mv.setUint32(8, to.length, true);
    }
    mv.setBigUint64(16, BigInt(addressOf(iov)), true);
    mv.setBigUint64(24, 1n, true);
    if (control && control.length) {
      mv.setBigUint64(32, BigInt(addressOf(control)), true);
      mv.setBigUint64(40, BigInt(control.length), true);
    }
    return check("sendmsg", libc.sendmsg(this.fd, msg, 0));
  }

  /**
   * One non-blocking recvmsg into the socket's own buffers: the datagram's length, or -1 when nothing is
   * queued (EAGAIN); retries EINTR. Nothing is allocated: the bytes are `received` and, like `from()`,
   * `cmsgs()` and `truncated`, stay valid until the next receive. For hot paths that mostly look and drop.
   */
  recvInPlace(): number {
    const mv = this.#msgView;
    for (;;) {
      mv.setUint32(8, NAME, true);
      mv.setUint32(40, CONTROL, true); // msg_controllen (size_t): the high half stays 0
      mv.setInt32(48, 0, true);
      const n = rcOrErrno(libc.recvmsg(this.fd, this.#msg, MSG_DONTWAIT | MSG_TRUNC));
      if (n === -EINTR) continue;
      if (n === -EAGAIN) return -1;
      if (n < 0) throw new SysError("recvmsg", -n);
      this.#rxTruncated = (mv.getInt32(48, true) & MSG_TRUNC) !== 0 || n > this.#buf.length;
      return Math.min(n, this.#buf.length);
    }
  }
  /** The socket's receive buffer; the last datagram is its first `recvInPlace()` bytes. */
  get received(): Uint8Array {
    return this.#buf;
  }
  /** Whether the last datagram was cut to fit the buffer. */
  get truncated(): boolean {
    return this.#rxTruncated;
  }
  /**
   * Whether the last datagram's sender and ancillary bytes equal `from` and `control` (as `originBytes`
   * gave them for an earlier datagram: without the receive timestamp and drop count). Allocates nothing.
   */
  sameOrigin(from: Uint8Array, control: Uint8Array): boolean {
    const nameLen = this.#msgView.getUint32(8, true);
    if (nameLen !== from.length) return false;
    for (let i = 0; i < nameLen; i++) if (this.#name[i] !== from[i]) return false;
    const c = this.#control, cv = this.#controlView, len = this.#msgView.getUint32(40, true);
    let j = 0;
    for (let off = 0, next = 0; off + 16 <= len; off = next) {
      if ((next = cmsgNext(cv, off, len)) < 0) return false;
      if (isVolatile(cv, off)) continue;
      for (let i = off; i < next; i++, j++) if (c[i] !== control[j]) return false;
    }
    return j === control.length;
  }

  /** Copies of the last datagram's sender and ancillary bytes (timestamp and drop count left out), for `sameOrigin`. */
  originBytes(): { from: Uint8Array; control: Uint8Array } {
    const c = this.#control, cv = this.#controlView, len = this.#msgView.getUint32(40, true);
    const parts: Uint8Array[] = [];
    for (let off = 0, next = 0; off + 16 <= len && (next = cmsgNext(cv, off, len)) > 0; off = next) {
      if (!isVolatile(cv, off)) parts.push(c.subarray(off, next));
    }
    return { from: this.#name.slice(0, this.#msgView.getUint32(8, true)), control: new Uint8Array(Buffer.concat(parts)) };
  }

  /**
   * The kernel's receive time of the last datagram (SO_TIMESTAMPNS), CLOCK_REALTIME milliseconds; NaN
   * when the socket does not ask for timestamps.
   */
  receivedAtRealtimeMs(): number {
    const cv = this.#controlView, len = this.#msgView.getUint32(40, true);
    for (let off = 0, next = 0; off + 16 <= len && (next = cmsgNext(cv, off, len)) > 0; off = next) {
      if (isVolatile(cv, off) && cv.getInt32(off + 12, true) === SO_TIMESTAMPNS && next - off >= 32) {
        return (cv.getUint32(off + 16, true) + cv.getInt32(off + 20, true) * 2 ** 32) * 1000 + cv.getUint32(off + 24, true) / 1e6;
      }
    }
    return NaN;
  }

  /**
   * The socket's count of datagrams the kernel dropped because its receive queue was full, as of the last
   * datagram (SO_RXQ_OVFL: the kernel adds it once the count is non-zero); -1 when the last datagram carried none.
   */
  queueDrops(): number {
    const cv = this.#controlView, len = this.#msgView.getUint32(40, true);
    for (let off = 0, next = 0; off + 16 <= len && (next = cmsgNext(cv, off, len)) > 0; off = next) {
      if (cv.getInt32(off + 8, true) === SOL_SOCKET && cv.getInt32(off + 12, true) === SO_RXQ_OVFL && next - off >= 20) {
        return cv.getUint32(off + 16, true);
      }
    }
    return -1;
  }

  /** The last datagram's sender. */
  from(): SockAddr {
    return decodeSockaddr(this.#name, this.#msgView.getUint32(8, true));
  }
  /** The last datagram's ancillary data. */
  cmsgs(): Cmsg[] {
    return parseCmsgs(this.#control, this.#msgView.getUint32(40, true));
  }

  /**
   * One non-blocking recvmsg. Returns undefined when nothing is queued (EAGAIN); retries EINTR.
   * The returned data is a copy, safe to keep.
   */
  recv(): Datagram | undefined {
    const n = this.recvInPlace();
    if (n < 0) return undefined;
    return { data: this.#buf.slice(0, n), from: this.from(), cmsgs: this.cmsgs(), truncated: this.#rxTruncated };
  }

  /** Closes the fd once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.fd);
  }
}

/**
 * The offset just past the cmsghdr at `off` (its data padded to 8 bytes, capped at `len`), or -1 when
 * its length is malformed. cmsg_len is a size_t: its low half on these little-endian ABIs.
 */
export function cmsgNext(cv: DataView, off: number, len: number): number {
  const clen = cv.getUint32(off, true);
  return clen < 16 || off + clen > len ? -1 : Math.min(off + ((clen + 7) & ~7), len);
}

/**
 * Whether a setsockopt errno means "this option is not offered here" (unknown option, unknown value, not
 * supported by this socket type), as opposed to a failure of the socket itself (EBADF, ENOTSOCK, ENOMEM).
 */
export function optionUnsupported(code: string): boolean {
  return code === "ENOPROTOOPT" || code === "EINVAL" || code === "EOPNOTSUPP";
}

/** Whether the cmsghdr at `off` carries an SO_TIMESTAMPNS receive time or an SO_RXQ_OVFL drop count. */
export function isVolatile(cv: DataView, off: number): boolean {
  if (cv.getInt32(off + 8, true) !== SOL_SOCKET) return false;
  const t = cv.getInt32(off + 12, true);
  return t === SO_TIMESTAMPNS || t === SO_RXQ_OVFL;
}

/** Splits a control buffer of `len` bytes into cmsghdrs (cmsg_len is size_t, data 8-aligned). */
export function parseCmsgs(control: Uint8Array, len: number): Cmsg[] {
  const out: Cmsg[] = [];
  const cv = new DataView(control.buffer, control.byteOffset, control.byteLength);
  for (let off = 0, next = 0; off + 16 <= len && (next = cmsgNext(cv, off, len)) > 0; off = next) {
    out.push({ level: cv.getInt32(off + 8, true), type: cv.getInt32(off + 12, true), data: control.slice(off + 16, off + cv.getUint32(off, true)) });
  }
  return out;
}

/** Lays out one cmsghdr for sendmsg. */
export function buildCmsg(level: number, type: number, data: Uint8Array): Uint8Array {
  const space = 16 + ((data.length + 7) & ~7);
  const b = new Uint8Array(space);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(16 + data.length), true);
  dv.setInt32(8, level, true);
  dv.setInt32(12, type, true);
  b.set(data, 16);
  return b;
}

/** The int carried by an IP_TTL / IPV6_HOPLIMIT cmsg, if present. */
export function cmsgTtl(cmsgs: Cmsg[]): number | undefined {
  for (const c of cmsgs) {
    if ((c.level === IPPROTO_IP && c.type === IP_TTL) || (c.level === IPPROTO_IPV6 && c.type === IPV6_HOPLIMIT)) {
      return new DataView(c.data.buffer, c.data.byteOffset).getInt32(0, true);
    }
  }
  return undefined;
}

/** Destination address and ifindex from IP_PKTINFO / IPV6_PKTINFO, if present. */
export function cmsgPktInfo(cmsgs: Cmsg[]): { ifindex: number; dst: Uint8Array } | undefined {
  for (const c of cmsgs) {
    const dv = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
    if (c.level === IPPROTO_IP && c.type === IP_PKTINFO && c.data.length >= 12) {
      return { ifindex: dv.getInt32(0, true), dst: c.data.slice(8, 12) };
    }
    if (c.level === IPPROTO_IPV6 && c.type === IPV6_PKTINFO && c.data.length >= 20) {
      return { ifindex: dv.getUint32(16, true), dst: c.data.slice(0, 16) };
    }
  }
  return undefined;
}

/**
 * ip_mreqn for IP_ADD_MEMBERSHIP: group, any local address, interface index, plus 4 zero bytes. Linux
 * reads the first 12 bytes of a longer option (ip(7)); qemu-user declares imr_ifindex as a 64-bit long on
 * 64-bit targets and copies the index only when the option is 16 bytes long (else the host kernel sees
 * an uninitialised index and answers ENODEV).
 */
export function ipMreqn(group: Uint8Array, ifindex: number): Uint8Array {
  const b = new Uint8Array(16);
  b.set(group.subarray(0, 4), 0);
  new DataView(b.buffer).setInt32(8, ifindex, true);
  return b;
}

/** ipv6_mreq for IPV6_JOIN_GROUP. */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Uint8Array {
  const b = new Uint8Array(20);
  b.set(group.subarray(0, 16), 0);
  new DataView(b.buffer).setUint32(16, ifindex, true);
  return b;
}
