/**
 * struct sockaddr_* layouts (Linux, LP64) encoded and decoded by hand: sockaddr_in, sockaddr_in6,
 * sockaddr_ll (packet), sockaddr_nl (netlink), sockaddr_un.
 */
import { AF_INET, AF_INET6, formatIp } from "../core/inet.ts";

/** AF_UNIX. */
export const AF_UNIX = 1;
/** AF_NETLINK. */
export const AF_NETLINK = 16;
/** AF_PACKET. */
export const AF_PACKET = 17;

/** A decoded socket address. */
export type SockAddr =
  | { family: typeof AF_INET; address: Uint8Array; port: number }
  | { family: typeof AF_INET6; address: Uint8Array; port: number; scopeId: number; flowInfo: number }
  | { family: typeof AF_PACKET; protocol: number; ifindex: number; hatype: number; pktType: number; mac: Uint8Array }
  | { family: typeof AF_NETLINK; pid: number; groups: number }
  | { family: number; raw: Uint8Array };

/** sockaddr_in: 16 bytes; port in network order. */
export function sockaddrIn(address: Uint8Array, port = 0): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_INET, true);
  dv.setUint16(2, port, false);
  b.set(address.subarray(0, 4), 4);
  return b;
}

/** sockaddr_in6: 28 bytes. */
export function sockaddrIn6(address: Uint8Array, port = 0, scopeId = 0): Uint8Array {
  const b = new Uint8Array(28);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_INET6, true);
  dv.setUint16(2, port, false);
  b.set(address.subarray(0, 16), 8);
  dv.setUint32(24, scopeId, true);
  return b;
}

/** sockaddr_in or sockaddr_in6 depending on the address length. */
export function sockaddrIp(address: Uint8Array, port = 0, scopeId = 0): Uint8Array {
  return address.length === 4 ? sockaddrIn(address, port) : sockaddrIn6(address, port, scopeId);
}

/** sockaddr_ll: 20 bytes; protocol in network order. */
export function sockaddrLl(ifindex: number, protocol: number, mac?: Uint8Array): Uint8Array {
  const b = new Uint8Array(20);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_PACKET, true);
  dv.setUint16(2, protocol, false);
  dv.setInt32(4, ifindex, true);
  if (mac) {
    b[11] = mac.length;
    b.set(mac.subarray(0, 8), 12);
  }
  return b;
}

/** sockaddr_nl: 12 bytes. */
export function sockaddrNl(pid = 0, groups = 0): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_NETLINK, true);
  dv.setUint32(4, pid, true);
  dv.setUint32(8, groups, true);
  return b;
}

/** sockaddr_un for a filesystem path (at most 107 bytes); a leading "@" names an abstract socket. */
export function sockaddrUn(path: string): Uint8Array {
  const abstract = path.startsWith("@");
  const p = new TextEncoder().encode(abstract ? "\0" + path.slice(1) : path);
  if (p.length > 107) throw new RangeError(`unix socket path too long (${p.length} bytes): ${path}`);
  const b = new Uint8Array(2 + p.length + (abstract ? 0 : 1));
  new DataView(b.buffer).setUint16(0, AF_UNIX, true);
  b.set(p, 2);
  return b;
}

/** Decodes a sockaddr of `len` bytes. */
export function decodeSockaddr(b: Uint8Array, len: number): SockAddr {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = len >= 2 ? dv.getUint16(0, true) : 0;
  if (family === AF_INET && len >= 16) {
    return { family, address: b.slice(4, 8), port: dv.getUint16(2, false) };
  }
  if (family === AF_INET6 && len >= 28) {
    return {
      family,
      address: b.slice(8, 24),
      port: dv.getUint16(2, false),
      flowInfo: dv.getUint32(4, false),
      scopeId: dv.getUint32(24, true),
    };
  }
  if (family === AF_PACKET && len >= 12) {
    const halen = b[11]!;
    return {
      family,
      protocol: dv.getUint16(2, false),
      ifindex: dv.getInt32(4, true),
      hatype: dv.getUint16(8, true),
      pktType: b[10]!,
      mac: b.slice(12, 12 + Math.min(halen, 8)),
    };
  }
  if (family === AF_NETLINK && len >= 12) {
    return { family, pid: dv.getUint32(4, true), groups: dv.getUint32(8, true) };
  }
  return { family, raw: b.slice(0, len) };
}

/** "address" or "[address]:port" text for logs. */
export function formatSockaddr(a: SockAddr): string {
  if ("address" in a) return a.port ? `[${formatIp(a.address)}]:${a.port}` : formatIp(a.address);
  if ("pid" in a) return `netlink:${a.pid}`;
  return `family ${a.family}`;
}
