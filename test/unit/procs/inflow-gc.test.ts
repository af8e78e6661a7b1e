import { expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { INFLOW_DELAY_MS, INFLOW_MIN_GAP_MS, InflowCollector } from "../../../src/procs/inflow-gc.ts";

/** A fake scheduler whose collections are recorded. */
function fake() {
  const sched = new FakeScheduler();
  const collections: number[] = [];
  const make = (threshold: number) => new InflowCollector(sched, threshold, () => void collections.push(sched.now()));
  return { make, advance: (ms: number) => sched.advance(ms), collections, sched };
}

test("nothing received, or less than the threshold: no collection", () => {
  const f = fake();
  const c = f.make(1000);
  f.advance(60_000);
  c.note(999);
  f.advance(60_000);
  expect(f.collections).toEqual([]);
  expect(f.sched.pending).toBe(0);
});

test("crossing the threshold collects once, after the burst's delay; the count starts again", () => {
  const f = fake();
  const c = f.make(1000);
  f.advance(5000);
  for (let i = 0; i < 30; i++) c.note(100); // one burst: 3,000 bytes
  expect(f.sched.pending).toBe(1);
  f.advance(INFLOW_DELAY_MS);
  expect(f.collections).toEqual([5000 + INFLOW_DELAY_MS]);
  c.note(999);
  f.advance(10_000);
  expect(c.runs).toBe(1);
});

test("collections are at least INFLOW_MIN_GAP_MS apart under a steady stream", () => {
  const f = fake();
  const c = f.make(1000);
  for (let i = 0; i < 100; i++) {
    c.note(5000);
    f.advance(100);
  }
  expect(f.collections.length).toBeGreaterThan(5);
  expect(f.collections.length).toBeLessThanOrEqual(11);
  for (let i = 1; i < f.collections.length; i++) expect(f.collections[i]! - f.collections[i - 1]!).toBeGreaterThanOrEqual(INFLOW_MIN_GAP_MS);
});

test("the real clock collects (Bun.gc) after a large inflow", async () => {
  const c = new InflowCollector(undefined, 10);
  c.note(11);
  for (let i = 0; i < 100 && c.runs === 0; i++) await Bun.sleep(10);
  expect(c.runs).toBe(1);
});
