/** Session selection (RFC 5880 §6.8.6 by Your Discriminator, else by path) and the TTL policy. */
import { describe, expect, test } from "bun:test";
import { type BfdArrival, BfdDemux } from "../../../src/bfd/demux.ts";
import { SINGLE_HOP_TTL_POLICY } from "../../../src/proto/bfd.ts";

const at = (over: Partial<BfdArrival> = {}): BfdArrival => ({
  peer: "192.0.2.2",
  local: "192.0.2.1",
  multihop: false,
  ttl: 255,
  ...over,
});

function demux(): BfdDemux<string> {
  const d = new BfdDemux<string>();
  d.add(
    "exact",
    10,
    { peer: "192.0.2.2", local: "192.0.2.1", multihop: false, ttl: 255 },
    SINGLE_HOP_TTL_POLICY,
  );
  d.add(
    "any-local",
    11,
    { peer: "192.0.2.3", local: null, multihop: false, ttl: 255 },
    SINGLE_HOP_TTL_POLICY,
  );
  d.add("mh", 12, { peer: "2001:db8::2", local: null, multihop: true, ttl: 255 }, {
    expectedTtl: 255,
    maxHops: 3,
  });
  return d;
}

describe("BfdDemux", () => {
  test("a non-zero Your Discriminator selects its session", () => {
    expect(demux().select({ yourDiscriminator: 10 }, at())).toEqual({ ok: true, key: "exact" });
  });
  test("Your Discriminator 0 selects by path; a session without source_ip matches any local address", () => {
    const d = demux();
    expect(d.select({ yourDiscriminator: 0 }, at())).toEqual({ ok: true, key: "exact" });
    expect(d.select({ yourDiscriminator: 0 }, at({ peer: "192.0.2.3", local: "192.0.2.77" }))).toEqual({
      ok: true,
      key: "any-local",
    });
    expect(
      d.select(
        { yourDiscriminator: 0 },
        at({ peer: "2001:db8::2", local: undefined, multihop: true, ttl: 252 }),
      ),
    )
      .toEqual({ ok: true, key: "mh" });
  });
  test("drops say why", () => {
    const d = demux();
    const reason = (p: number, a: BfdArrival) => {
      const r = d.select({ yourDiscriminator: p }, a);
      return r.ok ? "accepted" : r.reason;
    };
    expect(reason(99, at())).toBe("unknown-your-discriminator");
    expect(reason(0, at({ local: "192.0.2.9" }))).toBe("no-session-for-path");
    expect(reason(0, at({ multihop: true }))).toBe("no-session-for-path");
    expect(reason(10, at({ peer: "192.0.2.66" }))).toBe("wrong-peer");
    expect(reason(10, at({ multihop: true }))).toBe("wrong-peer");
    expect(reason(10, at({ ttl: 254 }))).toBe("ttl-too-low");
    expect(reason(12, at({ peer: "2001:db8::2", multihop: true, ttl: 251 }))).toBe("ttl-too-low");
    expect(reason(10, at({ ttl: undefined }))).toBe("accepted");
  });
  test("a path or discriminator in use twice is refused; remove frees both", () => {
    const d = demux();
    expect(() =>
      d.add(
        "dup",
        20,
        { peer: "192.0.2.2", local: "192.0.2.1", multihop: false, ttl: 255 },
        SINGLE_HOP_TTL_POLICY,
      )
    )
      .toThrow(/used by both exact and dup/);
    expect(() => d.add("dup", 10, { peer: "192.0.2.8", local: null, multihop: false, ttl: 255 }, SINGLE_HOP_TTL_POLICY))
      .toThrow(/discriminator 10 is in use/);
    d.remove(10);
    expect(d.discriminators().has(10)).toBe(false);
    expect(d.select({ yourDiscriminator: 0 }, at()).ok).toBe(false);
  });
});
