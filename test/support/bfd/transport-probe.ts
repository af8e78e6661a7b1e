/**
 * Test tool for test/netns/bfd-transport.test.ts, run inside a namespace: opens our UDP transport with a
 * single-hop IPv4, a multihop IPv4 and a single-hop IPv6 path, sends datagrams to it with inject.ts from
 * several source addresses and TTLs, and prints one JSON line per received datagram (length + arrival).
 */
import { UdpTransport } from "../../../src/bfd/transport.ts";
import { nullLogger } from "../../../src/core/log.ts";

const got: unknown[] = [];
const t = new UdpTransport((d) => got.push({ len: d.data.length, ...d.arrival }), nullLogger);
const senders = [
  t.open({ peer: "127.0.0.9", local: "127.0.0.1", multihop: false, ttl: 255 }),
  t.open({ peer: "127.0.0.9", local: "127.0.0.1", multihop: true, ttl: 255 }),
  t.open({ peer: "::1", local: "::1", multihop: false, ttl: 255 }),
];
const tool = new URL("./inject.ts", import.meta.url).pathname;
const send = (from: string, to: string, port: number, ttl: number, hex: string) => {
  const p = Bun.spawnSync([process.execPath, tool, from, to, String(port), String(ttl), hex]);
  if (p.exitCode !== 0) throw new Error(`inject failed: ${p.stderr}`);
};
send("127.0.0.2", "127.0.0.1", 3784, 200, "20c003");
send("127.0.0.3", "127.0.0.1", 3784, 254, "20c00300");
send("127.0.0.4", "127.0.0.1", 4784, 250, "20c0030000");
send("::1", "::1", 3784, 77, "20c003000000");
send("127.0.0.5", "127.0.0.1", 3784, 255, "20c00300000000");
const deadline = performance.now() + 3000;
while (got.length < 5 && performance.now() < deadline) await Bun.sleep(10);
for (const g of got) console.log(JSON.stringify(g));
for (const s of senders) s.close();
t.close();
process.exit(0);
