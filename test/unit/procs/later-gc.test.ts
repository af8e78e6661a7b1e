import { expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { LaterGc } from "../../../src/procs/later-gc.ts";

/** A LaterGc on a fake scheduler, recording when it collects. */
function rig(settle: boolean) {
  const sched = new FakeScheduler();
  const at: number[] = [];
  const g = new LaterGc(sched, { threshold: 10, delayMs: 100, settle, minGapMs: 1000 }, () => void at.push(sched.now()));
  return { sched, at, g };
}

test("below the threshold nothing is armed; the count starts again after each collection", () => {
  const { sched, at, g } = rig(false);
  g.note(9);
  sched.advance(10_000);
  expect(sched.pending).toBe(0);
  g.note(1); // the tenth: due 100 ms later
  sched.advance(100);
  expect(at).toEqual([10_100]);
  g.note(9);
  sched.advance(10_000);
  expect(at).toEqual([10_100]);
  expect(g.runs).toBe(1);
});

test("without settle the note that made it due fixes the time; with settle each later note moves it", () => {
  for (const settle of [false, true]) {
    const { sched, at, g } = rig(settle);
    g.note(10);
    sched.advance(60);
    g.note(10);
    sched.advance(60);
    g.note(10);
    sched.advance(1000);
    expect(at).toEqual(settle ? [220] : [100, 1100]); // without settle, the note at 120 came after the collection: due at the gap
  }
});

test("never sooner than minGapMs after the previous collection; stop drops a pending one", () => {
  const { sched, at, g } = rig(true);
  g.note(10);
  sched.advance(100);
  g.note(10);
  sched.advance(998);
  expect(at).toEqual([100]);
  sched.advance(2);
  expect(at).toEqual([100, 1100]);
  g.note(10);
  g.stop();
  sched.advance(10_000);
  expect(at).toEqual([100, 1100]);
});
