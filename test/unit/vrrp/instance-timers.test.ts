import { expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import type { TimerKind } from "../../../src/vrrp/fsm-types.ts";
import { InstanceTimers } from "../../../src/vrrp/instance-timers.ts";

function setup() {
  const s = new FakeScheduler();
  let made = 0;
  const at = s.at.bind(s);
  s.at = (ms, fn, opts) => (made++, at(ms, fn, opts));
  const fired: [TimerKind, number, number][] = [];
  const t = new InstanceTimers(s, (kind, atMs) => fired.push([kind, atMs, s.now()]));
  return { s, t, fired, made: () => made };
}

test("one handle per kind for the instance's life: set, fire, set again, move, cancel", () => {
  const { s, t, fired, made } = setup();
  t.set("Adver_Timer", 100, 10);
  for (let i = 0; i < 50; i++) {
    s.advance(100);
    expect(t.has("Adver_Timer")).toBe(false); // fired
    t.set("Adver_Timer", s.now() + 100, 10); // what a MASTER does with every advert
  }
  expect(fired.length).toBe(50);
  expect(fired.every(([k, at, now]) => k === "Adver_Timer" && at === now)).toBe(true);
  t.set("Master_Down_Timer", s.now() + 300);
  expect(t.move("Master_Down_Timer", s.now() + 350)).toBe(true);
  expect(made()).toBe(2);
  t.cancel("Adver_Timer");
  t.cancel("Adver_Timer"); // twice: nothing
  expect(t.move("Adver_Timer", s.now() + 1)).toBe(false); // not armed: the caller sets it
  s.advance(1000);
  expect(fired.slice(50).map(([k, at]) => [k, at])).toEqual([["Master_Down_Timer", 5350]]);
  expect(s.pending).toBe(0);
});

test("a changed slack makes a new handle (the old one is cancelled); cancelAll leaves nothing armed", () => {
  const { s, t, fired, made } = setup();
  t.set("Adver_Timer", 100, 10);
  t.set("Adver_Timer", 200, 5);
  expect(made()).toBe(2);
  expect(s.pending).toBe(1);
  t.set("Preempt_Delay_Timer", 150);
  t.cancelAll();
  s.advance(1000);
  expect(fired).toEqual([]);
  expect(t.has("Adver_Timer") || t.has("Preempt_Delay_Timer")).toBe(false);
});
