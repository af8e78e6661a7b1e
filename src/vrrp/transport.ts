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
  IP_ADD_MEMBERSHIP,
  IP_HDRINCL,
  IP_MULTICAST_ALL,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_TTL,
  ipMreqn,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_UNICAST_HOPS,
  ipv6Mreq,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_RXQ_OVFL,
  SO_TIMESTAMPNS,
  SOCK_RAW,
  Socket,
  SOL_SOCKET,
} from "../ffi/socket.ts";
import { DatagramBatch } from "../ffi/sendmmsg.ts";
import { priorityZeroFilter } from "../proto/bpf.ts";
import { sockaddrIp } from "../ffi/sockaddr.ts";
import { type RxError, type RxPacket, VrrpReceiver } from "./receiver.ts";

export type { RxError, RxPacket } from "./receiver.ts";

/** IP protocol numbers. */
export const IPPROTO_VRRP = 112, IPPROTO_AH = 51;

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

/** What the runtime needs of a transport (VrrpTransport, or a fake in tests). */
export interface TransportLike {
  readonly rx: { readonly fd: number };
  /** A socket that hears only priority-0 adverts (VrrpTransport.urgent); absent: none. */
  readonly urgent?: { readonly fd: number; discardQueued(): number };
  send(data: Uint8Array, dst: string): void;
  /** Queues a datagram for one sendmmsg(2) when the running callback returns (VrrpTransport.queue); absent: send. */
  queue?(data: Uint8Array, dst: string, onError: (e: Error, dst: string) => void): void;
  /** Reads everything queued; returns how many datagrams it read (a fake may return nothing). */
  drain(
    onPacket: (p: RxPacket) => void,
    onError: (e: { reason: string }) => void,
    onRepeat?: (vrid: number, at: number) => boolean,
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
  readonly #rx: VrrpReceiver;
  /** Datagrams the kernel dropped on the receive socket because its queue was full (SO_RXQ_OVFL). */
  get rxDrops(): number {
    return this.#rx.rxDrops;
  }

  constructor(readonly o: TransportOptions) {
    const v6 = o.family === "ipv6";
    const domain = v6 ? 10 : 2;
    this.proto = o.ah ? IPPROTO_AH : IPPROTO_VRRP;
    const src = parseIp(o.src);
    if (!src) throw new Error(`invalid source address '${o.src}' for ${o.ifname}`);
    // Read through the receiver's recvmmsg slots, not the socket's own buffer.
    this.rx = new Socket(domain, SOCK_RAW, this.proto, 64);
    this.#rx = new VrrpReceiver({ fd: this.rx.fd, family: o.family, proto: this.proto, ifindex: o.ifindex });
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
        if (allGroups !== undefined) {
          warnOnce(
            o,
            "mcast-all",
            `VRRP receive sockets also see multicast groups joined by other sockets (${allGroups}); adverts are still matched by interface and VRID`,
          );
        }
        if (o.group) this.rx.setBytes(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(parseIp(o.group)!.bytes, o.ifindex));
        if (o.ah) this.tx.setInt(IPPROTO_IP, IP_HDRINCL, 1);
        this.tx.setInt(IPPROTO_IP, IP_MULTICAST_TTL, 255);
        this.tx.setInt(IPPROTO_IP, IP_TTL, o.unicastTtl ?? 255);
        // SO_BINDTODEVICE already sends every packet through that device (socket(7)); this only says it twice.
        const mcastIf = this.tx.setIfOffered(IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(new Uint8Array(4), txIndex));
        if (mcastIf !== undefined) {
          warnOnce(o, "mcast-if", `IP_MULTICAST_IF refused on VRRP send sockets (${mcastIf}); adverts leave by the device the socket is bound to`);
        }
        this.tx.setInt(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
        this.tx.bind(sockaddrIp(src.bytes));
      }
    } catch (e) {
      this.close();
      throw e;
    }
    if (!o.ah) this.urgent = this.#openUrgent(domain);
  }

  /**
   * The priority-0 socket: a second receive socket whose BPF filter (src/proto/bpf.ts) lets only adverts
   * of priority 0 through, so a Backup whose receive socket is polled at a slow pace still hears a master
   * giving up at once. Undefined when the kernel refuses the filter (the receive socket is then polled
   * at the usual pace).
   */
  #openUrgent(domain: number): Socket | undefined {
    const o = this.o;
    const s = new Socket(domain, SOCK_RAW, this.proto, 64);
    try {
      const refused = s.attachFilter(priorityZeroFilter(o.family));
      if (refused !== undefined) {
        warnOnce(o, "bpf", `no socket filters on VRRP sockets (${refused}); a priority-0 advert is read with the others`);
        s.close();
        return undefined;
      }
      s.bindToDevice(o.ifname);
      const group = o.group ? parseIp(o.group)!.bytes : undefined;
      if (o.family === "ipv6") {
        if (group) s.setBytes(IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6Mreq(group, o.ifindex));
      } else {
        s.setIfOffered(IPPROTO_IP, IP_MULTICAST_ALL, 0);
        if (group) s.setBytes(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group, o.ifindex));
      }
      s.discardQueued(); // what came before the filter
      return s;
    } catch (e) {
      warnOnce(o, "urgent", `no priority-0 socket for VRRP (${(e as Error).message}); a priority-0 advert is read with the others`);
      s.close();
      return undefined;
    }
  }

  /** The priority-0 socket (#openUrgent), if any. */
  readonly urgent: Socket | undefined;

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
    this.#batch.flush(this.tx.fd, this.#refused);
    this.#batchErrs.length = 0;
    this.#batchDsts.length = 0;
  }

  readonly #batch = new DatagramBatch();
  readonly #batchErrs: ((e: Error, dst: string) => void)[] = [];
  readonly #batchDsts: string[] = [];
  /** A queued datagram the kernel refused, by its index in the batch (one function for every flush). */
  readonly #refused = (i: number, e: Error): void => this.#batchErrs[i]!(e, this.#batchDsts[i]!);
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
   * datagram read late (the reactor's rate limit) still restarts timers from when it arrived. Reads
   * 32 datagrams per system call (src/vrrp/receiver.ts).
   */
  drain(
    onPacket: (p: RxPacket) => void,
    onError: (e: RxError) => void,
    onRepeat?: (vrid: number, at: number) => boolean,
    wants?: (vrid: number) => boolean,
  ): number {
    return this.#rx.drain(onPacket, onError, onRepeat, wants);
  }

  /** Sends what is queued, then closes both sockets. */
  close(): void {
    this.flush();
    this.#closed = true;
    this.rx.close();
    this.tx.close();
    this.urgent?.close();
  }
}

function isLinkLocal6(b: Uint8Array): boolean {
  return b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
