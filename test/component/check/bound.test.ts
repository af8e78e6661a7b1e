/**
 * bind_if and fwmark: the socket is opened through libc with SO_BINDTODEVICE / SO_MARK, connected
 * (TCP: without blocking, polled) and adopted by Bun.connect({ fd }) or Bun.udpSocket({ fd }). Loopback only.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { makeHttpCheck } from "../../../src/check/checkers/http.ts";
import { makeTcpCheck } from "../../../src/check/checkers/tcp.ts";
import { makeUdpCheck } from "../../../src/check/checkers/udp.ts";
import { makeCert, tempDir } from "../../support/check/servers.ts";

const dir = tempDir("kcr-bound");
const certs = await makeCert(dir, "kcr.example");
const reply = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
const plain = Bun.listen({
  hostname: "127.0.0.1",
  port: 19901,
  socket: {
    data(s) {
      s.end(reply);
    },
  },
});
const tls = Bun.listen({
  hostname: "127.0.0.1",
  port: 19903,
  tls: { cert: Bun.file(certs.cert), key: Bun.file(certs.key) },
  socket: {
    data(s) {
      s.end(reply);
    },
  },
});
const echo = await Bun.udpSocket({
  hostname: "127.0.0.1",
  port: 19911,
  socket: {
    data(s, d, port, addr) {
      s.send(d, port, addr);
    },
  },
});
afterAll(() => {
  echo.close();
  plain.stop(true);
  tls.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
const sig = () => new AbortController().signal;

describe("bind_if / fwmark through an adopted fd", () => {
  test("TCP_CHECK connects with SO_MARK and SO_BINDTODEVICE; refused and bad interface fail", async () => {
    const ep = { address: "127.0.0.1", port: 19901, fwmark: 7, bindIf: "lo" };
    expect(await makeTcpCheck({ endpoint: ep, connectTimeoutMs: 2000 })(sig())).toEqual({
      ok: true,
      reason: "connected",
    });
    expect(await makeTcpCheck({ endpoint: { ...ep, port: 19902 }, connectTimeoutMs: 2000 })(sig()))
      .toEqual({ ok: false, reason: "connect: ECONNREFUSED" });
    const r = await makeTcpCheck({ endpoint: { ...ep, bindIf: "kcrnone0" }, connectTimeoutMs: 2000 })(sig());
    expect(r.ok).toBe(false);
    expect(r.reason).toContain("ENODEV");
  });

  test("HTTP_GET and SSL_GET run over the adopted socket, with bindto", async () => {
    const ep = { address: "127.0.0.1", port: 19901, fwmark: 3, bindTo: "127.0.0.1" };
    expect((await makeHttpCheck({ endpoint: ep, connectTimeoutMs: 2000, urls: [{ path: "/" }] })(sig())).ok)
      .toBe(true);
    const s = await makeHttpCheck({
      endpoint: { ...ep, port: 19903 },
      connectTimeoutMs: 2000,
      urls: [{ path: "/" }],
      ssl: true,
    })(sig());
    expect(s).toMatchObject({ ok: true });
  });

  test("a connect that never completes ends at the deadline and can be aborted", async () => {
    // 192.0.2.0/24 is not routed through lo: with SO_BINDTODEVICE lo the SYN goes nowhere
    const ac = new AbortController();
    const p = makeTcpCheck({
      endpoint: { address: "192.0.2.77", port: 80, bindIf: "lo" },
      connectTimeoutMs: 10_000,
    })(ac.signal);
    setTimeout(() => ac.abort(), 100);
    expect(await p).toEqual({ ok: false, reason: "connect: aborted" });
    const t = await makeTcpCheck({
      endpoint: { address: "192.0.2.77", port: 80, bindIf: "lo" },
      connectTimeoutMs: 300,
    })(sig());
    expect(t).toEqual({ ok: false, reason: "connect: timeout after 300ms" });
  });

  test("UDP_CHECK over an adopted, connected UDP socket: reply and ICMP port unreachable", async () => {
    const payload = new TextEncoder().encode("kcr");
    const ep = { address: "127.0.0.1", port: 19911, fwmark: 5, bindIf: "lo" };
    expect(await makeUdpCheck({ endpoint: ep, connectTimeoutMs: 2000, payload, requireReply: true })(sig()))
      .toMatchObject({ ok: true });
    const r = await makeUdpCheck({ endpoint: { ...ep, port: 19912 }, connectTimeoutMs: 2000, payload })(
      sig(),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toContain("ECONNREFUSED");
  });
});
