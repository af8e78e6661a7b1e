/**
 * BFD over UDP on Linux sockets:
 * - RFC 5881 §4 single hop: Control packets to UDP 3784; RFC 5883 §5 multihop: to UDP 4784;
 * - RFC 5881 §4: every session sends from its own source port in 49152–65535, the same for its lifetime;
 * - RFC 5881 §5: we send with TTL / Hop Limit = the session's `ttl` (255 unless configured) and read the
 *   received TTL / Hop Limit (IP_RECVTTL / IPV6_RECVHOPLIMIT) so the session can apply its TTL policy;
 * - the destination address (IP_PKTINFO / IPV6_RECVPKTINFO) is reported for demultiplexing by path.
 * One wildcard listener per (family, single hop / multihop), opened while a session needs it. Nothing here
 * judges packets: datagrams go to `onDatagram` with their metadata. Send failures are counted and logged at
 * a limited rate, never thrown: a session must survive a missing route or a source address not yet present.
 */
import { AF_INET, AF_INET6, afNumber, type Family, formatIp, parseIp } from "../core/inet.ts";
import { type Logger, RateLimitedLog } from "../core/log.ts";
import { type FdWatcher, Reactor } from "../ffi/reactor.ts";
import { sockaddrIp } from "../ffi/sockaddr.ts";
import {
  cmsgPktInfo,
  cmsgTtl,
  IP_PKTINFO,
  IP_RECVTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_UNICAST_HOPS,
  IPV6_V6ONLY,
  SO_REUSEADDR,
  SOCK_DGRAM,
  Socket,
  SOL_SOCKET,
} from "../ffi/socket.ts";
import { BFD_MULTI_HOP_PORT, BFD_SINGLE_HOP_PORT, BFD_SOURCE_PORT_MAX, BFD_SOURCE_PORT_MIN } from "../proto/bfd.ts";
import type { BfdArrival, BfdPath } from "./demux.ts";

/** A received UDP payload and where it came from. */
export interface BfdDatagram {
  data: Uint8Array;
  arrival: BfdArrival;
}

/** The sending half of one session. */
export interface BfdSender {
  /** Sends one Control packet to the session's neighbor; failures are counted, not thrown. */
  send(packet: Uint8Array): void;
  /** Releases the source port. */
  close(): void;
  /** Bound UDP source port, or 0 while not bound (source address not present yet). */
  readonly sourcePort: number;
}

/** What the runtime needs from the network; the real one is {@link UdpTransport}, tests use a fake. */
export interface BfdTransport {
  /** Opens a session's sender and makes sure its listener runs. */
  open(path: BfdPath): BfdSender;
  /** Closes every socket. */
  close(): void;
  /** Send failures so far. */
  readonly sendErrors: number;
}

/** Destination UDP port for a path. */
export function bfdPort(multihop: boolean): number {
  return multihop ? BFD_MULTI_HOP_PORT : BFD_SINGLE_HOP_PORT;
}

function familyOf(addr: string): Family {
  return addr.includes(":") ? "ipv6" : "ipv4";
}

interface Listener {
  sock: Socket;
  users: number;
}

/** Opens the wildcard listener for one family and port, reporting TTL and destination address. */
function openListener(family: Family, port: number): Socket {
  const s = new Socket(afNumber(family), SOCK_DGRAM, 0);
  try {
    s.setInt(SOL_SOCKET, SO_REUSEADDR, 1);
    if (family === "ipv4") {
      s.setInt(IPPROTO_IP, IP_RECVTTL, 1);
      s.setInt(IPPROTO_IP, IP_PKTINFO, 1);
      s.bind(sockaddrIp(new Uint8Array(4), port));
    } else {
      s.setInt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
      s.setInt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
      s.setInt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
      s.bind(sockaddrIp(new Uint8Array(16), port));
    }
    return s;
  } catch (e) {
    s.close();
    throw e;
  }
}

/** Binds a sender socket to a source port in 49152–65535 (random start, then upwards). */
function bindSourcePort(s: Socket, local: Uint8Array, rand: () => number): number {
  const span = BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1;
  const start = Math.floor(rand() * span);
  let last: unknown;
  for (let i = 0; i < 64; i++) {
    const port = BFD_SOURCE_PORT_MIN + ((start + i) % span);
    try {
      s.bind(sockaddrIp(local, port));
      return port;
    } catch (e) {
      last = e;
      if ((e as { code?: string }).code !== "EADDRINUSE") throw e;
    }
  }
  throw last;
}

/** The real transport: libc UDP sockets watched by the epoll reactor. */
export class UdpTransport implements BfdTransport {
  #reactor: FdWatcher | undefined;
  /** A watcher we created ourselves (closed with us); an injected one belongs to the child. */
  #ownReactor = false;
  #listeners = new Map<string, Listener>();
  #errors: RateLimitedLog;
  sendErrors = 0;

  /** `onDatagram` runs on the main thread for every datagram received on a BFD port. */
  constructor(
    readonly onDatagram: (d: BfdDatagram) => void,
    readonly log: Logger,
    readonly rand: () => number = Math.random,
    watcher?: FdWatcher,
  ) {
    this.#errors = new RateLimitedLog(log);
    this.#reactor = watcher;
  }

  #listen(family: Family, multihop: boolean): string {
    const key = `${family}${multihop ? "mh" : "sh"}`;
    const l = this.#listeners.get(key);
    if (l) {
      l.users++;
      return key;
    }
    const sock = openListener(family, bfdPort(multihop));
    if (!this.#reactor) {
      this.#reactor = new Reactor();
      this.#ownReactor = true;
    }
    this.#reactor.add(sock.fd, () => this.#drain(sock, multihop));
    this.#listeners.set(key, { sock, users: 1 });
    return key;
  }

  #unlisten(key: string): void {
    const l = this.#listeners.get(key);
    if (!l || --l.users > 0) return;
    this.#reactor?.remove(l.sock.fd);
    l.sock.close();
    this.#listeners.delete(key);
  }

  #drain(sock: Socket, multihop: boolean): void {
    for (;;) {
      let d;
      try {
        d = sock.recv();
      } catch (e) {
        this.#errors.warn("recv", `BFD receive failed: ${(e as Error).message}`);
        return;
      }
      if (!d) return;
      if (!("address" in d.from)) continue;
      const info = cmsgPktInfo(d.cmsgs);
      this.onDatagram({
        data: d.data,
        arrival: {
          peer: formatIp(d.from.address),
          local: info ? formatIp(info.dst) : undefined,
          multihop,
          ttl: cmsgTtl(d.cmsgs),
        },
      });
    }
  }

  open(path: BfdPath): BfdSender {
    const family = familyOf(path.peer);
    const peer = parseIp(path.peer);
    if (!peer) throw new Error(`BFD neighbor '${path.peer}' is not an IP address`);
    const local = path.local === null ? new Uint8Array(family === "ipv4" ? 4 : 16) : parseIp(path.local)?.bytes;
    if (!local) throw new Error(`BFD source address '${path.local}' is not an IP address`);
    const key = this.#listen(family, path.multihop);
    return new UdpSender(
      this,
      path,
      sockaddrIp(peer.bytes, bfdPort(path.multihop)),
      local,
      () => this.#unlisten(key),
    );
  }

  /** Counts and logs (rate-limited) a send-side failure. */
  sendFailed(what: string, e: unknown): void {
    this.sendErrors++;
    this.#errors.warn(what, `${what}: ${(e as Error).message}`);
  }

  close(): void {
    for (const key of [...this.#listeners.keys()]) {
      const l = this.#listeners.get(key)!;
      this.#reactor?.remove(l.sock.fd);
      l.sock.close();
    }
    this.#listeners.clear();
    if (this.#ownReactor) {
      this.#reactor?.close();
      this.#reactor = undefined;
      this.#ownReactor = false;
    }
  }
}

/** One session's socket: bound lazily so a source address that appears later still works. */
class UdpSender implements BfdSender {
  #sock: Socket | undefined;
  #closed = false;
  sourcePort = 0;

  constructor(
    readonly t: UdpTransport,
    readonly path: BfdPath,
    readonly dest: Uint8Array,
    readonly local: Uint8Array,
    readonly release: () => void,
  ) {
    this.#ensure();
  }

  #ensure(): Socket | undefined {
    if (this.#sock || this.#closed) return this.#sock;
    const s = new Socket(this.local.length === 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
    try {
      if (this.local.length === 4) s.setInt(IPPROTO_IP, IP_TTL, this.path.ttl);
      else s.setInt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, this.path.ttl);
      this.sourcePort = bindSourcePort(s, this.local, this.t.rand);
      this.#sock = s;
    } catch (e) {
      s.close();
      this.t.sendFailed(
        `BFD cannot bind a source port on ${this.path.local ?? "any address"} for ${this.path.peer}`,
        e,
      );
    }
    return this.#sock;
  }

  send(packet: Uint8Array): void {
    const s = this.#ensure();
    if (!s) return;
    try {
      s.sendTo(packet, this.dest);
    } catch (e) {
      this.t.sendFailed(`BFD send to ${this.path.peer} failed`, e);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock?.close();
    this.#sock = undefined;
    this.release();
  }
}
