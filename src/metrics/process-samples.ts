/**
 * Prometheus' standard process metrics (the client libraries' `process_*` names) for each process of
 * ours, labelled by role, read at scrape time from /proc (proc(5): /proc/PID/stat fields 14-15 utime and
 * stime and 22 starttime in clock ticks, VmRSS of /proc/PID/status, /proc/PID/fd entries, btime in
 * /proc/stat). Parsing is pure; `readProcessStats` does the reads.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { MetricSample } from "../core/ipc.ts";
import { counter, gauge } from "./exposition.ts";

/** Clock ticks per second (sysconf(_SC_CLK_TCK)), 100 on every Linux ABI we run on. */
export const CLK_TCK = 100;

/** What /metrics says of one process. */
export interface ProcessStats {
  cpuSeconds: number;
  residentBytes: number;
  startTimeSeconds: number;
  openFds: number;
}

/** utime+stime and starttime (ticks) from a /proc/PID/stat line; undefined when malformed. */
export function parseStat(line: string): { cpuTicks: number; startTicks: number } | undefined {
  const close = line.lastIndexOf(")");
  if (close < 0) return undefined;
  // Fields after the command: field 3 (state) is index 0 here.
  const f = line.slice(close + 2).trim().split(/\s+/);
  const utime = Number(f[11]), stime = Number(f[12]), start = Number(f[19]);
  if (![utime, stime, start].every(Number.isFinite)) return undefined;
  return { cpuTicks: utime + stime, startTicks: start };
}

/** The boot time (Unix seconds) from /proc/stat's btime line. */
export function parseBtime(procStat: string): number | undefined {
  const m = /^btime\s+(\d+)$/m.exec(procStat);
  return m ? Number(m[1]) : undefined;
}

/** VmRSS of /proc/PID/status in bytes. */
export function parseVmRss(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Reads one process; undefined when it is gone. */
export function readProcessStats(pid: number): ProcessStats | undefined {
  try {
    const st = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    const btime = parseBtime(readFileSync("/proc/stat", "utf8"));
    const rss = parseVmRss(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (!st || btime === undefined || rss === undefined) return undefined;
    return {
      cpuSeconds: st.cpuTicks / CLK_TCK,
      residentBytes: rss,
      startTimeSeconds: btime + st.startTicks / CLK_TCK,
      openFds: readdirSync(`/proc/${pid}/fd`).length,
    };
  } catch {
    return undefined;
  }
}

/** The four standard families for the given processes (a process that cannot be read is left out). */
export function processSamples(procs: readonly { role: string; pid: number }[], read = readProcessStats): MetricSample[] {
  const out: MetricSample[] = [];
  for (const p of procs) {
    const s = read(p.pid);
    if (!s) continue;
    const l = { role: p.role };
    out.push(
      gauge("process_resident_memory_bytes", "Resident memory size in bytes", l, s.residentBytes),
      counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", l, s.cpuSeconds),
      gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds", l, s.startTimeSeconds),
      gauge("process_open_fds", "Number of open file descriptors", l, s.openFds),
    );
  }
  return out;
}
