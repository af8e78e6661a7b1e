/**
 * VRRP sockets for one interface and family (RFC 5798 §5.1, RFC 3768 §5.1): a receive socket bound to
 * the device and joined to 224.0.0.18 / ff02::12 (unicast adverts arrive on it too), and a send socket
 * bound to the source address with TTL / hop limit 255. IPv4 receive sockets see the IP header; IPv6
 * ones get the hop limit and destination from cmsgs. AH (IPv4, VRRPv2) uses its own protocol-51
 * sockets; its send socket writes whole datagrams (IP_HDRINCL).
 */
import { parseIp } from "../core/inet.ts";
import {
  cmsgPktInfo, cmsgTtl, type Datagram, IP_HDRINCL, IP_MULTICAST_ALL, IP_MULTICAST_IF, IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_JOIN_GROUP, IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, IPV6_UNICAST_HOPS, ipMreqn,
  ipv6Mreq, IP_ADD_MEMBERSHIP, Socket, SOCK_RAW,
} from "../ffi/socket.ts";
import { sockaddrIp } from "../ffi/sockaddr.ts";
import { parseIpv4Header } from "../proto/ipv4.ts";
import { formatIp } from "../core/inet.ts";

/** IP protocol numbers. */
export const IPPROTO_VRRP = 112, IPPROTO_AH = 51;

/** One received VRRP (or AH) packet, with what the IP layer told us. */
export interface RxPacket {
  family: "ipv4" | "ipv6";
  /** VRRP message (for AH: the whole IPv4 datagram, see `ahDatagram`). */
  payload: Uint8Array;
  /** The whole IPv4 datagram when it carried AH. */
  ahDatagram?: Uint8Array;
  src: string;
  dst: string;
  ttl: number;
  ifindex: number;
}

/** Where and how to send and receive. */
export interface TransportOptions {
  family: "ipv4" | "ipv6";
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
  /** Send on another interface than we receive on (use_vmac: send from the VMAC). @default ifname/ifindex */
  txIfname?: string;
  txIfindex?: number;
}

/** A malformed datagram at the IP level. */
export interface RxError {
  reason: string;
}

/** Sockets for one (interface, family, protocol). */
export class VrrpTransport {
  readonly rx: Socket;
  readonly tx: Socket;
  readonly proto: number;

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
        this.rx.setInt(IPPROTO_IP, IP_MULTICAST_ALL, 0);
        if (o.group) this.rx.setBytes(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(parseIp(o.group)!.bytes, o.ifindex));
        if (o.ah) this.tx.setInt(IPPROTO_IP, IP_HDRINCL, 1);
        this.tx.setInt(IPPROTO_IP, IP_MULTICAST_TTL, 255);
        this.tx.setInt(IPPROTO_IP, IP_TTL, o.unicastTtl ?? 255);
        this.tx.setBytes(IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(new Uint8Array(4), txIndex));
        this.tx.setInt(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
        this.tx.bind(sockaddrIp(src.bytes));
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Sends a VRRP message (or, for AH, a whole IPv4 datagram) to `dst`. */
  send(data: Uint8Array, dst: string): void {
    const d = parseIp(dst);
    if (!d) throw new Error(`invalid destination '${dst}'`);
    const scope = this.o.txIfindex ?? this.o.ifindex;
    this.tx.sendTo(data, sockaddrIp(d.bytes, 0, this.o.family === "ipv6" && isLinkLocal6(d.bytes) ? scope : 0));
  }

  /** Reads every queued packet; malformed IP-level input is reported through `onError`. */
  drain(onPacket: (p: RxPacket) => void, onError: (e: RxError) => void): void {
    for (let d = this.rx.recv(); d; d = this.rx.recv()) {
      const p = this.#decode(d);
      if ("reason" in p) onError(p);
      else onPacket(p);
    }
  }

  #decode(d: Datagram): RxPacket | RxError {
    if (d.truncated) return { reason: `datagram truncated (${d.data.length} bytes read)` };
    const info = cmsgPktInfo(d.cmsgs);
    if (this.o.family === "ipv6") {
      const src = "address" in d.from ? formatIp(d.from.address) : "";
      return {
        family: "ipv6", payload: d.data, src, dst: info ? formatIp(info.dst) : "",
        ttl: cmsgTtl(d.cmsgs) ?? -1, ifindex: info?.ifindex ?? this.o.ifindex,
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
    };
  }

  /** Closes both sockets. */
  close(): void {
    this.rx.close();
    this.tx.close();
  }
}

function isLinkLocal6(b: Uint8Array): boolean {
  return b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
