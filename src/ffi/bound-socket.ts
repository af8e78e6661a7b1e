/**
 * A TCP socket opened through libc so the options Bun's own sockets lack can be set before
 * connecting: SO_BINDTODEVICE (bind_if), SO_MARK (fwmark), and a source address/port (bindto,
 * bind_port). The connect is non-blocking (EINPROGRESS is expected). Bun.connect({ fd }) treats an
 * adopted fd as open at once, so the caller first polls connectProgress() (a repeated connect(2):
 * EALREADY = still going, EISCONN = connected, anything else = the failure) and only then hands the
 * fd over. closeFd() cancels a connect that has not been handed over.
 */
import { afNumber, parseIp } from "../core/inet.ts";
/** connect(2) errnos on a non-blocking socket. */
const EINPROGRESS = 115, EALREADY = 114, EISCONN = 106;
import { check, closeQuietly, libc, rcOrErrno, SysError } from "./libc.ts";
import { errnoName } from "./errno.ts";
import { sockaddrIp } from "./sockaddr.ts";
import { SO_BINDTODEVICE, SO_MARK, SO_REUSEADDR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET } from "./socket.ts";

/** What to set on the socket before connecting. */
export interface BoundConnect {
  address: string;
  port: number;
  bindIf?: string;
  fwmark?: number;
  bindTo?: string;
  bindPort?: number;
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  check("setsockopt", libc.setsockopt(fd, level, name, new Int32Array([value]), 4), what);
}

/** A connect in progress. */
export interface PendingConnect {
  fd: number;
  /** Destination sockaddr, for connectProgress. */
  addr: Uint8Array;
}

/** "connected", "pending", or the errno name of the failure (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT...). */
export function connectProgress(p: PendingConnect): string {
  const rc = rcOrErrno(libc.connect(p.fd, p.addr, p.addr.length));
  if (rc === 0 || rc === -EISCONN) return "connected";
  if (rc === -EALREADY || rc === -EINPROGRESS) return "pending";
  return errnoName(-rc); // a failing server a second each: no Error (and stack) built just for its name
}

/** Closes an fd that was not handed to Bun. */
export function closeFd(fd: number): void {
  closeQuietly(fd);
}

/**
 * Opens a TCP socket with the options applied and starts a non-blocking connect. A caller that connects
 * to the same place again and again (TCP_CHECK) passes prepareBound()'s result to parse the options once.
 */
export function startBoundConnect(o: BoundConnect | PreparedBound): PendingConnect {
  return openBound("domain" in o ? o : prepareBound(o), SOCK_STREAM);
}

/** Opens a UDP socket with the options applied and connected to the peer (a UDP connect completes at once). */
export function openBoundUdp(o: BoundConnect): number {
  return openBound(prepareBound(o), SOCK_DGRAM).fd;
}

/** The options parsed into what the system calls take (addresses as sockaddrs). */
export interface PreparedBound {
  readonly o: BoundConnect;
  readonly domain: number;
  readonly dst: Uint8Array;
  readonly bindIf?: Uint8Array;
  readonly bind?: Uint8Array;
}

/** Parses the options once; throws on a bad address. */
export function prepareBound(o: BoundConnect): PreparedBound {
  const dst = parseIp(o.address);
  if (!dst) throw new Error(`bad address ${o.address}`);
  let bind: Uint8Array | undefined;
  if (o.bindTo !== undefined || o.bindPort !== undefined) {
    const src = o.bindTo !== undefined ? parseIp(o.bindTo) : undefined;
    if (o.bindTo !== undefined && !src) throw new Error(`bad bindto address ${o.bindTo}`);
    bind = sockaddrIp(src?.bytes ?? new Uint8Array(dst.family === "ipv4" ? 4 : 16), o.bindPort ?? 0);
  }
  return {
    o,
    domain: afNumber(dst.family),
    dst: sockaddrIp(dst.bytes, o.port),
    ...(o.bindIf ? { bindIf: new TextEncoder().encode(o.bindIf + "\0") } : {}),
    ...(bind ? { bind } : {}),
  };
}

function openBound(p: PreparedBound, type: number): PendingConnect {
  const o = p.o;
  const fd = check("socket", libc.socket(p.domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  try {
    if (p.bindIf) {
      check("setsockopt", libc.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p.bindIf, p.bindIf.length), `(SO_BINDTODEVICE ${o.bindIf})`);
    }
    if (o.fwmark) setInt(fd, SOL_SOCKET, SO_MARK, o.fwmark, `(SO_MARK ${o.fwmark})`);
    if (p.bind) {
      if (o.bindPort) setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "(SO_REUSEADDR)");
      check("bind", libc.bind(fd, p.bind, p.bind.length), `(${o.bindTo ?? "any"}:${o.bindPort ?? 0})`);
    }
    const rc = rcOrErrno(libc.connect(fd, p.dst, p.dst.length));
    if (rc < 0 && rc !== -EINPROGRESS) throw new SysError("connect", -rc);
    return { fd, addr: p.dst };
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
}
