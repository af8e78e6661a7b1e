import { describe, expect, test } from "bun:test";
import { judgeDnsReply } from "../../../src/check/checkers/dns.ts";
import { fileCheckVerdict, parseTrackFileValue } from "../../../src/check/checkers/file.ts";
import { compileUrlRegex, parseStatusCodes, regexVerdict, statusAccepted } from "../../../src/check/checkers/http-match.ts";
import { buildRequest } from "../../../src/check/checkers/http.ts";
import { judgeMisc } from "../../../src/check/checkers/misc.ts";
import { splitCommand } from "../../../src/core/command-line.ts";
import { SmtpReplyReader } from "../../../src/check/checkers/smtp.ts";
import { judgeUdpReply, parseHexString } from "../../../src/check/checkers/udp.ts";
import { encodeQuery } from "../../../src/proto/dns.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("UDP_CHECK HEX_STR", () => {
  test("the man page example", () => {
    const r = parseHexString("Ab12f 3 456 546443123");
    expect(r.ok && hex(r.value.bytes)).toBe("ab120f0345065464431203");
  });
  test("X nibbles are wildcards only in require_reply", () => {
    const r = parseHexString("1x X2", true);
    expect(r.ok && [hex(r.value.bytes), hex(r.value.mask)]).toEqual(["1002", "f00f"]);
    expect(parseHexString("1x")).toMatchObject({ ok: false });
    expect(parseHexString("zz")).toMatchObject({ ok: false });
  });
  test("reply judged over the shorter length, within length bounds", () => {
    const pat = parseHexString("de ad be ef", true);
    if (!pat.ok) throw new Error(pat.reason);
    const base = {
      endpoint: { address: "192.0.2.2", port: 1 },
      connectTimeoutMs: 1,
      requireReply: pat.value,
    } as const;
    expect(judgeUdpReply(Uint8Array.from([0xde, 0xad]), base).ok).toBe(true);
    expect(judgeUdpReply(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 1, 2]), base).ok).toBe(true);
    expect(judgeUdpReply(Uint8Array.from([0xde, 0xae]), base).reason).toBe(
      "udp: reply byte 1 is 0xae, does not match require_reply",
    );
    expect(judgeUdpReply(new Uint8Array(3), { ...base, requireReply: true, minReplyLength: 4 }).reason).toBe(
      "udp: reply length 3 outside 4-255",
    );
    expect(judgeUdpReply(new Uint8Array(300), { ...base, requireReply: true }).ok).toBe(false);
  });
});

describe("MISC_CHECK", () => {
  test("argv splitting keeps quoted spaces", () => {
    expect(splitCommand(`/bin/check.sh ' a b ' "c d" e\\ f  g`)).toEqual([
      "/bin/check.sh",
      " a b ",
      "c d",
      "e f",
      "g",
    ]);
    expect(splitCommand("  ")).toEqual([]);
    expect(splitCommand("x ''")).toEqual(["x", ""]);
  });
  test("exit status rules with and without misc_dynamic", () => {
    expect(judgeMisc({ status: 0, timedOut: false }, false, 1)).toEqual({ ok: true, reason: "misc: exit 0", status: 0 });
    expect(judgeMisc({ status: 5, timedOut: false }, false, 1)).toEqual({
      ok: false,
      reason: "misc: exit status 5",
      status: 5,
    });
    expect(judgeMisc({ status: 1, timedOut: false }, true, 1).ok).toBe(false);
    expect(judgeMisc({ status: 12, timedOut: false }, true, 1)).toEqual({
      ok: true,
      reason: "misc: exit 12",
      weight: 10,
      status: 12,
    });
    expect(judgeMisc({ status: 255, timedOut: false }, true, 1).weight).toBe(253);
    expect(judgeMisc({ signal: "SIGTERM", timedOut: true }, true, 500).reason).toBe(
      "misc: timed out after 500ms",
    );
    expect(judgeMisc({ signal: "SIGSEGV", timedOut: false }, true, 500).reason).toBe(
      "misc: killed by SIGSEGV",
    );
    expect(judgeMisc({ timedOut: false, error: "ENOENT" }, false, 1).reason).toBe("misc: cannot run: ENOENT");
  });
});

describe("HTTP_GET url rules", () => {
  test("status_code lists", () => {
    const r = parseStatusCodes(["200", "300-302", "503"]);
    expect(r).toEqual({ ok: true, value: [[200, 200], [300, 302], [503, 503]] });
    if (!r.ok) return;
    expect([200, 301, 503, 204, 500].map((c) => statusAccepted(c, r.value))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(parseStatusCodes(["299-200"]).ok).toBe(false);
    expect(parseStatusCodes(["abc"]).ok).toBe(false);
  });
  test("regex with offsets, no_match and options", () => {
    const body = "0123456789 Service OK";
    const c = (o: Parameters<typeof compileUrlRegex>[0]) => {
      const r = compileUrlRegex(o);
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    };
    expect(regexVerdict(c({ regex: "service ok", regexOptions: ["caseless"] }), body)).toBeUndefined();
    expect(regexVerdict(c({ regex: "service ok" }), body)).toBe("regex service ok did not match");
    expect(regexVerdict(c({ regex: "Service", regexMaxOffset: 5 }), body)).toBe(
      "regex Service did not match",
    );
    expect(regexVerdict(c({ regex: "Service", regexMinOffset: 11, regexMaxOffset: 11 }), body))
      .toBeUndefined();
    expect(regexVerdict(c({ regex: "0", regexMinOffset: 1 }), body)).toBe("regex 0 did not match");
    expect(regexVerdict(c({ regex: "OK$", regexNoMatch: true }), body)).toStartWith(
      "regex OK$ matched at offset 19",
    );
    expect(regexVerdict(c({ regex: "Serv ice # comment", regexOptions: ["extended"] }), body))
      .toBeUndefined();
    expect(compileUrlRegex({ regex: "a", regexOptions: ["ungreedy"] })).toMatchObject({ ok: false });
    expect(compileUrlRegex({ regex: "(" })).toMatchObject({ ok: false });
  });
  test("requests are keepalived's", () => {
    expect(buildRequest("/x", "1.0", "192.0.2.2:80")).toBe(
      "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.2:80\r\n\r\n",
    );
    expect(buildRequest("/", "1.0C", "h")).toBe(
      "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n",
    );
    expect(buildRequest("/", "1.1", "h")).toStartWith("GET / HTTP/1.1\r\n");
  });
});

describe("DNS_CHECK pass rule", () => {
  const query = (id: number, name: string, type: number): Uint8Array => {
    const q = encodeQuery({ id, name, type });
    if (!q.ok) throw new Error(q.reason);
    return q.value;
  };
  const reply = (id: number, name: string, type: number, flags = 0x8180): Uint8Array => {
    const b = query(id, name, type);
    new DataView(b.buffer).setUint16(2, flags);
    return b;
  };
  test("passes on NOERROR with our question, even without answers", () => {
    expect(judgeDnsReply(reply(7, "Example.COM", 1), 7, "example.com.", 1)).toEqual({ ok: true, reason: "dns: NOERROR, 0 answer(s)" });
    expect(judgeDnsReply(reply(7, "", 6), 7, ".", 6)).toMatchObject({ ok: true });
  });
  test("as keepalived's check_dns.c: another id, QR clear or under 8 bytes is passed over; only the header decides", () => {
    expect(judgeDnsReply(reply(8, "a", 1), 7, "a", 1)).toEqual({ ignored: "reply id 8 does not match query id 7" });
    expect(judgeDnsReply(reply(7, "a", 1, 0x0100), 7, "a", 1)).toEqual({ ignored: "QR bit clear, not a response" });
    expect(judgeDnsReply(new Uint8Array(5), 7, "a", 1)).toEqual({ ignored: "datagram of 5 bytes, too small" });
    expect(judgeDnsReply(reply(7, "a", 1, 0x8183), 7, "a", 1)).toEqual({ ok: false, reason: "dns: RCODE NXDOMAIN" });
    expect(judgeDnsReply(reply(7, "a", 1, 0x8189), 7, "a", 1)).toEqual({ ok: false, reason: "dns: RCODE RCODE9" });
    // keepalived looks at nothing after the header: another question, or a header alone, passes.
    expect(judgeDnsReply(reply(7, "b", 1), 7, "a", 1)).toEqual({ ok: true, reason: "dns: NOERROR, 0 answer(s), question differs from ours" });
    expect(judgeDnsReply(reply(7, "a", 28), 7, "a", 1)).toMatchObject({ ok: true });
    const headerOnly = reply(7, "a", 1).slice(0, 8);
    const r = judgeDnsReply(headerOnly, 7, "a", 1);
    expect("ignored" in r ? r.ignored : r.reason).toStartWith("dns: NOERROR, rest of the reply not parsed");
  });
});

describe("SMTP replies", () => {
  test("multi-line replies end at the line without a dash", () => {
    const r = new SmtpReplyReader();
    expect(r.push(enc("220-first\r\n220-sec"))).toEqual({});
    expect(r.push(enc("ond\r\n220 ready\r\n"))).toEqual({ code: 220 });
    expect(r.push(enc("250 ok\n"))).toEqual({ code: 250 });
    expect(new SmtpReplyReader().push(enc("HTTP/1.1 400\r\n")).error).toStartWith("bad reply line");
    expect(new SmtpReplyReader().push(new Uint8Array(5000).fill(50)).error).toBe(
      "reply line exceeds 4096 bytes",
    );
  });
});

describe("FILE_CHECK values", () => {
  test("parse like strtol", () => {
    expect(parseTrackFileValue(" -12\n")).toEqual({ ok: true, value: -12 });
    expect(parseTrackFileValue("")).toEqual({ ok: true, value: 0 });
    expect(parseTrackFileValue("7 apples")).toEqual({ ok: true, value: 7 });
    expect(parseTrackFileValue("x").ok).toBe(false);
    expect(parseTrackFileValue("99999999999").ok).toBe(false);
  });
  test("weight rules", () => {
    expect(fileCheckVerdict(0, 0).ok).toBe(true);
    expect(fileCheckVerdict(3, 0).ok).toBe(false);
    expect(fileCheckVerdict(3, 2)).toEqual({ ok: true, reason: "file: value 3", weight: 6 });
    expect(fileCheckVerdict(3, 2, true).weight).toBe(-6);
    expect(fileCheckVerdict(-2147483648, 1).ok).toBe(false);
  });
});
