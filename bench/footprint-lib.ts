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
