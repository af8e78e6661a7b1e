/** Tests for LVS / checker keywords and validation (src/config/kw-check.ts, kw-checkers.ts, validate-check.ts). */
import { describe, expect, test } from "bun:test";
import { parseHexString } from "../../../src/config/kw-checkers.ts";
import { diagLines, loadText } from "../../support/config/helpers.ts";

const FULL = " protocol TCP\n lvs_sched wlc\n lvs_method NAT\n";
const RS = " real_server 192.0.2.1 80 {\n }";
/** A virtual_server block; `bare` leaves out protocol, scheduler and method (keepalived warns about each). */
const vs = (body: string, head = "192.0.2.100 80", bare = false): string => `virtual_server ${head} {\n${bare ? "" : FULL}${body}\n}\n`;

describe("virtual_server", () => {
  test("defaults: wlc, NAT, TCP, quorum 1, delay_loop 60 s; leaving out protocol, scheduler or method is reported", () => {
    const r = loadText(vs(" real_server 192.0.2.1 80 {\n  TCP_CHECK {\n  }\n }", undefined, true));
    expect(diagLines(r)).toEqual([
      "1: warning: virtual_server 192.0.2.100:80: no protocol given; using TCP",
      "1: warning: virtual_server 192.0.2.100:80: no lvs_sched given; using wlc",
      "1: warning: virtual_server 192.0.2.100:80: no lvs_method given; using NAT",
    ]);
    expect(r.exitCode).toBe(5);
    const v = r.config.check.virtualServers[0]!;
    expect(v).toMatchObject({
      kind: "address",
      address: "192.0.2.100",
      port: 80,
      protocol: "TCP",
      scheduler: "wlc",
      quorum: 1,
      hysteresis: 0,
      delayLoopMs: 60000,
      family: "ipv4",
    });
    expect(v.forward.method).toBe("NAT");
    expect(v.realServers[0]).toMatchObject({ address: "192.0.2.1", port: 80, weight: 1 });
    expect(v.realServers[0]!.checkers[0]).toMatchObject({
      type: "TCP_CHECK",
      connectTimeoutMs: 5000,
      retry: 1,
      delayBeforeRetryMs: 1000,
      delayLoopMs: 60000,
      warmupMs: 60000,
    });
  });
  test("timing inherits checker <- real_server <- virtual_server", () => {
    const r = loadText(
      vs(
        ' delay_loop 6\n connect_timeout 2\n real_server 192.0.2.1 80 {\n  retry 4\n  MISC_CHECK {\n   misc_path "/bin/check x"\n   delay_before_retry 0.5\n  }\n  DNS_CHECK {\n  }\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n }',
      ),
    );
    const [misc, dns, http] = r.config.check.virtualServers[0]!.realServers[0]!.checkers;
    expect(misc).toMatchObject({
      type: "MISC_CHECK",
      delayLoopMs: 6000,
      connectTimeoutMs: 2000,
      retry: 4,
      delayBeforeRetryMs: 500,
    });
    expect(dns).toMatchObject({ type: "DNS_CHECK", queryType: "SOA", name: ".", retry: 4 });
    expect(http).toMatchObject({ type: "HTTP_GET", delayBeforeRetryMs: 3000 });
  });
  test("per-type retry defaults: DNS 3, MISC 0", () => {
    const r = loadText(
      vs(
        " real_server 192.0.2.1 53 {\n  DNS_CHECK {\n   type a\n   name example.org\n  }\n  MISC_CHECK {\n   misc_path /bin/true\n  }\n }",
      ),
    );
    const [dns, misc] = r.config.check.virtualServers[0]!.realServers[0]!.checkers;
    expect(dns).toMatchObject({ retry: 3, queryType: "A", name: "example.org" });
    expect(misc).toMatchObject({ retry: 0 });
  });
  test("fwmark and group services; protocol on fwmark and a server without real servers are reported", () => {
    const r = loadText(
      "virtual_server_group G {\n 192.0.2.1-10 80\n 198.51.100.8/29 443\n fwmark 7 inet6\n}\n" +
        vs(RS, "fwmark 3") + vs(RS, "group G") + vs("", "group NOPE"),
    );
    const [f, g] = r.config.check.virtualServers;
    expect(f).toMatchObject({ kind: "fwmark", fwmark: 3, protocol: "TCP" });
    expect(g).toMatchObject({ kind: "group", group: "G" });
    expect(r.config.check.virtualServers).toHaveLength(2);
    expect(r.config.check.virtualServerGroups[0]!.entries).toMatchObject([
      { kind: "address", address: "192.0.2.1", lastAddress: "192.0.2.10", port: 80 },
      { kind: "address", address: "198.51.100.8", lastAddress: "198.51.100.15", port: 443 },
      { kind: "fwmark", fwmark: 7, family: "ipv6" },
    ]);
    expect(diagLines(r)).toEqual([
      "6: warning: virtual_server FWM 3: protocol is ignored for a fwmark service",
      "20: warning: virtual_server group NOPE has no real servers; ignored",
    ]);
  });
  test("lvs_method TUN, persistence, sorry server, deprecated lb_algo / lb_kind", () => {
    const r = loadText(
      vs(
        " protocol TCP\n lb_algo rr\n lb_kind DR\n persistence_timeout\n sorry_server 192.0.2.9 8080\n sorry_server_inhibit\n real_server 192.0.2.1 80 {\n  lvs_method TUN type gue port 6080 remcsum\n }",
        undefined,
        true,
      ),
    );
    const v = r.config.check.virtualServers[0]!;
    expect(v).toMatchObject({
      scheduler: "rr",
      persistenceTimeoutMs: 360000,
      sorryServer: { address: "192.0.2.9", port: 8080, inhibit: true },
    });
    expect(v.forward.method).toBe("DR");
    expect(v.realServers[0]!.forward).toEqual({
      method: "TUN",
      tunnelType: "gue",
      tunnelPort: 6080,
      tunnelChecksum: "remcsum",
    });
    expect(r.exitCode).toBe(0);
  });
  test("bad values are reported with their line", () => {
    const r = loadText(
      vs(
        " lvs_sched bogus\n quorum 0\n real_server 192.0.2.1 99999 {\n }\n real_server nothost 80 {\n  weight 1\n }",
      ),
    );
    expect(diagLines(r)).toEqual([
      "5: error: lvs_sched: unknown scheduler 'bogus'",
      "6: error: quorum: 0 is outside 1..4294967295; ignored",
      "7: error: real_server: bad port '99999'",
      "9: error: real_server: 'nothost' is not an IP address; server skipped",
    ]);
  });
});

describe("checkers", () => {
  test("HTTP_GET / SSL_GET urls, status codes, digest, SSL block", () => {
    const r = loadText(
      "SSL {\n ca /etc/ca.pem\n}\n" +
        vs(
          " real_server 192.0.2.1 443 {\n  SSL_GET {\n   url {\n    path /health\n    digest FF20AD2481F97B1754EF3E12ECD3A9CC\n    status_code 200 300-302\n   }\n   enable_sni\n   http_protocol 1.1\n  }\n }",
          "192.0.2.100 443",
        ),
    );
    const ck = r.config.check.virtualServers[0]!.realServers[0]!.checkers[0]!;
    expect(ck).toMatchObject({ type: "SSL_GET", enableSni: true, httpProtocol: "1.1" });
    if (ck.type !== "SSL_GET") throw new Error("type");
    expect(ck.urls[0]).toMatchObject({
      path: "/health",
      digest: "ff20ad2481f97b1754ef3e12ecd3a9cc",
      statusCodes: [[200, 200], [300, 302]],
    });
    expect(r.config.check.ssl).toEqual({
      password: null,
      caFile: "/etc/ca.pem",
      certificateFile: null,
      keyFile: null,
    });
  });
  test("HTTP_GET without url is removed", () => {
    const r = loadText(vs(" real_server 192.0.2.1 80 {\n  HTTP_GET {\n  }\n }"));
    expect(r.config.check.virtualServers[0]!.realServers[0]!.checkers).toHaveLength(0);
    expect(r.exitCode).toBe(5);
  });
  test("UDP_CHECK hex payload and require_reply with wildcards", () => {
    expect(parseHexString(["Ab12f", "3", "456", "546443123"], false)).toBe("ab120f0345065464431203");
    const r = loadText(
      vs(
        " real_server 192.0.2.1 53 {\n  UDP_CHECK {\n   payload 0102\n   require_reply 01xX\n   max_reply_length 64\n  }\n }",
      ),
    );
    expect(r.config.check.virtualServers[0]!.realServers[0]!.checkers[0]).toMatchObject({
      payloadHex: "0102",
      requireReply: true,
      requireReplyHex: "01xx",
      minReplyLength: 0,
      maxReplyLength: 64,
    });
  });
  test("FILE_CHECK and BFD_CHECK need their referenced blocks", () => {
    const ok = loadText(
      "track_file tf {\n file /tmp/x\n}\nbfd_instance b1 {\n neighbor_ip 192.0.2.2\n}\n" +
        vs(
          " real_server 192.0.2.1 80 {\n  FILE_CHECK {\n   track_file tf\n   weight 2 reverse\n  }\n  BFD_CHECK {\n   name b1\n  }\n }",
        ),
    );
    expect(ok.exitCode).toBe(0);
    expect(ok.config.check.virtualServers[0]!.realServers[0]!.checkers.map((c) => c.type)).toEqual([
      "FILE_CHECK",
      "BFD_CHECK",
    ]);
    const bad = loadText(vs(" real_server 192.0.2.1 80 {\n  FILE_CHECK {\n   track_file nope\n  }\n }"));
    expect(diagLines(bad)[0]).toMatch(/^8: error: FILE_CHECK track_file 'nope'/);
  });
  test("SMTP_CHECK with deprecated host{} and PING_CHECK", () => {
    const r = loadText(
      vs(
        " real_server 192.0.2.1 25 {\n  SMTP_CHECK {\n   helo_name mx\n   host {\n    connect_ip 192.0.2.7\n    connect_port 2525\n   }\n  }\n  PING_CHECK {\n  }\n }",
        "192.0.2.100 25",
      ),
    );
    const [smtp, ping] = r.config.check.virtualServers[0]!.realServers[0]!.checkers;
    expect(smtp).toMatchObject({
      type: "SMTP_CHECK",
      heloName: "mx",
      connectIp: "192.0.2.7",
      connectPort: 2525,
    });
    expect(ping).toMatchObject({ type: "PING_CHECK" });
    expect(r.exitCode).toBe(0);
  });
});

describe("bfd_instance", () => {
  test("defaults and TTL by family", () => {
    const r = loadText(
      "bfd_instance a {\n neighbor_ip 192.0.2.2\n}\nbfd_instance b {\n neighbour_ip 2001:db8::2\n min_rx 2.5\n multiplier 3\n checker\n}\n",
    );
    expect(r.config.bfd.instances[0]).toMatchObject({
      minRxMs: 10,
      minTxMs: 10,
      idleTxMs: 1000,
      multiplier: 5,
      ttl: 255,
      toVrrp: true,
      toChecker: true,
    });
    expect(r.config.bfd.instances[1]).toMatchObject({
      neighborIp: "2001:db8::2",
      minRxMs: 2.5,
      multiplier: 3,
      ttl: 64,
      toVrrp: false,
      toChecker: true,
    });
  });
  test("missing neighbor removes the instance", () => {
    const r = loadText("bfd_instance a {\n min_rx 5\n}\n");
    expect(r.config.bfd.instances).toHaveLength(0);
    expect(diagLines(r)[0]).toMatch(/^3: error: bfd_instance a has no neighbor_ip/);
  });
});
