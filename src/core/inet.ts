/**
 * IPv4 / IPv6 address text <-> bytes, without the network stack. Used by config, codecs and sockets.
 * IPv6 text follows RFC 4291 §2.2 on input and RFC 5952 (compressed, lower case) on output.
 */

/** The address family of an address, route, rule, VRRP instance or socket: the one spelling in src/. */
export type Family = "ipv4" | "ipv6";
/** Address family number as the kernel spells it (AF_INET = 2, AF_INET6 = 10). */
export type AddressFamilyNumber = 2 | 10;
/** AF_INET. */
export const AF_INET = 2 as const;
/** AF_INET6. */
export const AF_INET6 = 10 as const;

/** The kernel's number for a family (sockets, netlink). */
export function afNumber(f: Family): AddressFamilyNumber {
  return f === "ipv6" ? AF_INET6 : AF_INET;
}

/** The family of the kernel's number. */
export function familyOfAf(af: number): Family {
  return af === AF_INET6 ? "ipv6" : "ipv4";
}

/** VRRP's IPv4 multicast group (RFC 5798 §5.1.1.2; also RFC 3768 §5.2.2). */
export const VRRP_MCAST_V4 = "224.0.0.18";
/** VRRP's IPv6 multicast group (RFC 5798 §5.1.2.2). */
export const VRRP_MCAST_V6 = "ff02::12";
/** All-nodes link-local multicast group (RFC 4291 §2.7.1), destination of unsolicited Neighbor Advertisements. */
export const ALL_NODES_V6 = "ff02::1";

/** Parses dotted-quad IPv4 text into 4 bytes, or undefined when it is not one. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses IPv6 text (with `::` and an optional trailing dotted quad) into 16 bytes, or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  const pct = text.indexOf("%");
  const s = pct >= 0 ? text.slice(0, pct) : text;
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** An address with its family. */
export interface IpAddress {
  family: Family;
  bytes: Uint8Array;
}

/** Parses either family. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { family: "ipv4", bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) return { family: "ipv6", bytes: v6 };
  return undefined;
}

/** Formats 4 or 16 bytes as text. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new RangeError(`address of ${bytes.length} bytes is neither IPv4 nor IPv6`);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // Longest run of zero groups (length >= 2) becomes "::" (RFC 5952 §4.2).
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** True when both byte strings are the same address. */
export function sameIp(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares two addresses of the same family as unsigned big-endian integers (-1, 0, 1). */
export function compareIp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** Formats a 6-byte MAC as aa:bb:cc:dd:ee:ff. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Parses aa:bb:cc:dd:ee:ff. */
export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(text);
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1), (h) => parseInt(h, 16));
}
