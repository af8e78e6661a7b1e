/**
 * The one source of randomness for tests: seeded, so a failure can be replayed. The seed is
 * TEST_SEED when set, otherwise a fixed default; a test that wants variety across runs passes its own.
 */

/** The seed tests use unless they pass one: TEST_SEED, or 1. */
export const TEST_SEED = Number(process.env.TEST_SEED ?? 1) >>> 0;

/** A small deterministic generator (mulberry32): same seed, same sequence. */
export class SeededRandom {
  #state: number;
  constructor(readonly seed: number = TEST_SEED) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1), like Math.random. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
  /** A string of `n` base-36 characters (names for temp files and interfaces). */
  token(n = 8): string {
    let s = "";
    for (let i = 0; i < n; i++) s += this.int(0, 36).toString(36);
    return s;
  }
}

/** `Math.random`'s shape from a seed: `() => float in [0, 1)`. */
export function seededFloats(seed: number = TEST_SEED): () => number {
  const r = new SeededRandom(seed);
  return () => r.next();
}
