/**
 * IPv6 address text <-> bytes (RFC 4291 §2.2, canonical output per RFC 5952 §4) and the IPv6
 * upper-layer pseudo-header (RFC 8200 §8.1) used by the VRRPv3 (RFC 5798 §5.2.8) and ICMPv6
 * (RFC 4443 §2.3) checksums. We never see an IPv6 header on receive: hop limit and addresses come
 * from recvmsg ancillary data, so there is no header codec here. Pure; never throws on wire input.
 */

/** VRRP IPv6 multicast group ff02::12 (RFC 5798 §5.1.2.2). */
export const VRRP_MCAST_V6 = "ff02::12";
/** All-nodes link-local multicast group, destination of unsolicited Neighbor Advertisements. */
export const ALL_NODES_V6 = "ff02::1";

/** Parses IPv6 text (with optional embedded IPv4 tail) into 16 bytes, or undefined when malformed. */
export function ipv6ToBytes(addr: string): Uint8Array | undefined {
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const groups = s.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(g);
        if (!m) return undefined;
        const o = m.slice(1).map(Number);
        if (o.some((x) => x > 255)) return undefined;
        out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const b = new Uint8Array(16);
  all.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 0xff;
  });
  return b;
}

/** Like ipv6ToBytes but throws on a malformed address (for encoders fed by validated config). */
export function ipv6Bytes(addr: string): Uint8Array {
  const b = ipv6ToBytes(addr);
  if (!b) throw new Error(`invalid IPv6 address "${addr}"`);
  return b;
}

/** Formats 16 bytes at `offset` as RFC 5952 canonical text (lower case, longest zero run as "::"). */
export function bytesToIpv6(b: Uint8Array, offset = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[offset + 2 * i]! << 8) | b[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

/** The 40-byte IPv6 pseudo-header: src, dst, 32-bit upper-layer length, 3 zero bytes, next header. */
export function ipv6PseudoHeader(src: string, dst: string, nextHeader: number, length: number): Uint8Array {
  const b = new Uint8Array(40);
  b.set(ipv6Bytes(src), 0);
  b.set(ipv6Bytes(dst), 16);
  new DataView(b.buffer).setUint32(32, length);
  b[39] = nextHeader;
  return b;
}
