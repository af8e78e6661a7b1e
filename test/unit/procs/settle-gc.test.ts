import { describe, expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { MIN_SPACING_MS, SETTLE_MS, SettleGc } from "../../../src/procs/settle-gc.ts";

describe("SettleGc", () => {
  test("collects once, SETTLE_MS after the last change of a burst", () => {
    const s = new FakeScheduler(1000);
    const at: number[] = [];
    const g = new SettleGc(s, () => at.push(s.now()));
    for (let i = 0; i < 5; i++) {
      g.changed();
      s.advance(500);
    }
    expect(at).toEqual([]);
    s.advance(SETTLE_MS);
    expect(at).toEqual([1000 + 2000 + SETTLE_MS]);
    s.advance(10 * MIN_SPACING_MS);
    expect(at.length).toBe(1);
  });

  test("a later burst waits until MIN_SPACING_MS after the previous collection", () => {
    const s = new FakeScheduler(0);
    const at: number[] = [];
    const g = new SettleGc(s, () => at.push(s.now()));
    g.changed();
    s.advance(SETTLE_MS);
    expect(at).toEqual([SETTLE_MS]);
    s.advance(5000);
    g.changed();
    s.advance(MIN_SPACING_MS - 5000 - 1);
    expect(at.length).toBe(1);
    s.advance(1);
    expect(at).toEqual([SETTLE_MS, SETTLE_MS + MIN_SPACING_MS]);
  });

  test("an idle child never collects, and stop() drops a pending collection", () => {
    const s = new FakeScheduler(0);
    let n = 0;
    const g = new SettleGc(s, () => n++);
    s.advance(10 * MIN_SPACING_MS);
    expect(n).toBe(0);
    g.changed();
    g.stop();
    s.advance(10 * MIN_SPACING_MS);
    expect(n).toBe(0);
  });
});

describe("SettleGc.activity", () => {
  test("a script every second: collects SETTLE_MS after the first run, then once per MIN_SPACING_MS, never postponed", () => {
    const s = new FakeScheduler(0);
    const at: number[] = [];
    const g = new SettleGc(s, () => at.push(s.now()));
    for (let t = 0; t < 3 * MIN_SPACING_MS; t += 1000) {
      g.activity();
      s.advance(1000);
    }
    expect(at).toEqual([SETTLE_MS, SETTLE_MS + MIN_SPACING_MS, SETTLE_MS + 2 * MIN_SPACING_MS]);
  });
  test("activity does not move a collection that a state change armed, and stop() drops it", () => {
    const s = new FakeScheduler(0);
    const at: number[] = [];
    const g = new SettleGc(s, () => at.push(s.now()));
    g.changed();
    s.advance(1000);
    g.activity();
    s.advance(SETTLE_MS - 1000);
    expect(at).toEqual([SETTLE_MS]);
    g.activity();
    g.stop();
    s.advance(10 * MIN_SPACING_MS);
    expect(at).toEqual([SETTLE_MS]);
  });
});
