/** Abort and deadline handling of the stream and datagram checkers, against silent peers on loopback. */
import { afterAll, describe, expect, test } from "bun:test";
import { makeDnsCheck } from "../../../src/check/checkers/dns.ts";
import { makeHttpCheck } from "../../../src/check/checkers/http.ts";
import { makeUdpCheck } from "../../../src/check/checkers/udp.ts";

const silentTcp = Bun.listen({ hostname: "127.0.0.1", port: 18901, socket: { data() {} } });
const silentUdp = await Bun.udpSocket({ hostname: "127.0.0.1", port: 18902 });
afterAll(() => {
  silentTcp.stop(true);
  silentUdp.close();
});

describe("abort", () => {
  test("an HTTP attempt waiting for the response stops on abort", async () => {
    const ac = new AbortController();
    const run = makeHttpCheck({
      endpoint: { address: "127.0.0.1", port: 18901 },
      connectTimeoutMs: 30000,
      urls: [{ path: "/" }],
    });
    const p = run(ac.signal);
    setTimeout(() => ac.abort(), 50);
    expect(await p).toEqual({ ok: false, reason: "url /: http: waiting for the response: aborted" });
  });

  test("a DNS attempt stops on abort; an already aborted signal ends at once", async () => {
    const ac = new AbortController();
    const p = makeDnsCheck({ endpoint: { address: "127.0.0.1", port: 18902 }, connectTimeoutMs: 30000 })(
      ac.signal,
    );
    setTimeout(() => ac.abort(), 50);
    expect(await p).toEqual({ ok: false, reason: "dns: aborted" });
    const done = new AbortController();
    done.abort();
    const udp = makeUdpCheck({ endpoint: { address: "127.0.0.1", port: 18902 }, connectTimeoutMs: 30000 });
    expect(await udp(done.signal)).toEqual({ ok: false, reason: "udp: aborted" });
  });
});

describe("deadline", () => {
  test("UDP_CHECK without require_reply passes when no ICMP error comes back", async () => {
    const r = await makeUdpCheck({ endpoint: { address: "127.0.0.1", port: 18902 }, connectTimeoutMs: 200 })(
      new AbortController().signal,
    );
    expect(r).toEqual({ ok: true, reason: "udp: no ICMP error within 200ms" });
  });
  test("DNS_CHECK names the missing reply", async () => {
    const r = await makeDnsCheck({ endpoint: { address: "127.0.0.1", port: 18902 }, connectTimeoutMs: 200 })(
      new AbortController().signal,
    );
    expect(r).toEqual({ ok: false, reason: "dns: no reply within 200ms" });
  });
});
