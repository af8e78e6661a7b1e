/**
 * A bounded flood of raw IPv4 datagrams from inside a namespace, for the receive-path tests:
 * `bun test/support/raw-flood.ts PROTO DST IFNAME SIZE PPS SECONDS HEX` sends HEX padded with zeros to
 * SIZE bytes, PPS a second for SECONDS, paced in 5 ms slices; prints how many it sent.
 */
import { IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IP_TTL, IPPROTO_IP, SOCK_RAW, Socket } from "../../src/ffi/socket.ts";
import { sockaddrIn } from "../../src/ffi/sockaddr.ts";
import { parseIPv4 } from "../../src/core/inet.ts";

const [proto, dst, ifname, size, pps, seconds, hex] = process.argv.slice(2);
const s = new Socket(2, SOCK_RAW, Number(proto));
s.bindToDevice(ifname!);
s.setInt(IPPROTO_IP, IP_TTL, 255);
s.setInt(IPPROTO_IP, IP_MULTICAST_TTL, 255);
s.setInt(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
const data = new Uint8Array(Number(size));
data.set(Buffer.from(hex!, "hex"));
const to = sockaddrIn(parseIPv4(dst!)!);
const rate = Number(pps) / 1000;
const start = performance.now(), end = start + Number(seconds) * 1000;
let sent = 0, failed = 0;
for (let now = start; now < end; now = performance.now()) {
  for (const due = Math.floor((now - start) * rate); sent + failed < due;) {
    try {
      s.sendTo(data, to);
      sent++;
    } catch {
      failed++; // ENOBUFS when the device queue is full: counted, not fatal
    }
  }
  await Bun.sleep(5);
}
s.close();
console.log(JSON.stringify({ sent, failed }));
