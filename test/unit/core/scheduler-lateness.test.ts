/** The scheduler's late-timer hook (src/core/scheduler.ts `lateness`), which drives max_auto_priority. */
import { expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";

test("a timer run later than the threshold reports how late; one on time does not", () => {
  const s = new FakeScheduler();
  const late: number[] = [];
  s.lateness = { thresholdMs: 100, onLate: (ms) => late.push(ms) };
  s.after(50, () => {});
  s.advance(50);
  expect(late).toEqual([]);
  s.after(50, () => {});
  s.stall(300); // the process was not scheduled
  s.advance(0);
  expect(late).toEqual([250]);
});

test("soon() work is not a late timer", () => {
  const s = new FakeScheduler();
  const late: number[] = [];
  s.lateness = { thresholdMs: 1, onLate: (ms) => late.push(ms) };
  s.soon(() => {});
  s.stall(10);
  s.advance(0);
  expect(late).toEqual([]);
});
