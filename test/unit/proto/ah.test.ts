import { describe, expect, test } from "bun:test";
import { ahIcv, encodeAhPacket, parseAhPacket } from "../../../src/proto/ah.ts";
import { encodeVrrp, parseVrrp } from "../../../src/proto/vrrp.ts";
import { internetChecksum } from "../../../src/proto/checksum.ts";
import { framesOf, loadFixture, tohex } from "../../support/proto/vrrp-fixtures.ts";

const PASSWORD = "secret1";
const ADDRS = ["192.0.2.100", "192.0.2.101"];
const frames = framesOf(loadFixture("v2-ah"), "ah").map((f) => f.subarray(14));

describe("IPSEC-AH against keepalived 2.2.7 captures (auth_type AH, auth_pass secret1)", () => {
  test("every captured datagram verifies and carries an AH-typed VRRPv2 advert", () => {
    expect(frames.length).toBe(5);
    frames.forEach((d, n) => {
      const r = parseAhPacket(d, PASSWORD);
      if (!r.ok) throw new Error(r.reason);
      expect(r.value.ah).toMatchObject({ nextHeader: 112, payloadLen: 4, spi: 0xc0000201 });
      expect(r.value.ip).toMatchObject({ src: "192.0.2.1", dst: "224.0.0.18", ttl: 255, protocol: 51 });
      const v = parseVrrp(r.value.vrrp, {
        family: "ipv4",
        version: 2,
        ttl: r.value.ip.ttl,
        src: "192.0.2.1",
        dst: "224.0.0.18",
        auth: { type: "ah" },
      });
      if (!v.ok) throw new Error(v.reason);
      expect(v.value).toMatchObject({
        vrid: 53,
        priority: n === 4 ? 0 : 150,
        authType: "ah",
        addresses: ADDRS,
      });
    });
  });

  test("sequence numbers count up from 1", () => {
    const seqs = frames.map((d) => {
      const r = parseAhPacket(d, PASSWORD);
      return r.ok ? r.value.ah.seq : -1;
    });
    expect(seqs.slice(0, 4)).toEqual([1, 2, 3, 4]);
  });

  test("encodeAhPacket reproduces the captured datagrams byte for byte", () => {
    for (const d of frames) {
      const r = parseAhPacket(d, PASSWORD);
      if (!r.ok) throw new Error(r.reason);
      const vrrp = encodeVrrp({
        version: 2,
        family: "ipv4",
        vrid: 53,
        priority: r.value.vrrp[2]!,
        advertIntervalCs: 100,
        addresses: ADDRS,
        auth: { type: "ah" },
      });
      const out = encodeAhPacket({
        src: "192.0.2.1",
        dst: "224.0.0.18",
        id: r.value.ip.id,
        seq: r.value.ah.seq,
        password: PASSWORD,
        vrrp,
      });
      expect(tohex(out)).toBe(tohex(d));
    }
  });

  test("the ICV ignores TOS and the header checksum but, like keepalived, covers the TTL", () => {
    const d = frames[0]!.slice();
    const icv = ahIcv(d, 20, PASSWORD);
    d[1] = 0;
    d[10] = 0xaa;
    expect(tohex(ahIcv(d, 20, PASSWORD))).toBe(tohex(icv));
    d[8] = 254;
    expect(tohex(ahIcv(d, 20, PASSWORD))).not.toBe(tohex(icv));
  });
});

describe("AH malformed input", () => {
  const reason = (d: Uint8Array, pw = PASSWORD) => {
    const r = parseAhPacket(d, pw);
    return r.ok ? "ok" : r.reason;
  };
  test("bad AH ICV (wrong key)", () => expect(reason(frames[0]!, "secret2")).toBe("ah icv mismatch"));
  test("bad AH ICV (payload changed)", () => {
    const d = frames[0]!.slice();
    d[d.length - 9]! ^= 1; // inside the VRRP message
    expect(reason(d)).toBe("ah icv mismatch");
  });
  test("SPI not the source address", () => {
    const d = frames[0]!.slice();
    d[27] = 9;
    expect(reason(d)).toBe("ah spi 0xc0000209 != source 192.0.2.1");
  });
  test("truncated", () => expect(reason(frames[0]!.subarray(0, 30))).toMatch(/^ipv4 total length 68 invalid/));
  test("not AH", () => {
    const d = encodeAhPacket({
      src: "192.0.2.1",
      dst: "224.0.0.18",
      id: 1,
      seq: 1,
      password: PASSWORD,
      vrrp: new Uint8Array(16),
    });
    d[9] = 112;
    d[10] = 0;
    d[11] = 0;
    const s = internetChecksum(d.subarray(0, 20));
    d[10] = s >> 8;
    d[11] = s & 0xff;
    expect(reason(d)).toBe("ip protocol 112 != 51 (AH)");
  });
});

describe("auth_pass longer than 8 characters (keepalived 2.2.7 logs 'Truncating auth_pass to 8 characters')", () => {
  // Captured from keepalived 2.2.7: vrid 71, priority 100, auth_type AH, auth_pass abcdefghijklmnop, VIP 192.0.2.211.
  const d = new Uint8Array(Buffer.from(
    "45c0004000010000ff3318b6c0000201e000001270040000c000020100000001434e3ef97dd795e7786983e7" +
      "214764010201b5e2c00002d30000000000000000",
    "hex",
  ));
  test("the ICV key is the first 8 characters", () => {
    expect(parseAhPacket(d, "abcdefghijklmnop").ok).toBe(true);
    expect(parseAhPacket(d, "abcdefgh").ok).toBe(true);
    expect(parseAhPacket(d, "abcdefg").ok).toBe(false);
  });
});
