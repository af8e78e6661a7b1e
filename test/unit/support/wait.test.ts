/** The test helpers themselves: holdsFor catches a flap inside its window; SeededRandom replays. */
import { describe, expect, test } from "bun:test";
import { holdsFor, waitFor } from "../../support/wait.ts";
import { seededFloats, SeededRandom } from "../../support/random.ts";

describe("holdsFor", () => {
  test("passes when the predicate holds at every sample of the window", async () => {
    let samples = 0;
    await holdsFor("always", () => ++samples > 0, 100, 10);
    expect(samples).toBeGreaterThanOrEqual(2); // the first at once, the last at the end
  });

  test("fails at a flap in the middle of the window, though the predicate holds before and after it", async () => {
    let samples = 0;
    const flapping = () => ++samples !== 3; // false at the third sample only
    const msg = await holdsFor("steady", flapping, 10_000, 1).then(() => "held", (e: Error) => e.message);
    expect(msg).toMatch(/^steady stopped holding after \d+ of 10000 ms$/);
    expect(samples).toBe(3); // it stopped at the flap, not at the end of the window
  });

  test("a throw counts as not holding", async () => {
    const fail = () => {
      throw new Error("boom");
    };
    expect(await holdsFor("x", fail, 50).then(() => "held", (e: Error) => e.message)).toMatch(/x stopped holding after \d+ of 50 ms: Error: boom/);
  });

  test("waitFor returns the first truthy value", async () => {
    let n = 0;
    expect(await waitFor("three", () => (++n >= 3 ? n : 0), 1000, 1)).toBe(3);
  });
});

describe("SeededRandom", () => {
  test("the same seed gives the same sequence; another seed another", () => {
    const a = seededFloats(42), b = seededFloats(42), c = seededFloats(43);
    const xs = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xs);
    expect(Array.from({ length: 5 }, c)).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  test("int stays in [lo, hi) and reaches both ends", () => {
    const r = new SeededRandom(7);
    const seen = new Set(Array.from({ length: 500 }, () => r.int(3, 6)));
    expect([...seen].sort()).toEqual([3, 4, 5]);
  });
});
