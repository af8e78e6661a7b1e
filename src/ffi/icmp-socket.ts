/**
 * ICMP / ICMPv6 echo sockets for PING_CHECK: a raw socket (root; sees every ICMP message, IPv4
 * ones with their IP header) or, when raw sockets are refused, an unprivileged ping datagram
 * socket (the kernel picks the identifier and delivers only our replies, without IP header; needs
 * net.ipv4.ping_group_range to cover our group). Optional SO_BINDTODEVICE and SO_MARK (bind_if,
 * fwmark). Reads are non-blocking: register `sock.fd` with the reactor.
 */
import type { Family } from "../core/inet.ts";
import { AF_INET, AF_INET6 } from "../core/inet.ts";
import { SO_MARK, SOCK_DGRAM, SOCK_RAW, Socket, SOL_SOCKET } from "./socket.ts";
import { SysError } from "./libc.ts";

/** IPPROTO_ICMP / IPPROTO_ICMPV6. */
const IPPROTO_ICMP = 1, IPPROTO_ICMPV6 = 58;

/** An opened echo socket. */
export interface IcmpSocket {
  sock: Socket;
  /** Raw sockets deliver IPv4 headers and everyone's ICMP; datagram ones do neither. */
  raw: boolean;
  family: Family;
}

/** Options of openIcmpSocket. */
export interface IcmpSocketOptions {
  /** SO_BINDTODEVICE (bind_if). */
  bindIf?: string;
  /** SO_MARK (fwmark); 0 = none. */
  fwmark?: number;
  /** Source address as sockaddr bytes (bindto). */
  bindTo?: Uint8Array;
}

/** Opens a raw echo socket, falling back to a ping datagram socket on EPERM/EACCES. */
export function openIcmpSocket(family: Family, o: IcmpSocketOptions = {}): IcmpSocket {
  const domain = family === "ipv4" ? AF_INET : AF_INET6;
  const proto = family === "ipv4" ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  let sock: Socket;
  let raw = true;
  try {
    sock = new Socket(domain, SOCK_RAW, proto);
  } catch (e) {
    if (!(e instanceof SysError) || (e.code !== "EPERM" && e.code !== "EACCES")) throw e;
    sock = new Socket(domain, SOCK_DGRAM, proto);
    raw = false;
  }
  try {
    if (o.bindIf) sock.bindToDevice(o.bindIf);
    if (o.fwmark) sock.setInt(SOL_SOCKET, SO_MARK, o.fwmark);
    if (o.bindTo) sock.bind(o.bindTo);
  } catch (e) {
    sock.close();
    throw e;
  }
  return { sock, raw, family };
}
