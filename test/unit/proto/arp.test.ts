import { describe, expect, test } from "bun:test";
import { bytesToMac, encodeGratuitousArp, macToBytes, parseArpFrame } from "../../../src/proto/arp.ts";
import { framesOf, loadFixture, tohex } from "../../support/proto/vrrp-fixtures.ts";

describe("gratuitous ARP against keepalived 2.2.7 captures", () => {
  for (const name of ["v2-plain", "v2-pass", "v2-ah", "v3-ipv4", "v3-ipv4-unicast"]) {
    test(`${name}: every GARP is reproduced byte for byte`, () => {
      const frames = framesOf(loadFixture(name), "arp");
      expect(frames.length).toBeGreaterThan(0);
      for (const f of frames) {
        const r = parseArpFrame(f);
        if (!r.ok) throw new Error(r.reason);
        expect(r.value).toMatchObject({
          ethDst: "ff:ff:ff:ff:ff:ff",
          ethSrc: "02:00:00:00:00:01",
          op: 1,
          senderMac: "02:00:00:00:00:01",
          targetMac: "ff:ff:ff:ff:ff:ff",
        });
        expect(r.value.targetIp).toBe(r.value.senderIp);
        expect(tohex(encodeGratuitousArp("02:00:00:00:00:01", r.value.senderIp))).toBe(tohex(f));
      }
    });
  }
});

describe("ARP helpers", () => {
  test("MAC text round trip", () => {
    expect(bytesToMac(macToBytes("02:AB:0c:00:00:ff")!)).toBe("02:ab:0c:00:00:ff");
    expect(macToBytes("02:ab:0c:00:00")).toBeUndefined();
    expect(macToBytes("zz:ab:0c:00:00:01")).toBeUndefined();
  });
  test("truncated frame", () =>
    expect(parseArpFrame(new Uint8Array(20))).toEqual({
      ok: false,
      reason: "arp frame truncated: 20 < 42 bytes",
    }));
  test("not ARP", () => {
    const f = encodeGratuitousArp("02:00:00:00:00:01", "192.0.2.1");
    f[13] = 0;
    expect(parseArpFrame(f)).toEqual({ ok: false, reason: "ethertype 0x800 != 0x806" });
  });
});
