/**
 * DNS_CHECK against a local UDP responder, judged as keepalived 2.2.7's check_dns.c judges replies: a
 * datagram with another id or QR clear is passed over and the attempt waits for the next one; with
 * nothing better before connect_timeout it ends "no reply", which keepalived words "read timeout from socket".
 */
import { afterEach, describe, expect, test } from "bun:test";
import { makeDnsCheck } from "../../../src/check/checkers/dns.ts";
import { failureSentence } from "../../../src/check/sentences.ts";

type Reply = (query: Uint8Array) => Uint8Array[];
let server: { close(): void } | undefined;
afterEach(() => server?.close());

/** A responder on 127.0.0.1:port answering each query with `reply(query)`'s datagrams, in order. */
async function responder(port: number, reply: Reply): Promise<void> {
  const s = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port,
    binaryType: "uint8array",
    socket: {
      data(sock, data, rport, raddr) {
        for (const d of reply(data)) sock.send(d, rport, raddr);
      },
    },
  });
  server = s;
}

/** The query turned into a reply: QR set, the given RCODE, the id changed by `idDelta`. */
function answer(q: Uint8Array, rcode = 0, idDelta = 0, qr = true): Uint8Array {
  const b = q.slice();
  const v = new DataView(b.buffer);
  v.setUint16(0, (v.getUint16(0) + idDelta) & 0xffff);
  v.setUint16(2, (qr ? 0x8180 : 0x0100) | rcode);
  return b;
}

const check = (port: number) => makeDnsCheck({ endpoint: { address: "127.0.0.1", port }, connectTimeoutMs: 400, name: "example.com" });
const dns = { kind: "DNS", service: "[127.0.0.1]:udp:53" };

describe("DNS_CHECK replies", () => {
  test("a reply with another id and one with QR clear are passed over; the good one after them passes", async () => {
    await responder(41401, (q) => [answer(q, 0, 1), answer(q, 0, 0, false), answer(q)]);
    const r = await check(41401)(new AbortController().signal);
    expect(r).toEqual({ ok: true, reason: "dns: NOERROR, 0 answer(s)" });
  });

  test("only replies with another id: the attempt ends at connect_timeout, keepalived's read timeout", async () => {
    await responder(41402, (q) => [answer(q, 0, 1), answer(q, 0, 2)]);
    const r = await check(41402)(new AbortController().signal);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^dns: no reply within 400ms \(ignored 2 datagram\(s\), the last: reply id \d+ does not match query id \d+\)$/);
    expect(failureSentence(dns, 0, r.reason)).toBe("DNS_CHECK ([127.0.0.1]:udp:53) read timeout from socket");
  });

  test("the first reply with our id decides: its RCODE fails the attempt even if a good one follows", async () => {
    await responder(41403, (q) => [answer(q, 2), answer(q)]);
    const r = await check(41403)(new AbortController().signal);
    expect(r).toEqual({ ok: false, reason: "dns: RCODE SERVFAIL" });
    expect(failureSentence(dns, 3, r.reason)).toBe("DNS_CHECK ([127.0.0.1]:udp:53) read error occurred. (rcode = 2) after 3 retries");
  });
});
