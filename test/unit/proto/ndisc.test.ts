import { describe, expect, test } from "bun:test";
import { encodeUnsolicitedNa, encodeUnsolicitedNaFrame, ipv6MulticastMac, parseNaFrame } from "../../../src/proto/ndisc.ts";
import { framesOf, loadFixture, tohex } from "../../support/proto/vrrp-fixtures.ts";

describe("unsolicited NA against keepalived 2.2.7 capture", () => {
  const frames = framesOf(loadFixture("v3-ipv6"), "na");
  test("captured NAs decode: src = VIP, ff02::1, hop limit 255, override only, target LLA", () => {
    expect(frames.length).toBe(2);
    for (const f of frames) {
      const r = parseNaFrame(f);
      if (!r.ok) throw new Error(r.reason);
      expect(r.value).toMatchObject({
        ethDst: "33:33:00:00:00:01",
        ethSrc: "02:00:00:00:00:01",
        dst: "ff02::1",
        hopLimit: 255,
        flags: { router: false, solicited: false, override: true },
        targetMac: "02:00:00:00:00:01",
      });
      expect(r.value.src).toBe(r.value.target);
      expect(["2001:db8::100", "2001:db8::101"]).toContain(r.value.target);
    }
  });
  test("encoder reproduces the frames and the ICMPv6 message byte for byte", () => {
    for (const f of frames) {
      const r = parseNaFrame(f);
      if (!r.ok) throw new Error(r.reason);
      expect(tohex(encodeUnsolicitedNaFrame({ mac: "02:00:00:00:00:01", vip: r.value.target }))).toBe(
        tohex(f),
      );
      expect(tohex(encodeUnsolicitedNa({ mac: "02:00:00:00:00:01", vip: r.value.target }))).toBe(
        tohex(f.subarray(54)),
      );
    }
  });
});

describe("NA helpers and malformed input", () => {
  const good = () => encodeUnsolicitedNaFrame({ mac: "02:00:00:00:00:01", vip: "2001:db8::5", router: true });
  test("router flag", () => {
    const r = parseNaFrame(good());
    expect(r.ok && r.value.flags).toEqual({ router: true, solicited: false, override: true });
  });
  test("multicast MAC", () => expect(ipv6MulticastMac("ff02::12")).toBe("33:33:00:00:00:12"));
  test("bad checksum", () => {
    const f = good();
    f[57]! ^= 1;
    expect(parseNaFrame(f)).toEqual({ ok: false, reason: "icmpv6 checksum invalid" });
  });
  test("not an NA", () => {
    const f = good();
    f[54] = 135;
    expect(parseNaFrame(f)).toEqual({ ok: false, reason: "icmpv6 type 135 code 0 is not NA" });
  });
  test("truncated", () => expect(parseNaFrame(good().subarray(0, 60)).ok).toBe(false));
});
