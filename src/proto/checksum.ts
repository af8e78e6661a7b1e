/**
 * Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of 16-bit words.
 * Used by the IPv4 header (RFC 791 §3.1), VRRP (RFC 3768 §5.3.9, RFC 5798 §5.2.8) and ICMPv6
 * (RFC 4443 §2.3). Pure functions over byte arrays; never throw.
 */

/** One's complement sum of `data` folded to 16 bits, added to `initial` (a partial sum, not complemented). */
export function onesSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length & 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1071 checksum of the concatenation of `parts` (each part must be of even length except the last). */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) sum = onesSum(p, sum);
  return ~sum & 0xffff;
}
