import { describe, expect, test } from "bun:test";
import { effectivePriority, parseTrackFileValue, type Tracker, trackerEffect } from "../../../src/vrrp/priority.ts";

const iface = (up: boolean, weight = 0, reverse = false): Tracker => ({
  kind: "interface",
  name: "eth1",
  weight,
  reverse,
  up,
});
const script = (up: boolean, weight = 0, reverse = false): Tracker => ({
  kind: "script",
  name: "chk",
  weight,
  reverse,
  up,
});
const file = (value: number, weight = 1, reverse = false): Tracker => ({
  kind: "file",
  name: "tf",
  weight,
  reverse,
  value,
});
const proc = (up: boolean, weight = 1, reverse = false): Tracker => ({
  kind: "process",
  name: "nginx",
  weight,
  reverse,
  up,
});
const bfd = (up: boolean, weight = 0, reverse = false): Tracker => ({
  kind: "bfd",
  name: "b1",
  weight,
  reverse,
  up,
});

describe("one tracker's effect (table)", () => {
  const rows: [string, Tracker, number, boolean][] = [
    // name, tracker, delta, fault
    ["unweighted interface up", iface(true), 0, false],
    ["unweighted interface down -> FAULT", iface(false), 0, true],
    ["interface +10 up adds", iface(true, 10), 10, false],
    ["interface +10 down adds nothing", iface(false, 10), 0, false],
    ["interface -10 down subtracts", iface(false, -10), -10, false],
    ["interface -10 up adds nothing", iface(true, -10), 0, false],
    ["interface +10 reverse up subtracts", iface(true, 10, true), -10, false],
    ["interface -10 reverse down adds", iface(false, -10, true), 10, false],
    ["script weight 0 failing -> FAULT", script(false), 0, true],
    ["script weight 0 reverse OK -> FAULT", script(true, 0, true), 0, true],
    ["script weight 0 reverse failing -> fine", script(false, 0, true), 0, false],
    ["script +20 OK", script(true, 20), 20, false],
    ["script -20 failing", script(false, -20), -20, false],
    ["file value 5 * weight 2", file(5, 2), 10, false],
    ["file value -3 * weight 10", file(-3, 10), -30, false],
    ["file reverse negates", file(5, 2, true), -10, false],
    ["file -253 is still a priority change", file(-253, 1), -253, false],
    ["file -254 is FAULT", file(-254, 1), 0, true],
    ["file -127 * 2 = -254 is FAULT", file(-127, 2), 0, true],
    ["file weight 0 value 0 OK", file(0, 0), 0, false],
    ["file weight 0 non-zero -> FAULT", file(7, 0), 0, true],
    ["process quorum met +1", proc(true), 1, false],
    ["process weight -50 down", proc(false, -50), -50, false],
    ["process weight 0 down -> FAULT", proc(false, 0), 0, true],
    ["bfd weight 0 down -> FAULT", bfd(false), 0, true],
    ["bfd +30 reverse up", bfd(true, 30, true), -30, false],
  ];
  for (const [name, t, delta, fault] of rows) {
    test(name, () => {
      const e = trackerEffect(t);
      expect(e.delta).toBe(delta);
      expect(e.fault !== undefined).toBe(fault);
    });
  }
});

describe("effective priority", () => {
  test("sum of deltas added to the base", () => {
    expect(effectivePriority(100, [iface(true, 10), script(false, -30), file(2, 5)])).toEqual({
      priority: 90,
      fault: false,
      faultReasons: [],
      totalDelta: -10,
    });
  });
  test("clamped to 1..254", () => {
    expect(effectivePriority(200, [script(true, 100)]).priority).toBe(254);
    expect(effectivePriority(20, [script(false, -100)]).priority).toBe(1);
  });
  test("owner (255) is never adjusted, but weight-0 trackers still FAULT it", () => {
    expect(effectivePriority(255, [script(false, -100)]).priority).toBe(255);
    const r = effectivePriority(255, [iface(false)]);
    expect(r).toMatchObject({ priority: 255, fault: true, faultReasons: ["interface eth1 down"] });
  });
  test("fault reasons name the tracker and value", () => {
    const r = effectivePriority(100, [file(-300, 1), script(false)]);
    expect(r.faultReasons).toEqual(["file tf value -300 * weight 1 = -300 < -253", "script chk down"]);
  });
  test("keepalived 2.2.7 observed: reverse negates the adjustment (from priority 100)", () => {
    expect(effectivePriority(100, [script(true, 10, true)]).priority).toBe(90);
    expect(effectivePriority(100, [script(false, -10, true)]).priority).toBe(110);
    expect(effectivePriority(100, [file(5, 2, true)]).priority).toBe(90);
    expect(effectivePriority(100, [script(true, 10)]).priority).toBe(110);
  });
  test("no trackers: base priority", () => expect(effectivePriority(100, []).priority).toBe(100));
});

describe("track_file content", () => {
  test("leading integer, else 0", () => {
    expect(parseTrackFileValue("42\n")).toBe(42);
    expect(parseTrackFileValue("  -7 trailing")).toBe(-7);
    expect(parseTrackFileValue("")).toBe(0);
    expect(parseTrackFileValue("abc")).toBe(0);
  });
});
