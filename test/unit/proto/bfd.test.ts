import { describe, expect, test } from "bun:test";
import {
  BFD_CONTROL_LENGTH,
  BFD_MULTI_HOP_PORT,
  BFD_SINGLE_HOP_PORT,
  checkReceivedTtl,
  Diag,
  diagName,
  encodeBfdControl,
  parseBfdControl,
  SINGLE_HOP_TTL_POLICY,
} from "../../../src/proto/bfd.ts";
import type { BfdControlFields, BfdControlPacket } from "../../../src/proto/bfd.ts";
import fixture from "../../fixtures/bfd/frr-bfdd.json";
import { seededFloats } from "../../support/random.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Strips the parser-only fields so a decoded packet can be fed back to the encoder. */
function fieldsOf(p: BfdControlPacket): BfdControlFields {
  const { version: _v, authPresent: _a, multipoint: _m, length: _l, ...fields } = p;
  return fields;
}

describe("RFC 5880 §4.1 layout", () => {
  // Version 1 | Diag 1; State Up (3) with P and D; Detect Mult 5; Length 24;
  // My 0x01020304, Your 0x05060708; Desired Min TX 10 ms; Required Min RX 1 s; Echo RX 0.
  const bytes = "21 e2 05 18 01020304 05060708 00002710 000f4240 00000000";
  const fields: BfdControlFields = {
    diag: Diag.ControlDetectionTimeExpired,
    state: "Up",
    poll: true,
    final: false,
    controlPlaneIndependent: false,
    demand: true,
    detectMult: 5,
    myDiscriminator: 0x01020304,
    yourDiscriminator: 0x05060708,
    desiredMinTxUs: 10_000,
    requiredMinRxUs: 1_000_000,
    requiredMinEchoRxUs: 0,
  };

  test("encodes every field at its RFC offset", () => {
    expect(toHex(encodeBfdControl(fields))).toBe(bytes.replace(/\s+/g, ""));
  });

  test("parses the same bytes back", () => {
    const r = parseBfdControl(hex(bytes));
    expect(r).toEqual({
      ok: true,
      value: { ...fields, version: 1, authPresent: false, multipoint: false, length: BFD_CONTROL_LENGTH },
    });
  });

  test("each flag bit lands where §4.1 puts it", () => {
    const base = { ...fields, poll: false, demand: false, state: "AdminDown" as const };
    expect(encodeBfdControl(base)[1]).toBe(0x00);
    expect(encodeBfdControl({ ...base, poll: true })[1]).toBe(0x20);
    expect(encodeBfdControl({ ...base, final: true })[1]).toBe(0x10);
    expect(encodeBfdControl({ ...base, controlPlaneIndependent: true })[1]).toBe(0x08);
    expect(encodeBfdControl({ ...base, demand: true })[1]).toBe(0x02);
    expect(encodeBfdControl({ ...base, state: "Down" })[1]).toBe(0x40);
    expect(encodeBfdControl({ ...base, state: "Init" })[1]).toBe(0x80);
    expect(encodeBfdControl({ ...base, state: "Up" })[1]).toBe(0xc0);
  });

  test("discriminators and intervals use the full unsigned 32-bit range", () => {
    const big = { ...fields, myDiscriminator: 0xffffffff, desiredMinTxUs: 0xfffffffe };
    const r = parseBfdControl(encodeBfdControl(big));
    expect(r.ok && r.value.myDiscriminator).toBe(0xffffffff);
    expect(r.ok && r.value.desiredMinTxUs).toBe(0xfffffffe);
  });

  test("octets beyond the Length field are ignored", () => {
    const r = parseBfdControl(hex(bytes + "deadbeef"));
    expect(r.ok && r.value.length).toBe(24);
  });

  test("diagnostic names", () => {
    expect(diagName(0)).toBe("NoDiagnostic");
    expect(diagName(3)).toBe("NeighborSignaledSessionDown");
    expect(diagName(8)).toBe("ReverseConcatenatedPathDown");
    expect(diagName(12)).toBe("Reserved(12)");
  });
});

describe("FRR bfdd captures (test/fixtures/bfd/frr-bfdd.json)", () => {
  test("the fixture covers the interesting cases", () => {
    expect(fixture.packets.length).toBeGreaterThanOrEqual(14);
    const states = new Set(fixture.packets.map((p) => p.expect.state));
    expect([...states].sort()).toEqual(["AdminDown", "Down", "Init", "Up"]);
  });

  for (const p of fixture.packets) {
    test(`${p.name}: decodes as tshark did and re-encodes to the same bytes`, () => {
      const r = parseBfdControl(hex(p.hex));
      if (!r.ok) throw new Error(`${p.name} rejected: ${r.reason} (${r.detail})`);
      expect(r.value).toEqual(p.expect as BfdControlPacket);
      expect(toHex(encodeBfdControl(fieldsOf(r.value)))).toBe(p.hex);
    });
  }

  test("FRR sends with TTL / Hop Limit 255 on both ports, which the single-hop check accepts", () => {
    for (const p of fixture.packets) {
      expect([BFD_SINGLE_HOP_PORT, BFD_MULTI_HOP_PORT]).toContain(p.dstPort);
      expect(p.srcPort).toBeGreaterThanOrEqual(49152);
      expect(checkReceivedTtl(p.ttl, SINGLE_HOP_TTL_POLICY).ok).toBe(true);
    }
  });
});

describe("fuzz: the parser never throws", () => {
  test("random payloads and single-octet mutations of FRR packets", () => {
    const rand = seededFloats(5880);
    const seeds = fixture.packets.map((p) => hex(p.hex));
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let buf: Uint8Array;
      if (i % 2 === 0) {
        buf = new Uint8Array(Math.floor(rand() * 40));
        for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
      } else {
        buf = Uint8Array.from(seeds[i % seeds.length]!);
        buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      }
      const r = parseBfdControl(buf);
      if (r.ok) {
        accepted++;
        expect(r.value.version).toBe(1);
        expect(r.value.length).toBeLessThanOrEqual(buf.length);
      } else {
        expect(r.detail.length).toBeGreaterThan(0);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
