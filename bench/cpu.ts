/**
 * CPU of a daemon under test the way the kernel accounts it (cgroups(7); proc(5) /proc/PID/stat fields
 * 14-17). The daemon's process tree moves into a cgroup of its own and the figure is that cgroup's
 * counter: cgroup v1 `cpuacct.usage` (ns) or cgroup v2 `cpu.stat` `usage_usec`. The counter belongs to
 * the cgroup, so the time of a thread or process that exits stays in it, and whatever the daemon starts
 * later (children, scripts) is born inside it. Where no cgroup can be made (inside the VM, not root) it
 * falls back to utime+stime+cutime+cstime summed over the process tree: a process keeps its exited
 * threads' time, and a reaped child's time moves into its parent's cutime/cstime (clock ticks, 10 ms).
 * The old way, summing /proc/PID/task/TID/schedstat over the threads alive at a sample, loses the time
 * of every thread that exited in between (bench/lib.ts `schedstatNs`, kept to show the difference).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processTree } from "./lib.ts";

/** How a meter counts. */
export type CpuMethod = "cgroup-v1" | "cgroup-v2" | "proc";

/** CPU of one process tree since the meter started. */
export interface CpuMeter {
  readonly method: CpuMethod;
  /** CPU time used since start, ns. */
  ns(): number;
  /** Moves what is left back where it came from and removes the cgroup. */
  close(): void;
}

const V1 = "/sys/fs/cgroup/cpuacct";
const V2 = "/sys/fs/cgroup";
/** USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux architecture we build for. */
const TICK_NS = 1e9 / 100;
let seq = 0;

/** The cgroup hierarchy to use, or undefined when none is writable (or BENCH_CPU=proc). */
function hierarchy(): { method: CpuMethod; root: string } | undefined {
  if (process.env.BENCH_CPU === "proc") return undefined;
  if (existsSync(join(V1, "cpuacct.usage"))) return { method: "cgroup-v1", root: V1 };
  if (existsSync(join(V2, "cgroup.controllers"))) return { method: "cgroup-v2", root: V2 };
  return undefined;
}

/** This process's cgroup in the hierarchy (relative path), from /proc/self/cgroup. */
function ownCgroup(method: CpuMethod): string {
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [id, ctrls, path] = line.split(":");
    if (path === undefined) continue;
    if (method === "cgroup-v2" ? id === "0" && ctrls === "" : ctrls!.split(",").includes("cpuacct")) return path;
  }
  return "/";
}

/** utime+stime+cutime+cstime of one process, ns (0 when it is gone). */
export function procStatNs(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // f[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17.
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_NS;
  } catch {
    return 0;
  }
}

/** A cgroup of our own holding `pid`'s process tree. */
class CgroupMeter implements CpuMeter {
  readonly #dir: string;
  readonly #home: string;
  readonly #start: number;

  constructor(readonly method: CpuMethod, root: string, pid: number, label: string, tree: boolean) {
    const prefix = process.env.BENCH_CGROUP_PREFIX ?? "kabench-";
    this.#dir = join(root, `${prefix}${label}-${process.pid}-${++seq}`);
    this.#home = join(root, ownCgroup(method), "cgroup.procs");
    mkdirSync(this.#dir);
    try {
      // Twice: a process forked while the first pass ran is found by the second (its children are born inside).
      for (let pass = 0; pass < 2; pass++) for (const p of tree ? processTree(pid) : [pid]) this.#move(p, join(this.#dir, "cgroup.procs"));
    } catch (e) {
      this.close();
      throw e;
    }
    this.#start = this.#usage();
  }

  #move(pid: number, procs: string): void {
    try {
      writeFileSync(procs, `${pid}\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw new Error(`cannot move pid ${pid} into ${procs}: ${(e as Error).message}`);
    }
  }

  #usage(): number {
    if (this.method === "cgroup-v1") return Number(readFileSync(join(this.#dir, "cpuacct.usage"), "utf8"));
    const m = /^usage_usec (\d+)/m.exec(readFileSync(join(this.#dir, "cpu.stat"), "utf8"));
    if (!m) throw new Error(`no usage_usec in ${this.#dir}/cpu.stat`);
    return Number(m[1]) * 1000;
  }

  ns(): number {
    return this.#usage() - this.#start;
  }

  close(): void {
    if (!existsSync(this.#dir)) return;
    for (let i = 0;; i++) {
      const left = readFileSync(join(this.#dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
      for (const p of left) this.#move(p, this.#home);
      try {
        rmdirSync(this.#dir);
        return;
      } catch (e) {
        // EBUSY while a moved task is still exiting.
        if (i >= 50) throw new Error(`cannot remove cgroup ${this.#dir}: ${(e as Error).message}`);
        Bun.sleepSync(20);
      }
    }
  }
}

/** The /proc/PID/stat fallback: the tree's utime+stime+cutime+cstime at each reading. */
class ProcStatMeter implements CpuMeter {
  readonly method = "proc" as const;
  readonly #start: number;
  constructor(readonly pid: number, readonly tree: boolean) {
    this.#start = this.#sum();
  }
  #sum(): number {
    let s = 0;
    for (const p of this.tree ? processTree(this.pid) : [this.pid]) s += procStatNs(p);
    return s;
  }
  ns(): number {
    return this.#sum() - this.#start;
  }
  close(): void {}
}

/**
 * Starts measuring the CPU of `pid` and everything it runs, in a cgroup named after `label` when the
 * host allows one (BENCH_CPU=proc forces the /proc fallback; BENCH_CGROUP_PREFIX names the cgroups).
 * `tree: false` measures `pid` alone (and what it starts from now on), not its running children.
 */
export function cpuMeter(pid: number, label: string, o: { tree?: boolean } = {}): CpuMeter {
  const tree = o.tree ?? true;
  const h = hierarchy();
  if (h) {
    try {
      return new CgroupMeter(h.method, h.root, pid, label, tree);
    } catch (e) {
      if (process.env.BENCH_CPU === "cgroup") throw e;
      if (process.env.BENCH_DEBUG) console.error(`bench: no cgroup (${(e as Error).message}); /proc/PID/stat instead`);
    }
  } else if (process.env.BENCH_CPU === "cgroup") {
    throw new Error("bench: BENCH_CPU=cgroup but no cgroup hierarchy with CPU accounting is mounted");
  }
  return new ProcStatMeter(pid, tree);
}
