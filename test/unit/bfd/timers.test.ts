import { describe, expect, test } from "bun:test";
import { detectionTimeUs, jitterBounds, jitteredDelayMs, msToUs, txIntervalUs } from "../../../src/bfd/timers.ts";
import { seededFloats } from "../../support/random.ts";

describe("jitter (RFC 5880 §6.8.7)", () => {
  test("75-100 % of the interval normally", () => {
    expect(jitteredDelayMs(100_000, 3, () => 0)).toBe(75);
    expect(jitteredDelayMs(100_000, 3, () => 0.5)).toBe(87.5);
    expect(jitteredDelayMs(100_000, 3, () => 0.999999)).toBeLessThan(100);
  });

  test("75-90 % when Detect Mult is 1", () => {
    expect(jitterBounds(1)).toEqual({ min: 0.75, max: 0.9 });
    expect(jitteredDelayMs(100_000, 1, () => 0)).toBe(75);
    expect(jitteredDelayMs(100_000, 1, () => 0.999999)).toBeLessThan(90);
  });

  test("a misbehaving random source cannot leave the bounds", () => {
    expect(jitteredDelayMs(100_000, 3, () => 7)).toBe(100);
    expect(jitteredDelayMs(100_000, 1, () => 7)).toBe(90);
    expect(jitteredDelayMs(100_000, 3, () => -1)).toBe(75);
  });

  test("10,000 draws stay within bounds and spread over them", () => {
    for (const mult of [1, 3]) {
      const rand = seededFloats(mult);
      const { min, max } = jitterBounds(mult);
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < 10_000; i++) {
        const d = jitteredDelayMs(1_000_000, mult, rand);
        expect(d).toBeGreaterThanOrEqual(min * 1000);
        expect(d).toBeLessThan(max * 1000);
        lo = Math.min(lo, d);
        hi = Math.max(hi, d);
      }
      expect(lo).toBeLessThan(min * 1000 + 5);
      expect(hi).toBeGreaterThan(max * 1000 - 5);
    }
  });
});

describe("intervals", () => {
  test("transmit interval is the larger of our desired TX and the remote's required RX", () => {
    expect(txIntervalUs(10_000, 300_000)).toBe(300_000);
    expect(txIntervalUs(1_000_000, 300_000)).toBe(1_000_000);
  });

  test("detection time: remote mult x max(our RX, remote TX)", () => {
    expect(detectionTimeUs(3, 300_000, 200_000)).toBe(900_000);
    expect(detectionTimeUs(5, 10_000, 1_000_000)).toBe(5_000_000);
  });

  test("ms with µs resolution", () => {
    expect(msToUs(3.312)).toBe(3312);
    expect(msToUs(0.0014)).toBe(1);
  });
});
