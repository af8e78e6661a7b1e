/**
 * Test tool: a raw UDP sender for BFD packets, run inside a namespace (`ip netns exec NS bun inject.ts`):
 *   bun test/support/bfd/inject.ts FROM_IP TO_IP PORT TTL HEX [HEX...]
 * Sends each hex payload once from FROM_IP (a source port in 49152–65535) to TO_IP:PORT with the given
 * TTL / Hop Limit, 20 ms apart, and exits 0.
 */
import { afNumber, parseIp } from "../../../src/core/inet.ts";
import { sockaddrIp } from "../../../src/ffi/sockaddr.ts";
import { SeededRandom } from "../random.ts";
import { IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_UNICAST_HOPS, SOCK_DGRAM, Socket } from "../../../src/ffi/socket.ts";

/** Hex text to bytes. */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
}

/** Bytes to hex text. */
export function toHex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

if (import.meta.main) {
  const [from, to, port, ttl, ...payloads] = process.argv.slice(2);
  const src = parseIp(from ?? ""), dst = parseIp(to ?? "");
  if (!src || !dst || !port || !ttl) throw new Error("usage: inject.ts FROM_IP TO_IP PORT TTL HEX...");
  const s = new Socket(afNumber(dst.family), SOCK_DGRAM, 0);
  if (dst.family === "ipv4") s.setInt(IPPROTO_IP, IP_TTL, Number(ttl));
  else s.setInt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, Number(ttl));
  s.bind(sockaddrIp(src.bytes, new SeededRandom(process.pid).int(49152, 65152)));
  for (const hex of payloads) {
    s.sendTo(fromHex(hex === "-" ? "" : hex), sockaddrIp(dst.bytes, Number(port)));
    await Bun.sleep(20);
  }
  s.close();
}
