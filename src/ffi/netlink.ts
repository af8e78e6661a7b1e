/**
 * A netlink socket (rtnetlink, generic netlink): send requests and collect the kernel's replies, or
 * subscribe to multicast groups for events. Message contents are encoded and decoded by the pure codecs
 * in src/proto/; this file only moves bytes and matches replies to requests by sequence number.
 *
 * The kernel handles a netlink request inside sendmsg(), so its reply (or the first part of a dump) is
 * queued before sendmsg returns; later dump parts are produced as we read. A request therefore never
 * waits on the event loop.
 */
import { SysError } from "./libc.ts";
import { Socket, SOCK_RAW, SOL_NETLINK, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE } from "./socket.ts";
import { AF_NETLINK, sockaddrNl } from "./sockaddr.ts";

/** Netlink protocols. */
export const NETLINK_ROUTE = 0, NETLINK_GENERIC = 16;
/** nlmsg types with a fixed meaning. */
export const NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3;
/** Request flags. */
export const NLM_F_REQUEST = 1, NLM_F_MULTI = 2, NLM_F_ACK = 4;
const NETLINK_ADD_MEMBERSHIP = 1, NETLINK_EXT_ACK = 11, NETLINK_GET_STRICT_CHK = 12;

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

/** One raw message from a reply: header fields and the payload after the 16-byte header. */
export interface RawNlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/** Splits a datagram into netlink messages (NLMSG_ALIGN 4); stops at a malformed length. */
export function splitMessages(buf: Uint8Array): RawNlMsg[] {
  const out: RawNlMsg[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = dv.getUint32(off, true);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: dv.getUint16(off + 4, true),
      flags: dv.getUint16(off + 6, true),
      seq: dv.getUint32(off + 8, true),
      pid: dv.getUint32(off + 12, true),
      payload: buf.subarray(off + 16, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/** Extended-ack message text (NLMSGERR_ATTR_MSG = 1) after an echoed request header, if present. */
function extAckText(payload: Uint8Array): string | undefined {
  if (payload.length < 20) return undefined;
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const echoedLen = dv.getUint32(4, true);
  // With NLM_F_CAPPED (0x100) the kernel echoes only the header.
  let off = 4 + Math.min(echoedLen, 16);
  off = (off + 3) & ~3;
  while (off + 4 <= payload.length) {
    const alen = dv.getUint16(off, true), atype = dv.getUint16(off + 2, true);
    if (alen < 4 || off + alen > payload.length) break;
    if (atype === 1) return new TextDecoder().decode(payload.subarray(off + 4, off + alen)).replace(/\0.*$/, "");
    off += (alen + 3) & ~3;
  }
  return undefined;
}

/** A netlink socket bound to the kernel. */
export class NetlinkSocket {
  readonly sock: Socket;
  #seq = Math.floor(Math.random() * 0x7fff_0000);
  readonly portId: number;

  /** Opens protocol `proto`, optionally subscribed to legacy `groups` (bitmask). */
  constructor(readonly proto: number, groups = 0, rcvbufBytes = 0) {
    this.sock = new Socket(AF_NETLINK, SOCK_RAW, proto, 1 << 16);
    try {
      if (rcvbufBytes) {
        try {
          this.sock.setInt(SOL_SOCKET, SO_RCVBUFFORCE, rcvbufBytes);
        } catch {
          this.sock.setInt(SOL_SOCKET, SO_RCVBUF, rcvbufBytes);
        }
      }
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

  /** The fd, for the reactor (event subscriptions). */
  get fd(): number {
    return this.sock.fd;
  }

  /** Joins a multicast group by number (RTNLGRP_*, or a generic netlink group id). */
  joinGroup(group: number): void {
    this.sock.setInt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
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
  request(msg: Uint8Array, seq: number, what: string): RawNlMsg[] {
    this.sock.sendTo(msg, sockaddrNl(0, 0));
    const replies: RawNlMsg[] = [];
    const deadline = performance.now() + 5000;
    for (;;) {
      const d = this.sock.recv();
      if (!d) {
        if (performance.now() > deadline) throw new NetlinkError(110, what, "no reply from the kernel");
        Bun.sleepSync(0);
        continue;
      }
      for (const m of splitMessages(d.data)) {
        if (m.seq !== seq) continue; // an event or a stale reply
        if (m.type === NLMSG_ERROR) {
          const err = new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(0, true);
          if (err === 0) return replies;
          throw new NetlinkError(-err, what, extAckText(m.payload));
        }
        if (m.type === NLMSG_DONE) return replies;
        replies.push(m);
        if (!(m.flags & NLM_F_MULTI) && !(msgFlags(msg) & NLM_F_ACK)) return replies;
      }
    }
  }

  /** Reads every queued message (events); returns [] when nothing is queued. */
  drain(): RawNlMsg[] {
    const out: RawNlMsg[] = [];
    for (let d = this.sock.recv(); d; d = this.sock.recv()) out.push(...splitMessages(d.data));
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
