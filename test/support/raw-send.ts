/**
 * Sends raw IPv4 datagrams of one protocol from inside a namespace, for tests that inject malformed
 * packets: `bun test/support/raw-send.ts PROTO DST TTL IFNAME HEX [HEX…]`.
 */
import { IP_MULTICAST_TTL, IP_TTL, IPPROTO_IP, SOCK_RAW, Socket } from "../../src/ffi/socket.ts";
import { sockaddrIn } from "../../src/ffi/sockaddr.ts";
import { parseIPv4 } from "../../src/core/inet.ts";

const [proto, dst, ttl, ifname, ...hex] = process.argv.slice(2);
const s = new Socket(2, SOCK_RAW, Number(proto));
s.bindToDevice(ifname!);
s.setInt(IPPROTO_IP, IP_TTL, Number(ttl));
s.setInt(IPPROTO_IP, IP_MULTICAST_TTL, Number(ttl));
for (const h of hex) s.sendTo(Uint8Array.from(Buffer.from(h, "hex")), sockaddrIn(parseIPv4(dst!)!));
s.close();
