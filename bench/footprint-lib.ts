/**
 * The measuring part of bench/footprint.ts, pure so it is unit-tested: /proc/PID/smaps_rollup parsing
 * (proc(5): "Rss", "Pss", "Anonymous", "Shared_*", "Private_*" in kB), summing over processes, and the
 * least-squares slope of a memory series (KiB per minute) for the soak.
 */

/** Memory of one process (or a sum of processes), KiB. */
export interface Mem {
  rss: number;
  pss: number;
  /** Anonymous pages (heap, stacks, JIT code): not backed by a file. */
  anon: number;
  /** Pages of mapped files shared with other processes (the executable, libc), clean or dirty. */
  shared: number;
  /** Pages no other process maps. */
  private: number;
}

/** A zero Mem. */
export const ZERO: Mem = { rss: 0, pss: 0, anon: 0, shared: 0, private: 0 };

/** Parses the text of /proc/PID/smaps_rollup; throws naming the missing field when it is not one. */
export function parseSmapsRollup(text: string): Mem {
  const kb = new Map<string, number>();
  for (const m of text.matchAll(/^(\w+):\s+(\d+) kB$/gm)) kb.set(m[1]!, Number(m[2]));
  const get = (k: string) => {
    const v = kb.get(k);
    if (v === undefined) throw new Error(`smaps_rollup: no "${k}:" line in ${JSON.stringify(text.slice(0, 200))}`);
    return v;
  };
  return {
    rss: get("Rss"),
    pss: get("Pss"),
    anon: get("Anonymous"),
    shared: get("Shared_Clean") + get("Shared_Dirty"),
    private: get("Private_Clean") + get("Private_Dirty"),
  };
}

/** Field-by-field sum. */
export function addMem(a: Mem, b: Mem): Mem {
  return { rss: a.rss + b.rss, pss: a.pss + b.pss, anon: a.anon + b.anon, shared: a.shared + b.shared, private: a.private + b.private };
}

/** Sum over a list. */
export function sumMem(list: Mem[]): Mem {
  return list.reduce(addMem, ZERO);
}

/** One sample of a series: minutes since the start, value (KiB). */
export interface Point {
  min: number;
  kib: number;
}

/**
 * Least-squares slope of `kib` over `min` (KiB/min); NaN for fewer than two points or when every
 * sample has the same time.
 */
export function slopeKiBPerMin(points: Point[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0, sy = 0;
  for (const p of points) {
    sx += p.min;
    sy += p.kib;
  }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0;
  for (const p of points) {
    sxx += (p.min - mx) ** 2;
    sxy += (p.min - mx) * (p.kib - my);
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

/** The points after the first `fraction` of the time span (start-up and JIT warm-up left out). */
export function afterWarmup(points: Point[], fraction: number): Point[] {
  if (!points.length) return points;
  const t0 = points[0]!.min, t1 = points[points.length - 1]!.min;
  const cut = t0 + (t1 - t0) * fraction;
  return points.filter((p) => p.min >= cut);
}

/** Field-by-field mean of samples of one process (or tree); ZERO for none. */
export function meanMem(list: Mem[]): Mem {
  if (!list.length) return ZERO;
  const s = sumMem(list), n = list.length;
  return { rss: s.rss / n, pss: s.pss / n, anon: s.anon / n, shared: s.shared / n, private: s.private / n };
}

/** One reading of a process tree: each process by pid. */
export interface PidMem {
  pid: number;
  role: string;
  mem: Mem;
}

/**
 * The mean of several readings of one tree, per process (by pid, in the order of the first reading in
 * which it appears) and summed: a process missing from a reading (gone, or not yet there) is averaged
 * over the readings that have it.
 */
export function meanReadings(readings: PidMem[][]): { procs: PidMem[]; total: Mem } {
  const by = new Map<number, { role: string; mems: Mem[] }>();
  for (const r of readings) {
    for (const p of r) {
      const e = by.get(p.pid) ?? { role: p.role, mems: [] };
      e.mems.push(p.mem);
      by.set(p.pid, e);
    }
  }
  const procs = [...by].map(([pid, e]) => ({ pid, role: e.role, mem: meanMem(e.mems) }));
  return { procs, total: sumMem(procs.map((p) => p.mem)) };
}

/**
 * The lowest sample of each `widthMin`-minute window (counted from the first point), at its own time.
 * A process whose collector and allocator free memory on their own schedules draws a sawtooth: the
 * minima are what it holds after each fall, so their trend is what it keeps, where a least-squares line
 * through the teeth moves with the phase the run happens to end on.
 */
export function windowMinima(points: Point[], widthMin: number): Point[] {
  if (!points.length || !(widthMin > 0)) return [];
  const t0 = points[0]!.min;
  const lows = new Map<number, Point>();
  for (const p of points) {
    const k = Math.floor((p.min - t0) / widthMin);
    const low = lows.get(k);
    if (!low || p.kib < low.kib) lows.set(k, p);
  }
  return [...lows.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

/** Median of the samples' values; NaN for none. */
export function medianKiB(points: Point[]): number {
  if (!points.length) return NaN;
  const v = points.map((p) => p.kib).sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/**
 * Growth between two windows of the run, KiB/min: the median of the samples in the fraction `late` of
 * the time span minus the median in `early`, over the time between the windows' centres (for a
 * 10-minute run, [0.2, 0.4] and [0.8, 1] are minutes 2-4 and 8-10). A median ignores the teeth of a
 * sawtooth that a window holds a few of; NaN when a window holds no sample.
 */
export function windowGrowth(points: Point[], early: [number, number], late: [number, number]): number {
  if (points.length < 2) return NaN;
  const t0 = points[0]!.min, span = points[points.length - 1]!.min - t0;
  const inside = (w: [number, number]) => points.filter((p) => p.min >= t0 + w[0] * span && p.min <= t0 + w[1] * span);
  const dt = ((late[0] + late[1]) / 2 - (early[0] + early[1]) / 2) * span;
  return dt > 0 ? (medianKiB(inside(late)) - medianKiB(inside(early))) / dt : NaN;
}

/**
 * The minima slope (windowMinima of `widthMin`, then least squares) of each `segMin`-minute segment of the run, in order:
 * growth that falls segment by segment towards 0 is a warm-up settling (code compiled as paths get hot), one that stays is
 * a leak. Segments with fewer than two windows give NaN.
 */
export function segmentSlopes(points: Point[], segMin: number, widthMin = 1): number[] {
  if (!points.length || !(segMin > 0)) return [];
  const t0 = points[0]!.min, span = points[points.length - 1]!.min - t0;
  const out: number[] = [];
  for (let a = 0; a < span - 1e-9; a += segMin) {
    const seg = points.filter((p) => p.min >= t0 + a && p.min < t0 + a + segMin);
    out.push(slopeKiBPerMin(windowMinima(seg, widthMin)));
  }
  return out;
}
