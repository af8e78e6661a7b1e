/**
 * VRRP sockets for one interface and family (RFC 5798 §5.1, RFC 3768 §5.1): a receive socket bound to
 * the device and joined to 224.0.0.18 / ff02::12 (unicast adverts arrive on it too), and a send socket
 * bound to the source address with TTL / hop limit 255. IPv4 receive sockets see the IP header; IPv6
 * ones get the hop limit and destination from cmsgs. AH (IPv4, VRRPv2) uses its own protocol-51
 * sockets; its send socket writes whole datagrams (IP_HDRINCL).
 */
import type { Family } from "../core/inet.ts";
import { parseIp } from "../core/inet.ts";
import {
  cmsgPktInfo, cmsgTtl, type Datagram, IP_HDRINCL, IP_MULTICAST_ALL, IP_MULTICAST_IF, IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_JOIN_GROUP, IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, IPV6_UNICAST_HOPS, ipMreqn,
  ipv6Mreq, IP_ADD_MEMBERSHIP, Socket, SOCK_RAW, SO_RCVBUF, SO_RCVBUFFORCE, SO_RXQ_OVFL, SO_TIMESTAMPNS, SOL_SOCKET,
} from "../ffi/socket.ts";
import { realtimeMs } from "../ffi/libc.ts";
import { DatagramBatch } from "../ffi/sendmmsg.ts";
import { sockaddrIp } from "../ffi/sockaddr.ts";
import { parseIpv4Header } from "../proto/ipv4.ts";
import { formatIp } from "../core/inet.ts";

/** IP protocol numbers. */
export const IPPROTO_VRRP = 112, IPPROTO_AH = 51;

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

/** Where and how to send and receive. */
export interface TransportOptions {
  family: Family;
  ifname: string;
  ifindex: number;
  /** Our source address (primary IPv4 / link-local IPv6, or mcast_src_ip / unicast_src_ip). */
  src: string;
  /** IPv4 AH: protocol 51 sockets. */
  ah: boolean;
  /** TTL / hop limit for unicast adverts. @default 255 */
  unicastTtl?: number;
  /** Multicast group to join (absent for unicast-only instances). */
  group?: string;
  /** Where a degraded feature is reported (once per process), e.g. no kernel receive timestamps. */
  log?: { warn(msg: string): void };
  /** Send on another interface than we receive on (use_vmac: send from the VMAC). @default ifname/ifindex */
  txIfname?: string;
  txIfindex?: number;
}

/** A malformed datagram at the IP level. */
export interface RxError {
  reason: string;
}

/** What the runtime needs of a transport (VrrpTransport, or a fake in tests). */
export interface TransportLike {
  readonly rx: { readonly fd: number };
  send(data: Uint8Array, dst: string): void;
  /** Queues a datagram for one sendmmsg(2) when the running callback returns (VrrpTransport.queue); absent: send. */
  queue?(data: Uint8Array, dst: string, onError: (e: Error, dst: string) => void): void;
  /** Reads everything queued; returns how many datagrams it read (a fake may return nothing). */
  drain(
    onPacket: (p: RxPacket) => void, onError: (e: { reason: string }) => void, onRepeat?: (vrid: number, at: number) => boolean,
    wants?: (vrid: number) => boolean,
  ): number | void;
  close(): void;
  /** Kernel drops on the receive socket (SO_RXQ_OVFL); absent on fakes that do not count. */
  readonly rxDrops?: number;
  /** Sets SO_RCVBUF; returns what the kernel granted. */
  setRxBuffer?(bytes: number): number;
  /** SO_RCVBUF now. */
  rxBufferBytes?(): number;
  /** Raises SO_RCVBUF past net.core.rmem_max; returns what the kernel granted. */
  forceRxBuffer?(bytes: number): number;
}

/** Socket options the kernel refused and that have been logged: a property of the kernel, said once per process. */
const warned = new Set<string>();

function warnOnce(o: TransportOptions, what: string, msg: string): void {
  if (warned.has(what)) return;
  warned.add(what);
  o.log?.warn(msg);
}

/** Sockets for one (interface, family, protocol). */
export class VrrpTransport {
  readonly rx: Socket;
  readonly tx: Socket;
  readonly proto: number;
  /** Datagrams the kernel dropped on the receive socket because its queue was full (SO_RXQ_OVFL). */
  rxDrops = 0;

  constructor(readonly o: TransportOptions) {
    const v6 = o.family === "ipv6";
    const domain = v6 ? 10 : 2;
    this.proto = o.ah ? IPPROTO_AH : IPPROTO_VRRP;
    const src = parseIp(o.src);
    if (!src) throw new Error(`invalid source address '${o.src}' for ${o.ifname}`);
    this.rx = new Socket(domain, SOCK_RAW, this.proto);
    this.tx = new Socket(domain, SOCK_RAW, this.proto, 64);
    try {
      const txIndex = o.txIfindex ?? o.ifindex;
      this.rx.bindToDevice(o.ifname);
      const noStamps = this.rx.setIfOffered(SOL_SOCKET, SO_TIMESTAMPNS, 1);
      if (noStamps !== undefined) warnOnce(o, "timestamps", `no kernel receive timestamps on VRRP sockets (${noStamps}); adverts are timed when they are read`);
      const noDrops = this.rx.setIfOffered(SOL_SOCKET, SO_RXQ_OVFL, 1);
      if (noDrops !== undefined) warnOnce(o, "rxq_ovfl", `no kernel drop counts on VRRP sockets (${noDrops})`);
      this.tx.bindToDevice(o.txIfname ?? o.ifname);
      if (v6) {
        this.rx.setInt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
        this.rx.setInt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
        if (o.group) this.rx.setBytes(IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6Mreq(parseIp(o.group)!.bytes, o.ifindex));
        this.tx.setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
        this.tx.setInt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, o.unicastTtl ?? 255);
        this.tx.setInt(IPPROTO_IPV6, IPV6_MULTICAST_IF, txIndex);
        this.tx.setInt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
        this.tx.bind(sockaddrIp(src.bytes, 0, isLinkLocal6(src.bytes) ? txIndex : 0));
      } else {
        // No IP_PKTINFO: the IPv4 header carries src/dst and the socket is bound to the interface.
        const allGroups = this.rx.setIfOffered(IPPROTO_IP, IP_MULTICAST_ALL, 0);
        if (allGroups !== undefined) warnOnce(o, "mcast-all", `VRRP receive sockets also see multicast groups joined by other sockets (${allGroups}); adverts are still matched by interface and VRID`);
        if (o.group) this.rx.setBytes(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(parseIp(o.group)!.bytes, o.ifindex));
        if (o.ah) this.tx.setInt(IPPROTO_IP, IP_HDRINCL, 1);
        this.tx.setInt(IPPROTO_IP, IP_MULTICAST_TTL, 255);
        this.tx.setInt(IPPROTO_IP, IP_TTL, o.unicastTtl ?? 255);
        // SO_BINDTODEVICE already sends every packet through that device (socket(7)); this only says it twice.
        const mcastIf = this.tx.setIfOffered(IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(new Uint8Array(4), txIndex));
        if (mcastIf !== undefined) warnOnce(o, "mcast-if", `IP_MULTICAST_IF refused on VRRP send sockets (${mcastIf}); adverts leave by the device the socket is bound to`);
        this.tx.setInt(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
        this.tx.bind(sockaddrIp(src.bytes));
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Sets the receive socket's SO_RCVBUF (vrrp_rx_bufs_policy, kernel_rx_buf_size: src/vrrp/rx-bufs.ts);
   * returns what the kernel granted (doubled, capped by net.core.rmem_max).
   */
  setRxBuffer(bytes: number): number {
    this.rx.setInt(SOL_SOCKET, SO_RCVBUF, bytes);
    return this.rx.getInt(SOL_SOCKET, SO_RCVBUF);
  }

  /**
   * Raises the receive buffer past net.core.rmem_max (SO_RCVBUFFORCE, CAP_NET_ADMIN; SO_RCVBUF without
   * it); returns what the kernel granted.
   */
  forceRxBuffer(bytes: number): number {
    try {
      this.rx.setInt(SOL_SOCKET, SO_RCVBUFFORCE, bytes);
    } catch {
      this.rx.setInt(SOL_SOCKET, SO_RCVBUF, bytes);
    }
    return this.rx.getInt(SOL_SOCKET, SO_RCVBUF);
  }

  /** The receive socket's buffer size now, bytes (as the kernel counts it). */
  rxBufferBytes(): number {
    return this.rx.getInt(SOL_SOCKET, SO_RCVBUF);
  }

  /** Sends a VRRP message (or, for AH, a whole IPv4 datagram) to `dst`. */
  send(data: Uint8Array, dst: string): void {
    this.tx.sendTo(data, this.#sockaddr(dst));
  }

  /**
   * Queues a datagram for `dst`: everything queued while the running callback (a wake's batch of due
   * timers) runs goes out in one sendmmsg(2) when it returns. `data` must not change until then; a
   * datagram the kernel refuses is reported to `onError`.
   */
  queue(data: Uint8Array, dst: string, onError: (e: Error, dst: string) => void): void {
    const name = this.#sockaddr(dst);
    if (!this.#batch.add(data, name)) {
      this.flush();
      this.#batch.add(data, name);
    }
    this.#batchErrs.push(onError);
    this.#batchDsts.push(dst);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushTask);
    }
  }

  /** Sends what `queue` holds now. */
  flush(): void {
    if (this.#closed) return;
    const errs = this.#batchErrs, dsts = this.#batchDsts;
    this.#batch.flush(this.tx.fd, (i, e) => errs[i]!(e, dsts[i]!));
    errs.length = 0;
    dsts.length = 0;
  }

  readonly #batch = new DatagramBatch();
  readonly #batchErrs: ((e: Error, dst: string) => void)[] = [];
  readonly #batchDsts: string[] = [];
  #flushQueued = false;
  readonly #flushTask = (): void => {
    this.#flushQueued = false;
    this.flush();
  };
  #closed = false;
  /** Socket addresses by destination text, each in an ArrayBuffer of its own (the kernel reads it in sendmmsg). */
  readonly #addrs = new Map<string, Uint8Array>();

  #sockaddr(dst: string): Uint8Array {
    const known = this.#addrs.get(dst);
    if (known) return known;
    const d = parseIp(dst);
    if (!d) throw new Error(`invalid destination '${dst}'`);
    const scope = this.o.txIfindex ?? this.o.ifindex;
    const sa = sockaddrIp(d.bytes, 0, this.o.family === "ipv6" && isLinkLocal6(d.bytes) ? scope : 0);
    const own = new Uint8Array(new ArrayBuffer(sa.length));
    own.set(sa);
    this.#addrs.set(dst, own);
    return own;
  }

  /**
   * Reads every queued packet and returns how many; malformed IP-level input goes to `onError`; a VRRP
   * datagram whose VRID `wants` refuses is dropped before anything is copied. A datagram equal
   * to the last good one of its VRID (the same advert from the same master: only the IPv4 id and header
   * checksum differ, which the kernel has checked) is first offered to `onRepeat` without being decoded:
   * a Backup hears its master that way many times a second. When `onRepeat` is absent or returns false
   * it is decoded as usual. `at` is the kernel's receive time on the performance.now() clock, so a
   * datagram read late (the reactor's rate limit) still restarts timers from when it arrived.
   */
  drain(
    onPacket: (p: RxPacket) => void, onError: (e: RxError) => void, onRepeat?: (vrid: number, at: number) => boolean,
    wants?: (vrid: number) => boolean,
  ): number {
    const rx = this.rx;
    let count = 0;
    let offset = NaN; // CLOCK_REALTIME - performance.now(), read once per drain
    for (let n = rx.recvInPlace(); n >= 0; n = rx.recvInPlace()) {
      count++;
      const drops = rx.queueDrops();
      if (drops > this.rxDrops) this.rxDrops = drops;
      const now = performance.now();
      const stamp = rx.receivedAtRealtimeMs();
      if (stamp === stamp && offset !== offset) offset = realtimeMs() - now;
      // A stamp from the future or from long ago means the wall clock moved: the read time is then the best guess.
      const at = stamp === stamp && stamp - offset <= now && stamp - offset > now - 1000 ? stamp - offset : now;
      // A VRID no instance here listens for (a flood, another cluster) is dropped unread: nothing is copied or decoded.
      if (wants && !rx.truncated && !this.#wanted(n, wants)) continue;
      const vrid = onRepeat && !rx.truncated ? this.#repeatedVrid(n) : -1;
      if (vrid >= 0 && onRepeat!(vrid, at)) continue;
      // IPv4 takes sender, destination and TTL from the IP header: no sockaddr or cmsg objects for it.
      const v6 = this.o.family === "ipv6";
      const d: Datagram = { data: rx.received.slice(0, n), from: v6 ? rx.from() : NO_FROM, cmsgs: v6 ? rx.cmsgs() : [], truncated: rx.truncated };
      const p = this.#decode(d, at);
      if ("reason" in p) {
        onError(p);
        continue;
      }
      // A repeat no instance could replay (one they dropped) is already the remembered datagram.
      if (onRepeat && vrid < 0) this.#remember(d.data, p);
      onPacket(p);
    }
    return count;
  }

  /**
   * Last good datagram per VRID (as 32-bit words, zero padded), with its sender and ancillary bytes.
   * VRRP only: AH datagrams never repeat (their sequence number grows).
   */
  readonly #last: ({ length: number; words: Int32Array; from: Uint8Array; control: Uint8Array } | undefined)[] = [];
  /** The socket's receive buffer as words (it starts a fresh ArrayBuffer, so it is aligned). */
  #rxWords: Int32Array | undefined;

  #remember(data: Uint8Array, p: RxPacket): void {
    if (this.proto !== IPPROTO_VRRP || p.payload.length < 2) return;
    const words = new Int32Array((data.length + 3) >> 2);
    new Uint8Array(words.buffer).set(data);
    this.#last[p.payload[1]!] = { length: data.length, words, ...this.rx.originBytes() };
  }

  /** Whether an instance listens for the VRID of the VRRP datagram in the socket's buffer (AH: always). */
  #wanted(n: number, wants: (vrid: number) => boolean): boolean {
    if (this.proto !== IPPROTO_VRRP) return true;
    const b = this.rx.received;
    const off = this.o.family === "ipv4" ? (b[0]! & 0x0f) * 4 : 0;
    return off + 2 > n || wants(b[off + 1]!); // too short to tell: decoded, and counted as malformed
  }

  /** The VRID when the datagram in the socket's buffer repeats the last good one of that VRID, else -1. */
  #repeatedVrid(n: number): number {
    if (this.proto !== IPPROTO_VRRP) return -1;
    const b = this.rx.received;
    const v4 = this.o.family === "ipv4";
    const off = v4 ? (b[0]! & 0x0f) * 4 : 0;
    if (off + 2 > n) return -1;
    const vrid = b[off + 1]!;
    const last = this.#last[vrid];
    if (!last || last.length !== n) return -1;
    const w = (this.#rxWords ??= new Int32Array(b.buffer, 0, b.buffer.byteLength >> 2));
    const lw = last.words;
    const full = n >> 2;
    for (let i = 0; i < full; i++) {
      // IPv4 identification (bytes 4-5) and header checksum (10-11) change with every datagram; little-endian words.
      const mask = !v4 ? -1 : i === 1 ? 0xffff0000 | 0 : i === 2 ? 0x0000ffff : -1;
      if (((w[i]! ^ lw[i]!) & mask) !== 0) return -1;
    }
    if (n & 3) {
      const tail = new Uint8Array(lw.buffer);
      for (let i = full << 2; i < n; i++) if (b[i] !== tail[i]) return -1;
    }
    return this.rx.sameOrigin(last.from, last.control) ? vrid : -1;
  }

  #decode(d: Datagram, at: number): RxPacket | RxError {
    if (d.truncated) return { reason: `datagram truncated (${d.data.length} bytes read)` };
    const info = cmsgPktInfo(d.cmsgs);
    if (this.o.family === "ipv6") {
      const src = "address" in d.from ? formatIp(d.from.address) : "";
      return {
        family: "ipv6", payload: d.data, src, dst: info ? formatIp(info.dst) : "",
        ttl: cmsgTtl(d.cmsgs) ?? -1, ifindex: info?.ifindex ?? this.o.ifindex, at,
      };
    }
    const ip = parseIpv4Header(d.data);
    if (!ip.ok) return { reason: ip.reason };
    const h = ip.value.header;
    return {
      family: "ipv4",
      payload: ip.value.payload,
      ahDatagram: this.o.ah ? d.data : undefined,
      src: h.src,
      dst: h.dst,
      ttl: h.ttl,
      ifindex: info?.ifindex ?? this.o.ifindex,
      at,
    };
  }

  /** Sends what is queued, then closes both sockets. */
  close(): void {
    this.flush();
    this.#closed = true;
    this.rx.close();
    this.tx.close();
  }
}

/** The sender of an IPv4 datagram is read from its header, not from the socket address. */
const NO_FROM: Datagram["from"] = { family: 0, raw: new Uint8Array(0) };

function isLinkLocal6(b: Uint8Array): boolean {
  return b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
