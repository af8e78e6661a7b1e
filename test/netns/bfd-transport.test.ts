/**
 * The BFD UDP transport (RFC 5881 §4-5, RFC 5883 §5) in a namespace: every datagram is reported with its
 * own source address, destination address, TTL / Hop Limit and port kind (single hop 3784 / multihop 4784),
 * IPv4 and IPv6. Namespace prefix kbr-t.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Netns } from "../support/netns.ts";

let ns: Netns;
beforeAll(() => {
  ns = new Netns("kbr-t");
});
afterAll(async () => {
  await ns?.destroy();
});

test("each datagram carries its own source, destination, TTL and port kind", () => {
  const out = ns.exec([process.execPath, join(import.meta.dir, "../support/bfd/transport-probe.ts")]);
  const got = out.trim().split("\n").map((l) => JSON.parse(l)).sort((x, y) => x.len - y.len); // listeners drain independently
  expect(got).toEqual([
    { len: 3, peer: "127.0.0.2", local: "127.0.0.1", multihop: false, ttl: 200 },
    { len: 4, peer: "127.0.0.3", local: "127.0.0.1", multihop: false, ttl: 254 },
    { len: 5, peer: "127.0.0.4", local: "127.0.0.1", multihop: true, ttl: 250 },
    { len: 6, peer: "::1", local: "::1", multihop: false, ttl: 77 },
    { len: 7, peer: "127.0.0.5", local: "127.0.0.1", multihop: false, ttl: 255 },
  ]);
}, 30_000);
