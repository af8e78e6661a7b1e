/** One test per reception check of RFC 5880 §6.8.6 / RFC 5881 §5, each with exactly one field broken. */
import { describe, expect, test } from "bun:test";
import { checkReceivedTtl, checkYourDiscriminator, encodeBfdControl, minAcceptedTtl, parseBfdControl, SINGLE_HOP_TTL_POLICY } from "../../../src/proto/bfd.ts";
import type { BfdControlFields, BfdDiscardReason } from "../../../src/proto/bfd.ts";

const good: BfdControlFields = {
  diag: 0,
  state: "Up",
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  detectMult: 3,
  myDiscriminator: 0x11111111,
  yourDiscriminator: 0x22222222,
  desiredMinTxUs: 300_000,
  requiredMinRxUs: 300_000,
  requiredMinEchoRxUs: 0,
};

/** Encodes `good` with overrides, then lets `mutate` poke raw bytes. */
function packet(over: Partial<BfdControlFields> = {}, mutate?: (b: Uint8Array) => Uint8Array): Uint8Array {
  const b = encodeBfdControl({ ...good, ...over });
  return mutate ? mutate(b) : b;
}

function reasonOf(buf: Uint8Array): BfdDiscardReason | "accepted" {
  const r = parseBfdControl(buf);
  return r.ok ? "accepted" : r.reason;
}

describe("parseBfdControl: §6.8.6 packet checks", () => {
  test("a well-formed packet is accepted", () => {
    expect(reasonOf(packet())).toBe("accepted");
  });

  test("empty payload", () => {
    expect(reasonOf(new Uint8Array(0))).toBe("truncated");
  });

  test("version other than 1", () => {
    const r = parseBfdControl(packet({}, (b) => ((b[0] = (2 << 5) | (b[0]! & 0x1f)), b)));
    expect(r).toMatchObject({ ok: false, reason: "bad-version", detail: "version 2, expected 1" });
  });

  test("version is checked before anything else, even on a 1-octet payload", () => {
    expect(reasonOf(Uint8Array.of(0x00))).toBe("bad-version");
    expect(reasonOf(Uint8Array.of(0x20, 0xc0))).toBe("truncated");
  });

  test("Length below 24 with A clear", () => {
    expect(reasonOf(packet({}, (b) => ((b[3] = 23), b)))).toBe("length-too-small");
  });

  test("Length below 26 with A set", () => {
    const withA = (len: number) =>
      packet({}, (b) => {
        const out = new Uint8Array(28);
        out.set(b);
        out[1] = b[1]! | 0x04;
        out[3] = len;
        return out;
      });
    expect(reasonOf(withA(24))).toBe("length-too-small");
    expect(reasonOf(withA(25))).toBe("length-too-small");
    // Long enough for an authentication section: now it fails on the A bit (we do no authentication).
    expect(reasonOf(withA(26))).toBe("auth-not-supported");
  });

  test("Length larger than the UDP payload", () => {
    const r = parseBfdControl(packet({}, (b) => ((b[3] = 25), b)));
    expect(r).toMatchObject({ ok: false, reason: "length-exceeds-payload" });
    expect(reasonOf(packet().subarray(0, 20))).toBe("length-exceeds-payload");
  });

  test("Detect Mult zero", () => {
    expect(reasonOf(packet({ detectMult: 0 }))).toBe("zero-detect-mult");
  });

  test("Multipoint bit set", () => {
    expect(reasonOf(packet({}, (b) => ((b[1] = b[1]! | 0x01), b)))).toBe("multipoint");
  });

  test("My Discriminator zero", () => {
    expect(reasonOf(packet({ myDiscriminator: 0 }))).toBe("zero-my-discriminator");
  });

  test("Your Discriminator zero is only valid from a Down or AdminDown sender", () => {
    expect(reasonOf(packet({ yourDiscriminator: 0, state: "Up" }))).toBe("zero-your-discriminator");
    expect(reasonOf(packet({ yourDiscriminator: 0, state: "Init" }))).toBe("zero-your-discriminator");
    expect(reasonOf(packet({ yourDiscriminator: 0, state: "Down" }))).toBe("accepted");
    expect(reasonOf(packet({ yourDiscriminator: 0, state: "AdminDown" }))).toBe("accepted");
  });

  test("A bit set: no authentication is configured", () => {
    const buf = packet({}, (b) => {
      const out = new Uint8Array(26);
      out.set(b);
      out[1] = b[1]! | 0x04;
      out[3] = 26;
      return out;
    });
    expect(reasonOf(buf)).toBe("auth-not-supported");
  });

  test("P and F together", () => {
    expect(reasonOf(packet({ poll: true, final: true }))).toBe("poll-and-final");
  });

  test("checks run in the RFC's order: the first failing one is reported", () => {
    // Detect Mult 0, M set and My Discriminator 0 all at once: Detect Mult comes first.
    const all = packet({ detectMult: 0, myDiscriminator: 0 }, (b) => ((b[1] = b[1]! | 0x01), b));
    expect(reasonOf(all)).toBe("zero-detect-mult");
    expect(reasonOf(packet({ myDiscriminator: 0 }, (b) => ((b[1] = b[1]! | 0x01), b)))).toBe("multipoint");
    expect(reasonOf(packet({ myDiscriminator: 0, yourDiscriminator: 0 }))).toBe("zero-my-discriminator");
    // Length wins over version-independent field checks.
    expect(reasonOf(packet({ detectMult: 0 }, (b) => ((b[3] = 20), b)))).toBe("length-too-small");
  });
});

describe("checkYourDiscriminator: session selection", () => {
  test("matching discriminator", () => {
    expect(checkYourDiscriminator(good, 0x22222222).ok).toBe(true);
  });
  test("another session's discriminator", () => {
    const r = checkYourDiscriminator(good, 0x33333333);
    expect(r).toMatchObject({ ok: false, reason: "unknown-your-discriminator" });
  });
  test("zero from a Down sender selects the session by address", () => {
    expect(checkYourDiscriminator({ yourDiscriminator: 0, state: "Down" }, 0x33333333).ok).toBe(true);
  });
  test("zero from an Up sender", () => {
    const r = checkYourDiscriminator({ yourDiscriminator: 0, state: "Up" }, 0x33333333);
    expect(r).toMatchObject({ ok: false, reason: "zero-your-discriminator" });
  });
});

describe("TTL / Hop Limit (RFC 5881 §5, keepalived max_hops)", () => {
  test("single hop: only 255 passes", () => {
    expect(checkReceivedTtl(255, SINGLE_HOP_TTL_POLICY).ok).toBe(true);
    expect(checkReceivedTtl(254, SINGLE_HOP_TTL_POLICY)).toMatchObject({ ok: false, reason: "ttl-too-low" });
    expect(checkReceivedTtl(1, SINGLE_HOP_TTL_POLICY).ok).toBe(false);
  });
  test("max_hops allows that many routers in between", () => {
    const policy = { expectedTtl: 255, maxHops: 2 };
    expect(minAcceptedTtl(policy)).toBe(253);
    expect(checkReceivedTtl(253, policy).ok).toBe(true);
    expect(checkReceivedTtl(252, policy).ok).toBe(false);
  });
  test("the check is relative to the configured ttl / hoplimit", () => {
    const policy = { expectedTtl: 64, maxHops: 0 };
    expect(checkReceivedTtl(64, policy).ok).toBe(true);
    expect(checkReceivedTtl(63, policy).ok).toBe(false);
  });
  test("max_hops 255 disables the check", () => {
    expect(minAcceptedTtl({ expectedTtl: 255, maxHops: 255 })).toBe(0);
    expect(checkReceivedTtl(1, { expectedTtl: 255, maxHops: 255 }).ok).toBe(true);
  });
  test("an unreported TTL passes", () => {
    expect(checkReceivedTtl(undefined, SINGLE_HOP_TTL_POLICY).ok).toBe(true);
  });
  test("detail names the bad value", () => {
    const r = checkReceivedTtl(250, SINGLE_HOP_TTL_POLICY);
    expect(!r.ok && r.detail).toBe("TTL/Hop Limit 250 < 255 (ttl 255, max_hops 0)");
  });
});
