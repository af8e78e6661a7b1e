import { describe, expect, test } from "bun:test";
import { encodeVrrp, parseVrrp, vrrpChecksum, type VrrpEncodeInput, type VrrpParseOptions } from "../../../src/proto/vrrp.ts";
import { encodeIpv4Header, parseIpv4Header } from "../../../src/proto/ipv4.ts";
import { bytesToIpv6 } from "../../../src/proto/ipv6.ts";
import { framesOf, loadFixture, tohex } from "../../support/proto/vrrp-fixtures.ts";

/** Splits a captured IPv4 Ethernet frame into the VRRP message and the options parseVrrp needs. */
function v4(frame: Uint8Array) {
  const ip = parseIpv4Header(frame.subarray(14));
  if (!ip.ok) throw new Error(ip.reason);
  const h = ip.value.header;
  return { h, msg: ip.value.payload, src: h.src, dst: h.dst, ttl: h.ttl };
}

/** Same for IPv6 (fixed 40-byte header, no extension headers). */
function v6(frame: Uint8Array) {
  return {
    msg: frame.subarray(54),
    src: bytesToIpv6(frame, 22),
    dst: bytesToIpv6(frame, 38),
    ttl: frame[21]!,
  };
}

interface Case {
  name: string;
  version: 2 | 3;
  vrid: number;
  advertIntervalCs: number;
  addresses: string[];
  extra?: Partial<VrrpEncodeInput>;
}

const cases: Case[] = [
  {
    name: "v2-plain",
    version: 2,
    vrid: 51,
    advertIntervalCs: 100,
    addresses: ["192.0.2.100", "192.0.2.101"],
  },
  {
    name: "v2-pass",
    version: 2,
    vrid: 52,
    advertIntervalCs: 100,
    addresses: ["192.0.2.100", "192.0.2.101"],
    extra: { auth: { type: "pass", password: "secret1" } },
  },
  { name: "v3-ipv4", version: 3, vrid: 54, advertIntervalCs: 100, addresses: ["192.0.2.110"] },
  { name: "v3-ipv4-unicast", version: 3, vrid: 56, advertIntervalCs: 100, addresses: ["192.0.2.121"] },
  {
    name: "v3-ipv4-unicast-old",
    version: 3,
    vrid: 55,
    advertIntervalCs: 100,
    addresses: ["192.0.2.120"],
    extra: { oldUnicastChecksum: true },
  },
];

describe("keepalived 2.2.7 IPv4 captures", () => {
  for (const c of cases) {
    test(`${c.name}: parse and re-encode byte for byte`, () => {
      const frames = framesOf(loadFixture(c.name), "vrrp4");
      expect(frames.length).toBeGreaterThanOrEqual(5);
      frames.forEach((frame, n) => {
        const { h, msg, src, dst, ttl } = v4(frame);
        const last = n === frames.length - 1;
        const opts: VrrpParseOptions = { family: "ipv4", version: c.version, ttl, src, dst, ...c.extra };
        const r = parseVrrp(msg, opts);
        if (!r.ok) throw new Error(`${c.name}[${n}]: ${r.reason}`);
        expect(r.value).toMatchObject({
          version: c.version,
          vrid: c.vrid,
          advertIntervalCs: c.advertIntervalCs,
        });
        expect(r.value.addresses).toEqual(c.addresses);
        expect(r.value.priority).toBe(last ? 0 : 150); // priority 0 on SIGTERM
        const enc = encodeVrrp({
          version: c.version,
          family: "ipv4",
          vrid: c.vrid,
          priority: r.value.priority,
          advertIntervalCs: c.advertIntervalCs,
          addresses: c.addresses,
          src,
          dst,
          ...c.extra,
        });
        expect(tohex(enc)).toBe(tohex(msg));
        const ipHdr = encodeIpv4Header({
          tos: 0xc0,
          id: h.id,
          ttl: 255,
          protocol: 112,
          src,
          dst,
          payloadLength: msg.length,
        });
        expect(tohex(ipHdr)).toBe(tohex(frame.subarray(14, 34)));
      });
    });
  }

  test("old_unicast_checksum: pseudo-header uses 224.0.0.18, so the real destination fails", () => {
    const { msg, src, dst, ttl } = v4(framesOf(loadFixture("v3-ipv4-unicast-old"), "vrrp4")[0]!);
    const r = parseVrrp(msg, { family: "ipv4", version: 3, ttl, src, dst });
    expect(r).toEqual({ ok: false, reason: "bad-checksum", detail: "checksum 0xd359 != 0xf169" });
  });
});

describe("keepalived 2.2.7 IPv6 capture (v3, advert_int 0.5)", () => {
  test("parse and re-encode byte for byte", () => {
    const frames = framesOf(loadFixture("v3-ipv6"), "vrrp6");
    expect(frames.length).toBe(5);
    frames.forEach((frame, n) => {
      const { msg, src, dst, ttl } = v6(frame);
      expect(src).toBe("fe80::ff:fe00:1");
      expect(dst).toBe("ff02::12");
      const r = parseVrrp(msg, { family: "ipv6", version: 3, ttl, src, dst });
      if (!r.ok) throw new Error(r.reason);
      const addresses = ["2001:db8::100", "2001:db8::101"];
      expect(r.value).toMatchObject({
        vrid: 57,
        advertIntervalCs: 50,
        addresses,
        priority: n === 4 ? 0 : 150,
      });
      const enc = encodeVrrp({
        version: 3,
        family: "ipv6",
        vrid: 57,
        priority: r.value.priority,
        advertIntervalCs: 50,
        addresses,
        src,
        dst,
      });
      expect(tohex(enc)).toBe(tohex(msg));
    });
  });
});

describe("checksum variants", () => {
  const base: VrrpEncodeInput = {
    version: 3,
    family: "ipv4",
    vrid: 9,
    priority: 100,
    advertIntervalCs: 4095,
    addresses: ["192.0.2.9"],
    src: "192.0.2.1",
    dst: "224.0.0.18",
  };
  test("v3ChecksumAsV2: no pseudo-header on encode and verify", () => {
    const msg = encodeVrrp({ ...base, v3ChecksumAsV2: true });
    expect(vrrpChecksum(msg, { version: 2, family: "ipv4" })).toBe((msg[6]! << 8) | msg[7]!);
    const opts: VrrpParseOptions = {
      family: "ipv4",
      version: 3,
      ttl: 255,
      src: "192.0.2.1",
      dst: "224.0.0.18",
    };
    expect(parseVrrp(msg, { ...opts, v3ChecksumAsV2: true }).ok).toBe(true);
    expect(parseVrrp(msg, opts).ok).toBe(false);
    expect(parseVrrp(encodeVrrp(base), { ...opts, v3ChecksumAsV2: true }).ok).toBe(false);
  });
  test("12-bit Max Adver Int round-trips 4095 cs", () => {
    const r = parseVrrp(encodeVrrp(base), {
      family: "ipv4",
      version: 3,
      ttl: 255,
      src: "192.0.2.1",
      dst: "224.0.0.18",
    });
    expect(r.ok && r.value.advertIntervalCs).toBe(4095);
  });
  test("v2 interval is whole seconds", () => {
    const msg = encodeVrrp({ ...base, version: 2, advertIntervalCs: 300 });
    expect(msg[5]).toBe(3);
  });
  test("encoding IPv6 with version 2 is a programming error", () => {
    expect(() => encodeVrrp({ ...base, family: "ipv6", version: 2, addresses: ["2001:db8::1"] })).toThrow();
  });
});

describe("malformed packets: one check each", () => {
  const src = "192.0.2.1";
  const dst = "224.0.0.18";
  const v2opts: VrrpParseOptions = {
    family: "ipv4",
    version: 2,
    ttl: 255,
    src,
    dst,
    auth: { type: "pass", password: "secret1" },
  };
  const good = () =>
    encodeVrrp({
      version: 2,
      family: "ipv4",
      vrid: 1,
      priority: 100,
      advertIntervalCs: 100,
      addresses: ["192.0.2.100", "192.0.2.101"],
      auth: { type: "pass", password: "secret1" },
    });
  const reason = (msg: Uint8Array, o: Partial<VrrpParseOptions> = {}) => {
    const r = parseVrrp(msg, { ...v2opts, ...o });
    return r.ok ? "ok" : `${r.reason}: ${r.detail}`;
  };
  /** Changes one byte and fixes the checksum, so only the intended check fails. */
  const mutate = (i: number, val: number) => {
    const m = good();
    m[i] = val;
    const s = vrrpChecksum(m, { version: 2, family: "ipv4" })!;
    m[6] = s >> 8;
    m[7] = s & 0xff;
    return m;
  };

  test("good packet passes", () => expect(reason(good())).toBe("ok"));
  test("bad checksum", () => {
    const m = good();
    m[7]! ^= 1;
    expect(reason(m)).toMatch(/^bad-checksum: checksum 0x[0-9a-f]{4} != 0x[0-9a-f]{4}$/);
  });
  test("TTL 254", () => expect(reason(good(), { ttl: 254 })).toBe("bad-ttl: ttl 254 != 255"));
  test("hop limit outside a unicast range", () => {
    expect(reason(good(), { ttl: 10, ttlRange: [64, 255] })).toBe("bad-ttl: ttl 10 outside 64..255");
  });
  test("wrong version", () => expect(reason(mutate(0, 0x31))).toBe("bad-version: version 3 != 2"));
  test("wrong type", () => expect(reason(mutate(0, 0x22))).toBe("bad-type: type 2 != 1 (advertisement)"));
  test("truncated", () => expect(reason(good().subarray(0, 6))).toBe("truncated: truncated: 6 bytes < 8-byte VRRP header"));
  test("truncated address list", () => expect(reason(good().subarray(0, 20))).toBe("bad-length: length 20 != 24 for 2 addresses"));
  test("bad address count", () => expect(reason(mutate(3, 3))).toBe("bad-length: length 24 != 28 for 3 addresses"));
  test("wrong auth pass", () => {
    expect(reason(good(), { auth: { type: "pass", password: "secret2" } })).toBe("auth-failure: auth pass mismatch");
  });
  test("wrong auth type", () => expect(reason(good(), { auth: { type: "none" } })).toBe("auth-type-mismatch: auth type 1 != 0 (none)"));
  test("PASS uses only the first 8 characters", () => {
    expect(reason(good(), { auth: { type: "pass", password: "secret1-and-more" } })).toBe(
      "auth-failure: auth pass mismatch",
    );
    const long = encodeVrrp({
      version: 2,
      family: "ipv4",
      vrid: 1,
      priority: 100,
      advertIntervalCs: 100,
      addresses: [],
      auth: { type: "pass", password: "12345678-ignored" },
    });
    expect(reason(long, { auth: { type: "pass", password: "12345678" } })).toBe("ok");
  });
  test("an Auth Type outside 0..2 is invalid, not a mismatch", () => expect(reason(mutate(4, 7))).toBe("invalid-auth-type: auth type 7 != 1 (pass)"));
  test("a source that cannot go into the v3 pseudo-header", () => {
    const v3 = encodeVrrp({ version: 3, family: "ipv4", vrid: 1, priority: 100, advertIntervalCs: 100, addresses: [], src: "192.0.2.1", dst: "224.0.0.18" });
    expect(reason(v3, { version: 3, src: "not-an-address" })).toBe("bad-pseudo-header: bad src/dst for checksum: not-an-address -> 224.0.0.18");
  });
  test("v2 over IPv6", () => {
    const m = new Uint8Array(16);
    m[0] = 0x21;
    expect(reason(m, { family: "ipv6", version: 2 })).toBe("bad-version: version 2 invalid over IPv6");
  });
});
