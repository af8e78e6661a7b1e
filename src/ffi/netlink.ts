/**
 * A netlink socket (rtnetlink, generic netlink): send requests and collect the kernel's replies, or
 * subscribe to multicast groups for events. Message contents are encoded and decoded by the pure codecs
 * in src/proto/; this file only moves bytes and matches replies to requests by sequence number.
 *
 * The kernel handles a netlink request inside sendmsg(), so its reply (or the first part of a dump) is
 * queued before sendmsg returns; later dump parts are produced as we read. A request therefore never
 * waits on the event loop.
 */
import { rtGuard } from "../core/rt-guard.ts";
import { SysError } from "./libc.ts";
import { SO_RCVBUF, SO_RCVBUFFORCE, SOCK_RAW, Socket, SOL_NETLINK, SOL_SOCKET } from "./socket.ts";
import { AF_NETLINK, sockaddrNl } from "./sockaddr.ts";
import { isPlainAck, type NlMessage, parseNlError, splitMessages } from "../proto/netlink.ts";

/** Splits a datagram, dropping it whole when its framing is broken (counted by the caller's log). */
function messages(buf: Uint8Array): NlMessage[] {
  const r = splitMessages(buf);
  return r.ok ? r.value : [];
}

/** The kernel's address (port 0, no groups), the destination of every request. */
const KERNEL = sockaddrNl(0, 0);

/** Netlink protocols. */
export const NETLINK_ROUTE = 0, NETLINK_CONNECTOR = 11, NETLINK_NETFILTER = 12, NETLINK_GENERIC = 16;
/** nlmsg types with a fixed meaning. */
export const NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3;
/** Request flags. */
export const NLM_F_REQUEST = 1, NLM_F_MULTI = 2, NLM_F_ACK = 4;
const NETLINK_ADD_MEMBERSHIP = 1, NETLINK_DROP_MEMBERSHIP = 2, NETLINK_EXT_ACK = 11, NETLINK_GET_STRICT_CHK = 12;

/** A kernel error answering a request: `errno` is positive; `message` carries the extended ack text. */
export class NetlinkError extends Error {
  readonly code: string;
  constructor(readonly errno: number, readonly what: string, extAck?: string) {
    const se = new SysError(what, errno, extAck ? `(${extAck})` : undefined);
    super(se.message);
    this.name = "NetlinkError";
    this.code = se.code;
  }
}

/** A netlink socket bound to the kernel. */
export class NetlinkSocket {
  readonly sock: Socket;
  #seq = Math.floor(Math.random() * 0x7fff_0000);
  readonly portId: number;
  readonly #rxView: DataView;

  /** Opens protocol `proto`, optionally subscribed to legacy `groups` (bitmask). */
  constructor(readonly proto: number, groups = 0, rcvbufBytes = 0) {
    this.sock = new Socket(AF_NETLINK, SOCK_RAW, proto, 1 << 16);
    const rx = this.sock.received;
    this.#rxView = new DataView(rx.buffer, rx.byteOffset, rx.byteLength);
    try {
      if (rcvbufBytes) this.setRcvBuf(rcvbufBytes, true);
      try {
        this.sock.setInt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
        this.sock.setInt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
      } catch { /* older kernels: plain errors */ }
      this.sock.bind(sockaddrNl(0, groups));
      const local = this.sock.localAddress();
      this.portId = "pid" in local ? local.pid : 0;
    } catch (e) {
      this.sock.close();
      throw e;
    }
  }

  /**
   * Sets the receive buffer: SO_RCVBUFFORCE when `force` (CAP_NET_ADMIN; past net.core.rmem_max), falling
   * back to SO_RCVBUF when the kernel refuses it; the kernel doubles the value for its bookkeeping.
   */
  setRcvBuf(bytes: number, force: boolean): void {
    if (force) {
      try {
        return this.sock.setInt(SOL_SOCKET, SO_RCVBUFFORCE, bytes);
      } catch { /* without the capability: as far as rmem_max */ }
    }
    this.sock.setInt(SOL_SOCKET, SO_RCVBUF, bytes);
  }

  /** The receive buffer the kernel keeps (getsockopt SO_RCVBUF: twice what was set). */
  rcvBuf(): number {
    return this.sock.getInt(SOL_SOCKET, SO_RCVBUF);
  }

  /** The fd, for the reactor (event subscriptions). */
  get fd(): number {
    return this.sock.fd;
  }

  /** Joins a multicast group by number (RTNLGRP_*, or a generic netlink group id). */
  joinGroup(group: number): void {
    this.sock.setInt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
  }

  /** Leaves a multicast group joined with joinGroup. */
  leaveGroup(group: number): void {
    this.sock.setInt(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group);
  }

  /** A fresh sequence number. */
  nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
  }

  /**
   * Sends one request (its header's seq must be `seq`) and returns every reply message for it up to the
   * ACK or NLMSG_DONE. Throws NetlinkError for a kernel error reply.
   */
  request(msg: Uint8Array, seq: number, what: string): NlMessage[] {
    // The kernel does the work inside these calls, under locks it may spin on: not under SCHED_RR's
    // RLIMIT_RTTIME (src/core/rt-guard.ts).
    // No closure per request unless realtime (the check child's first IPVS table is 10,000 of them).
    return rtGuard.active ? rtGuard.outside(() => this.#request(msg, seq, what)) : this.#request(msg, seq, what);
  }

  #request(msg: Uint8Array, seq: number, what: string): NlMessage[] {
    this.sock.sendTo(msg, KERNEL);
    const replies: NlMessage[] = [];
    const deadline = performance.now() + 5000;
    for (;;) {
      const n = this.sock.recvInPlace();
      if (n < 0) {
        if (performance.now() > deadline) throw new NetlinkError(110, what, "no reply from the kernel");
        Bun.sleepSync(0);
        continue;
      }
      // The usual answer, a bare ACK, read in the socket's own buffer: nothing is allocated for it.
      if (!this.sock.truncated && isPlainAck(this.#rxView, n, seq)) return replies;
      for (const m of messages(this.sock.received.slice(0, n))) {
        const h = m.header;
        if (h.seq !== seq) continue; // an event or a stale reply
        if (h.type === NLMSG_ERROR) {
          const e = parseNlError(m);
          if (!e.ok) throw new NetlinkError(71, what, e.reason); // EPROTO
          if (e.value.errno === 0) return replies;
          throw new NetlinkError(e.value.errno, what, e.value.message);
        }
        if (h.type === NLMSG_DONE) return replies;
        replies.push(m);
        if (!(h.flags & NLM_F_MULTI) && !(msgFlags(msg) & NLM_F_ACK)) return replies;
      }
    }
  }

  /**
   * Sends a batch (nfnetlink transaction: messages already carrying their sequence numbers, those in
   * `acked` with NLM_F_ACK) in one datagram and waits for the kernel's answer to each acked message. The
   * kernel applies the whole batch or none of it; the first error is thrown.
   */
  transact(msgs: Uint8Array[], acked: readonly number[], what: string): void {
    if (rtGuard.active) rtGuard.outside(() => this.#transact(msgs, acked, what));
    else this.#transact(msgs, acked, what);
  }

  #transact(msgs: Uint8Array[], acked: readonly number[], what: string): void {
    let n = 0;
    for (const m of msgs) n += m.length;
    const buf = new Uint8Array(n);
    let off = 0;
    for (const m of msgs) buf.set(m, off), off += m.length;
    this.sock.sendTo(buf, KERNEL);
    const waiting = new Set(acked);
    let first: NetlinkError | undefined;
    const deadline = performance.now() + 5000;
    while (waiting.size) {
      const d = this.sock.recv();
      if (!d) {
        if (performance.now() > deadline) throw new NetlinkError(110, what, "no reply from the kernel");
        Bun.sleepSync(0);
        continue;
      }
      for (const m of messages(d.data)) {
        if (m.header.type !== NLMSG_ERROR || !waiting.delete(m.header.seq)) continue;
        const e = parseNlError(m);
        if (!e.ok) first ??= new NetlinkError(71, what, e.reason);
        else if (e.value.errno !== 0) first ??= new NetlinkError(e.value.errno, what, e.value.message);
      }
      if (first) break;
    }
    if (first) {
      this.drain();
      throw first;
    }
  }

  /** Reads every queued message (events); returns [] when nothing is queued. */
  drain(): NlMessage[] {
    const out: NlMessage[] = [];
    for (let d = this.sock.recv(); d; d = this.sock.recv()) out.push(...messages(d.data));
    return out;
  }

  /** Closes the socket. */
  close(): void {
    this.sock.close();
  }
}

function msgFlags(msg: Uint8Array): number {
  return new DataView(msg.buffer, msg.byteOffset).getUint16(6, true);
}
