import { describe, expect, test } from "bun:test";
import { internetChecksum, onesSum } from "../../../src/proto/checksum.ts";
import { bytesToIpv4, encodeIpv4Header, ipv4PseudoHeader, ipv4ToBytes, parseIpv4Header } from "../../../src/proto/ipv4.ts";
import { bytesToIpv6, ipv6PseudoHeader, ipv6ToBytes } from "../../../src/proto/ipv6.ts";
import { tohex, unhex } from "../../support/proto/vrrp-fixtures.ts";

describe("RFC 1071 checksum", () => {
  test("RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2", () => {
    const data = unhex("0001f203f4f5f6f7");
    expect(onesSum(data)).toBe(0xddf2);
    expect(internetChecksum(data)).toBe(0x220d);
  });
  test("odd length pads with a zero byte; split parts give the same sum", () => {
    expect(internetChecksum(unhex("0001f2"))).toBe(internetChecksum(unhex("0001f200")));
    expect(internetChecksum(unhex("0001"), unhex("f203f4f5f6f7"))).toBe(0x220d);
  });
});

describe("IPv4 header", () => {
  // The first VRRP datagram keepalived 2.2.7 sent in test/fixtures/vrrp/v2-plain.json.
  const hdr = unhex("45c0002c00010000ff70188dc0000201e0000012");
  test("encode matches the capture", () => {
    const e = encodeIpv4Header({
      tos: 0xc0,
      id: 1,
      ttl: 255,
      protocol: 112,
      src: "192.0.2.1",
      dst: "224.0.0.18",
      payloadLength: 24,
    });
    expect(tohex(e)).toBe(tohex(hdr));
  });
  test("parse", () => {
    const r = parseIpv4Header(new Uint8Array([...hdr, ...new Uint8Array(24)]));
    expect(r.ok && r.value.header).toMatchObject({
      headerLength: 20,
      tos: 0xc0,
      totalLength: 44,
      id: 1,
      ttl: 255,
      protocol: 112,
      src: "192.0.2.1",
      dst: "224.0.0.18",
    });
    expect(r.ok && r.value.payload.length).toBe(24);
  });
  test("bad header checksum, wrong version, bad lengths", () => {
    const bad = new Uint8Array([...hdr, ...new Uint8Array(24)]);
    bad[11]! ^= 1;
    expect(parseIpv4Header(bad)).toEqual({ ok: false, reason: "ipv4 header checksum 0x188c invalid" });
    bad[0] = 0x65;
    expect(parseIpv4Header(bad)).toEqual({ ok: false, reason: "ip version 6 != 4" });
    expect(parseIpv4Header(hdr)).toEqual({ ok: false, reason: "ipv4 total length 44 invalid for 20 bytes" });
    expect(parseIpv4Header(hdr.subarray(0, 10)).ok).toBe(false);
  });
  test("pseudo-header layout", () => {
    expect(tohex(ipv4PseudoHeader("192.0.2.1", "224.0.0.18", 112, 12))).toBe("c0000201e00000120070000c");
  });
  test("address text", () => {
    expect(bytesToIpv4(ipv4ToBytes("192.0.2.255")!)).toBe("192.0.2.255");
    for (const bad of ["192.0.2", "192.0.2.256", "a.b.c.d", "1.2.3.4.5"]) {
      expect(ipv4ToBytes(bad)).toBeUndefined();
    }
  });
});

describe("IPv6 addresses and pseudo-header", () => {
  test("RFC 5952 canonical text", () => {
    const cases: [string, string][] = [
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["fe80::ff:fe00:1", "fe80::ff:fe00:1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["::", "::"],
      ["::ffff:192.0.2.1", "::ffff:c000:201"],
      ["ff02::12", "ff02::12"],
    ];
    for (const [i, o] of cases) expect(bytesToIpv6(ipv6ToBytes(i)!)).toBe(o);
  });
  test("malformed", () => {
    for (
      const bad of ["1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "g::1", "1:2:3:4:5:6:7:8::"]
    ) {
      expect(ipv6ToBytes(bad)).toBeUndefined();
    }
  });
  test("pseudo-header layout (RFC 8200 §8.1)", () => {
    const p = ipv6PseudoHeader("2001:db8::1", "ff02::12", 112, 16);
    expect(p.length).toBe(40);
    expect(tohex(p.subarray(32))).toBe("0000001000000070");
  });
});
