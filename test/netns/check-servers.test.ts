/**
 * Checkers against real servers in network namespaces (prefix kck-): nginx over HTTP and
 * HTTPS, OpenSMTPD, dnsmasq, socat UDP echo, a misbehaving Bun HTTP server, and the same
 * servers stopped. The checker runs in the client namespace through run-check.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkIn,
  makeCert,
  makeNetPair,
  type NetPair,
  startBadHttp,
  startDnsmasq,
  type Started,
  startNginx,
  startSmtpd,
  startUdpEcho,
  tempDir,
} from "../support/check/servers.ts";

const HTTP = 18080;
const HTTPS = 18443;
const BAD = 18081;
const SMTP = 18025;
const DNS = 18053;
const ECHO = 18054;
const CLOSED = 18099;

let net: NetPair;
let dir: string;
let certs: { cert: string; key: string };
let otherCert: { cert: string; key: string };
const servers: Started[] = [];
const page = "<html><body>kck test page: Service OK</body></html>\n";
const md5 = (s: string | Uint8Array): string => new Bun.CryptoHasher("md5").update(s).digest("hex");

beforeAll(async () => {
  net = await makeNetPair("n");
  dir = tempDir("netns");
  certs = await makeCert(dir, "kck.example");
  otherCert = await makeCert(dir, "other.example");
  const started = await Promise.all([
    startNginx(net.server, dir, net.serverIp, HTTP, HTTPS, certs),
    startSmtpd(net.server, dir, net.serverIp, SMTP),
    startDnsmasq(net.server, dir, net.serverIp, DNS, "kck.example", "192.0.2.80"),
    startUdpEcho(net.server, net.serverIp, ECHO),
    startBadHttp(net.server, net.serverIp, BAD),
  ]);
  servers.push(...started);
  writeFileSync(join(dir, "www", "index.html"), page);
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await net?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ep = (port: number) => ({ address: "192.0.2.2", port });
const http = (port: number, urls: object[], extra: object = {}) => checkIn(net.client, "http", { endpoint: ep(port), connectTimeoutMs: 2000, urls, ...extra });

describe("TCP_CHECK", () => {
  test("passes against nginx, fails refused and unreachable", async () => {
    expect(await checkIn(net.client, "tcp", { endpoint: ep(HTTP), connectTimeoutMs: 2000 })).toMatchObject({
      ok: true,
    });
    expect(await checkIn(net.client, "tcp", { endpoint: ep(CLOSED), connectTimeoutMs: 2000 })).toMatchObject({
      ok: false,
      reason: "connect: ECONNREFUSED",
    });
    const r = await checkIn(net.client, "tcp", {
      endpoint: { address: "192.0.2.77", port: HTTP },
      connectTimeoutMs: 500,
    });
    expect(r).toMatchObject({ ok: false, reason: "connect: timeout after 500ms" });
  });
  test("IPv6 and bindto", async () => {
    expect(
      await checkIn(net.client, "tcp", {
        endpoint: { address: "2001:db8:5::2", port: HTTP },
        connectTimeoutMs: 2000,
      }),
    )
      .toMatchObject({ ok: false, reason: "connect: ECONNREFUSED" }); // nginx listens on IPv4 only
    expect(
      await checkIn(net.client, "tcp", {
        endpoint: { ...ep(HTTP), bindTo: "192.0.2.1", bindPort: 18777 },
        connectTimeoutMs: 2000,
      }),
    )
      .toMatchObject({ ok: true });
  });
});

describe("HTTP_GET against nginx", () => {
  test("digest, status, regex and virtualhost pass", async () => {
    const r = await http(HTTP, [{ path: "/index.html", digest: md5(page), regex: "Service OK" }], {
      virtualhost: "kck.example",
    });
    expect(r).toMatchObject({ ok: true });
    expect(
      await http(HTTP, [{ path: "/index.html" }, { path: "/status500", statusCodes: [[500, 500]] }], {
        httpProtocol: "1.1",
      }),
    )
      .toMatchObject({ ok: true });
  });
  test("each failing step is named", async () => {
    expect((await http(HTTP, [{ path: "/index.html", digest: "0".repeat(32) }])).reason).toBe(
      `url /index.html: digest mismatch: got ${md5(page)} want ${"0".repeat(32)}`,
    );
    expect((await http(HTTP, [{ path: "/status500" }])).reason).toBe(
      "url /status500: http: status 500 not in 200-299",
    );
    expect((await http(HTTP, [{ path: "/index.html" }, { path: "/nope" }])).reason).toBe(
      "url /nope: http: status 404 not in 200-299",
    );
    expect((await http(HTTP, [{ path: "/index.html", regex: "Service OK", regexNoMatch: true }])).reason)
      .toStartWith(
        "url /index.html: http: regex Service OK matched",
      );
    expect((await http(CLOSED, [{ path: "/" }])).reason).toBe("url /: connect: ECONNREFUSED");
  });
});

describe("SSL_GET against nginx", () => {
  test("passes with and without SNI and with the right CA", async () => {
    expect(await http(HTTPS, [{ path: "/index.html", digest: md5(page) }], { ssl: true })).toMatchObject({
      ok: true,
    });
    expect(
      await http(HTTPS, [{ path: "/index.html" }], {
        ssl: true,
        enableSni: true,
        virtualhost: "kck.example",
        sslFiles: { ca: certs.cert },
      }),
    )
      .toMatchObject({ ok: true });
  });
  test("fails on an untrusted certificate and on a plain HTTP port", async () => {
    const r = await http(HTTPS, [{ path: "/" }], {
      ssl: true,
      sniName: "kck.example",
      sslFiles: { ca: otherCert.cert },
    });
    expect(r.reason).toStartWith("url /: tls: certificate not trusted");
    const p = await http(HTTP, [{ path: "/" }], { ssl: true });
    expect(p.ok).toBe(false);
    expect(p.reason).toStartWith("url /: tls: handshake");
    const m = await http(HTTPS, [{ path: "/" }], { ssl: true, sslFiles: { ca: "/nonexistent/ca.pem" } });
    expect(m.reason).toStartWith("url /: tls: cannot read ca file /nonexistent/ca.pem");
  });
});

describe("HTTP_GET against a misbehaving server", () => {
  test("healthy paths of the test server pass (chunked included)", async () => {
    expect(await http(BAD, [{ path: "/ok", digest: md5("hello world") }])).toMatchObject({ ok: true });
    const raw = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"; // keepalived hashes the body as it came on the wire
    expect(await http(BAD, [{ path: "/chunked", digest: md5(raw), regex: "hello" }], { httpProtocol: "1.1" }))
      .toMatchObject({ ok: true });
  });
  test("garbage, reset, stall and endless headers fail with their reason", async () => {
    expect((await http(BAD, [{ path: "/garbage" }])).reason).toStartWith(
      "url /garbage: http: bad status line",
    );
    expect((await http(BAD, [{ path: "/reset" }])).reason).toMatch(
      /^url \/reset: http: reading body \(3 bytes so far\): ECONNRESET/,
    );
    const stall = await http(BAD, [{ path: "/stall" }], { connectTimeoutMs: 700 });
    expect(stall.reason).toBe("url /stall: http: reading body (4 bytes so far): timeout after 700ms");
    expect((await http(BAD, [{ path: "/longhead" }])).reason).toBe(
      "url /longhead: http: header section exceeds 16384 bytes",
    );
  });
  test("10 MiB bodies are hashed as they stream", async () => {
    const tenMiB = new Uint8Array(10 * 1024 * 1024).fill(0x61);
    expect(
      await http(BAD, [{ path: "/big", digest: md5(tenMiB), regex: "^a+$", regexOptions: [] }], {
        connectTimeoutMs: 10000,
      }),
    )
      .toMatchObject({ ok: true });
    const r = await http(BAD, [{ path: "/bigchunked", digest: md5(tenMiB) }], {
      connectTimeoutMs: 10000,
      httpProtocol: "1.1",
    });
    expect(r.reason).toStartWith("url /bigchunked: digest mismatch"); // framing is part of the hashed bytes
  });
});

describe("SMTP_CHECK against OpenSMTPD", () => {
  test("passes with HELO, fails on a silent or closed port", async () => {
    expect(
      await checkIn(net.client, "smtp", {
        endpoint: ep(SMTP),
        connectTimeoutMs: 3000,
        heloName: "kck.example",
      }),
    )
      .toMatchObject({ ok: true, reason: "smtp: 250 to HELO" });
    expect(await checkIn(net.client, "smtp", { endpoint: ep(HTTP), connectTimeoutMs: 500 })).toMatchObject({
      ok: false,
      reason: "smtp: greeting: timeout after 500ms",
    });
    expect((await checkIn(net.client, "smtp", { endpoint: ep(CLOSED), connectTimeoutMs: 500 })).reason).toBe(
      "connect: ECONNREFUSED",
    );
  });
});

describe("DNS_CHECK against dnsmasq", () => {
  test("passes for a known name, fails on NXDOMAIN, ICMP unreachable and a non-DNS echo", async () => {
    const dns = (port: number, o: object) => checkIn(net.client, "dns", { endpoint: ep(port), connectTimeoutMs: 1500, ...o });
    expect(await dns(DNS, { type: "A", name: "kck.example" })).toMatchObject({ ok: true });
    expect(await dns(DNS, { type: "A", name: "host.nx.kck.example" })).toMatchObject({
      ok: false,
      reason: "dns: RCODE NXDOMAIN",
    });
    expect(await dns(CLOSED, { type: "A", name: "kck.example" })).toMatchObject({
      ok: false,
      reason: "dns: ECONNREFUSED (ICMP port unreachable)",
    });
    // An echo sends our query back, QR clear: passed over as keepalived's check_dns.c does, so the attempt
    // ends at connect_timeout.
    expect(await dns(ECHO, {})).toMatchObject({
      ok: false,
      reason: "dns: no reply within 1500ms (ignored 1 datagram(s), the last: QR bit clear, not a response)",
    });
  });
});

describe("UDP_CHECK against socat echo", () => {
  const udp = (port: number, o: object) => checkIn(net.client, "udp", { endpoint: ep(port), connectTimeoutMs: 700, ...o });
  test("reply required and matched, with wildcards", async () => {
    expect(await udp(ECHO, { payloadHex: "6b636b 01 02", requireReplyHex: "6b6x6b" })).toMatchObject({
      ok: true,
    });
    expect(await udp(ECHO, { payloadHex: "ff", requireReplyHex: true })).toMatchObject({ ok: true });
  });
  test("mismatch, length bounds, ICMP unreachable and silence", async () => {
    expect((await udp(ECHO, { payloadHex: "00 01", requireReplyHex: "00 02" })).reason).toBe(
      "udp: reply byte 1 is 0x01, does not match require_reply",
    );
    expect((await udp(ECHO, { payloadHex: "00 01 02", requireReplyHex: true, maxReplyLength: 2 })).reason)
      .toBe(
        "udp: reply length 3 outside 0-2",
      );
    expect(await udp(CLOSED, {})).toMatchObject({
      ok: false,
      reason: "udp: ECONNREFUSED (ICMP port unreachable)",
    });
    expect(await udp(DNS, { payloadHex: "00", requireReplyHex: true })).toMatchObject({
      ok: false,
      reason: "udp: no reply within 700ms",
    });
  });
});

describe("stopped servers", () => {
  test("every checker fails once its server is gone", async () => {
    for (const s of servers) await s.stop();
    expect((await http(HTTP, [{ path: "/" }])).reason).toBe("url /: connect: ECONNREFUSED");
    expect((await checkIn(net.client, "smtp", { endpoint: ep(SMTP), connectTimeoutMs: 500 })).reason).toBe(
      "connect: ECONNREFUSED",
    );
    expect((await checkIn(net.client, "dns", { endpoint: ep(DNS), connectTimeoutMs: 500 })).reason).toBe(
      "dns: ECONNREFUSED (ICMP port unreachable)",
    );
    expect((await checkIn(net.client, "udp", { endpoint: ep(ECHO), connectTimeoutMs: 500 })).ok).toBe(false);
  });
});
