/**
 * Shared pieces of the side-by-side benchmarks: the two implementations, process-tree sampling
 * (RSS from /proc/PID/status; CPU is bench/cpu.ts), statistics, and the table printer.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** An implementation under test. */
export interface Impl {
  name: "keepalived" | "ours";
  bin: string;
}

/** Both implementations; keepalived first. */
export function impls(ours: string): Impl[] {
  const ka = "/usr/sbin/keepalived";
  if (!existsSync(ka)) throw new Error("bench: /usr/sbin/keepalived is missing (run scripts/install-test-deps.sh)");
  return [{ name: "keepalived", bin: ka }, { name: "ours", bin: ours }];
}

/** pid and all its descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const l = children.get(ppid) ?? [];
      l.push(Number(e));
      children.set(ppid, l);
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Sum of VmRSS over pids, KiB. */
export function rssKiB(pids: number[]): number {
  let s = 0;
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      s += Number(m?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return s;
}

/** Sum of Pss (proportional set size: shared pages split between the processes that map them), KiB. */
export function pssKiB(pids: number[]): number {
  let s = 0;
  for (const p of pids) {
    try {
      const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"));
      s += Number(m?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return s;
}

/**
 * Sum of on-CPU time over the threads of pids alive now (/proc/PID/task/TID/schedstat), ns. The time of a
 * thread that exited is not in it, so a difference of two samples can be too low or negative: measure
 * with bench/cpu.ts `cpuMeter`; this stays for the test that shows the difference.
 */
export function schedstatNs(pids: number[]): number {
  let s = 0;
  for (const p of pids) {
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        s += Number(readFileSync(`/proc/${p}/task/${t}/schedstat`, "utf8").split(" ")[0]);
      }
    } catch { /* gone */ }
  }
  return s;
}

/** Median. */
export function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Quantile q in [0,1]. */
export function quantile(a: number[], q: number): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

/** One row of the results table. */
export interface Row {
  scenario: string;
  metric: string;
  keepalived: number;
  ours: number;
  unit: string;
  /** true when smaller is better (time, memory, CPU). */
  lowerIsBetter: boolean;
}

/** Prints the side-by-side table with ratios ours/keepalived. */
export function printTable(rows: Row[]): void {
  console.log("| scenario | metric | keepalived 2.2.7 | ours | ours / keepalived |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) {
    const ratio = r.keepalived ? r.ours / r.keepalived : NaN;
    const f = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : "n/a");
    console.log(`| ${r.scenario} | ${r.metric} (${r.unit}) | ${f(r.keepalived)} | ${f(r.ours)} | ${Number.isFinite(ratio) ? ratio.toFixed(2) + "×" : "n/a"} |`);
  }
}

export { vrrpConf } from "../test/support/config-fixtures.ts";
