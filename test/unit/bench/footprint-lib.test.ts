/** bench/footprint-lib.ts: smaps_rollup parsing, sums, the soak's slope and warm-up cut. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  afterWarmup,
  meanMem,
  meanReadings,
  medianKiB,
  parseSmapsRollup,
  segmentSlopes,
  slopeKiBPerMin,
  sumMem,
  windowGrowth,
  windowMinima,
} from "../../../bench/footprint-lib.ts";

// A real /proc/PID/smaps_rollup (Linux 6.x, a `cat` process).
const ROLLUP = `55f9c43fc000-7ffd0b808000 ---p 00000000 00:00 0                          [rollup]
Rss:                1744 kB
Pss:                 198 kB
Pss_Dirty:           112 kB
Pss_Anon:            112 kB
Pss_File:             86 kB
Pss_Shmem:             0 kB
Shared_Clean:       1592 kB
Shared_Dirty:          0 kB
Private_Clean:        40 kB
Private_Dirty:       112 kB
Referenced:         1744 kB
Anonymous:           112 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
`;

describe("parseSmapsRollup", () => {
  test("reads RSS, PSS, anonymous, shared and private KiB", () => {
    expect(parseSmapsRollup(ROLLUP)).toEqual({ rss: 1744, pss: 198, anon: 112, shared: 1592, private: 152 });
  });
  test("Pss_Anon does not shadow Pss, nor Shared_Hugetlb the shared pages", () => {
    const m = parseSmapsRollup(ROLLUP + "Shared_Hugetlb:      999 kB\n");
    expect([m.pss, m.shared]).toEqual([198, 1592]);
  });
  test("a text that is not a rollup names the missing field", () => {
    expect(() => parseSmapsRollup("Rss: 12 kB\n")).toThrow(/no "Pss:" line/);
  });
  test("this process's own rollup parses and is consistent", () => {
    const m = parseSmapsRollup(readFileSync("/proc/self/smaps_rollup", "utf8"));
    expect(m.rss).toBeGreaterThan(0);
    expect(m.pss).toBeLessThanOrEqual(m.rss);
    expect(m.shared + m.private).toBe(m.rss);
  });
  test("sums add field by field; the sum of nothing is zero", () => {
    const m = parseSmapsRollup(ROLLUP);
    expect(sumMem([m, m])).toEqual({ rss: 3488, pss: 396, anon: 224, shared: 3184, private: 304 });
    expect(sumMem([]).rss).toBe(0);
  });
});

describe("slopeKiBPerMin", () => {
  test("a straight line gives its slope exactly; a flat one zero", () => {
    const line = [0, 1, 2, 3, 4].map((min) => ({ min, kib: 30_000 + 16 * min }));
    expect(slopeKiBPerMin(line)).toBeCloseTo(16, 10);
    expect(slopeKiBPerMin(line.map((p) => ({ ...p, kib: 5 })))).toBe(0);
  });
  test("noise around a line: least squares", () => {
    // y = 2x + noise (+1, -1, +1, -1): the fitted slope is 2 - 0.4 = 1.6 for x = 0..3.
    const pts = [[0, 1], [1, 1], [2, 5], [3, 5]].map(([min, kib]) => ({ min: min!, kib: kib! }));
    expect(slopeKiBPerMin(pts)).toBeCloseTo(1.6, 10);
  });
  test("fewer than two points, or all at one time: NaN", () => {
    expect(slopeKiBPerMin([])).toBeNaN();
    expect(slopeKiBPerMin([{ min: 1, kib: 1 }])).toBeNaN();
    expect(slopeKiBPerMin([{ min: 1, kib: 1 }, { min: 1, kib: 9 }])).toBeNaN();
  });
  test("afterWarmup drops the first fraction of the time span", () => {
    const pts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((min) => ({ min, kib: min < 2 ? 0 : 100 }));
    expect(afterWarmup(pts, 0.2).map((p) => p.min)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(slopeKiBPerMin(afterWarmup(pts, 0.2))).toBe(0);
    expect(afterWarmup([], 0.5)).toEqual([]);
  });
});

describe("meanMem and meanReadings (the steady reading)", () => {
  const m = (rss: number, anon = 0) => ({ rss, pss: rss / 2, anon, shared: 0, private: rss });
  test("meanMem averages each field; nothing is zero", () => {
    expect(meanMem([m(10, 2), m(30, 4)])).toEqual({ rss: 20, pss: 10, anon: 3, shared: 0, private: 20 });
    expect(meanMem([])).toEqual({ rss: 0, pss: 0, anon: 0, shared: 0, private: 0 });
  });
  test("per process by pid, then summed; a process in some readings only is averaged over those", () => {
    const t = meanReadings([
      [{ pid: 1, role: "parent", mem: m(10) }, { pid: 2, role: "vrrp", mem: m(40, 8) }],
      [{ pid: 1, role: "parent", mem: m(20) }, { pid: 2, role: "vrrp", mem: m(20, 4) }],
      [{ pid: 1, role: "parent", mem: m(30) }],
    ]);
    expect(t.procs.map((p) => [p.pid, p.role, p.mem.rss, p.mem.anon])).toEqual([[1, "parent", 20, 0], [2, "vrrp", 30, 6]]);
    expect(t.total.rss).toBe(50);
    expect(t.total.pss).toBe(25);
  });
});

describe("sawtooth measures", () => {
  // 10 minutes sampled every 10 s: a sawtooth rising 1 MiB over 2 minutes and falling back, on a flat floor.
  const saw = Array.from({ length: 61 }, (_, i) => ({ min: i / 6, kib: 10_000 + ((i % 12) / 12) * 1024 }));
  test("a flat sawtooth: the minima's slope is 0, and the windows' growth small, while least squares reads its phase", () => {
    // The run ends just after a tooth's top half: the fitted line is pulled by where the cut falls.
    const cut = saw.slice(0, 58);
    expect(Math.abs(slopeKiBPerMin(afterWarmup(cut, 0.2)))).toBeGreaterThan(16);
    expect(slopeKiBPerMin(windowMinima(afterWarmup(saw, 0.2), 2))).toBeCloseTo(0, 6);
    expect(Math.abs(windowGrowth(saw, [0.2, 0.4], [0.8, 1]))).toBeLessThan(16);
  });
  test("a sawtooth on a rising floor: the minima give the floor's slope", () => {
    const rising = saw.map((p) => ({ min: p.min, kib: p.kib + 100 * p.min }));
    expect(slopeKiBPerMin(windowMinima(rising, 2))).toBeCloseTo(100, 0);
    expect(windowGrowth(rising, [0.2, 0.4], [0.8, 1])).toBeGreaterThan(60);
  });
  test("windowMinima keeps each window's lowest sample at its own time; empty input or width gives none", () => {
    const pts = [{ min: 0, kib: 5 }, { min: 0.5, kib: 3 }, { min: 1, kib: 9 }, { min: 1.9, kib: 8 }, { min: 2.1, kib: 1 }];
    expect(windowMinima(pts, 1)).toEqual([{ min: 0.5, kib: 3 }, { min: 1.9, kib: 8 }, { min: 2.1, kib: 1 }]);
    expect(windowMinima([], 1)).toEqual([]);
    expect(windowMinima(pts, 0)).toEqual([]);
  });
  test("medianKiB of odd and even counts; windowGrowth of too few points is NaN", () => {
    expect(medianKiB([{ min: 0, kib: 3 }, { min: 1, kib: 1 }, { min: 2, kib: 2 }])).toBe(2);
    expect(medianKiB([{ min: 0, kib: 4 }, { min: 1, kib: 1 }])).toBe(2.5);
    expect(medianKiB([])).toBeNaN();
    expect(windowGrowth([{ min: 0, kib: 1 }], [0, 0.5], [0.5, 1])).toBeNaN();
    // A straight line: the windows' growth is its slope.
    const line = Array.from({ length: 11 }, (_, i) => ({ min: i, kib: 50 * i }));
    expect(windowGrowth(line, [0.2, 0.4], [0.8, 1])).toBeCloseTo(50, 6);
  });
});

describe("segmentSlopes", () => {
  test("a warm-up that settles: the segments' slopes fall to 0; a leak keeps its slope in every segment", () => {
    // 20 minutes every 10 s: the floor rises 300 KiB/min for 5 minutes, 100 for 5, then stays; small teeth on top.
    const floor = (m: number) => (m < 5 ? 300 * m : m < 10 ? 1500 + 100 * (m - 5) : 2000);
    const settle = Array.from({ length: 121 }, (_, i) => ({ min: i / 6, kib: 10_000 + floor(i / 6) + (i % 3) * 40 }));
    const s = segmentSlopes(settle, 5);
    expect(s.length).toBe(4);
    expect(s[0]!).toBeCloseTo(300, -1);
    expect(s[1]!).toBeCloseTo(100, -1);
    expect(Math.abs(s[2]!)).toBeLessThan(1);
    expect(Math.abs(s[3]!)).toBeLessThan(1);
    const leak = settle.map((p) => ({ min: p.min, kib: 10_000 + 200 * p.min + (Math.round(p.min * 6) % 3) * 40 }));
    for (const v of segmentSlopes(leak, 5)) expect(v).toBeCloseTo(200, -1);
  });
  test("no points or no segment length: none", () => {
    expect(segmentSlopes([], 5)).toEqual([]);
    expect(segmentSlopes([{ min: 0, kib: 1 }, { min: 1, kib: 2 }], 0)).toEqual([]);
  });
});
