/**
 * Per-process scheduling through libc (keepalived.conf(5) global_defs `<process>_priority`, `_rt_priority`,
 * `_cpu_affinity`, `_rlimit_rttime`, `_no_swap`, the `*_process_name` keywords): nice value
 * (setpriority(2)), SCHED_RR (sched_setscheduler(2), with SCHED_RESET_ON_FORK so that scripts and threads
 * started later do not inherit it), CPU affinity (sched_setaffinity(2)), RLIMIT_RTTIME (setrlimit(2)),
 * memory locking (mlockall(2)) and the process name (prctl(PR_SET_NAME), which /proc/PID/comm shows).
 *
 * Linux keeps nice, policy and affinity per thread, and a Bun process has several (JavaScript's main
 * thread, the reactor's Worker, the runtime's JIT and GC helpers): threadsOf() lists them so the caller
 * chooses which ones a setting reaches (src/procs/sched.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { addressOf, check, clearErrno, cstr, errno, libc, PR_SET_NAME, SysError } from "./libc.ts";

const PRIO_PROCESS = 0;
const SCHED_OTHER = 0, SCHED_RR = 2, SCHED_RESET_ON_FORK = 0x40000000;
const RLIMIT_RTTIME = 15;
/** MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT: pages are locked as they are touched, nothing is populated ahead. */
const MCL_ALL_ONFAULT = 1 | 2 | 4;
/** cpu_set_t of glibc: 1024 CPUs. */
const CPU_SET_BYTES = 128;
/** RLIM_INFINITY. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** One thread of this process. */
export interface ThreadInfo {
  readonly tid: number;
  readonly comm: string;
}

/** The threads of this process now (/proc/self/task), the main thread first. */
export function threadsOf(): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (const t of readdirSync("/proc/self/task")) {
    const tid = Number(t);
    try {
      out.push({ tid, comm: readFileSync(`/proc/self/task/${t}/comm`, "utf8").trimEnd() });
    } catch { /* the thread ended */ }
  }
  const pid = process.pid;
  return out.sort((a, b) => (a.tid === pid ? -1 : b.tid === pid ? 1 : a.tid - b.tid));
}

/** The nice value of a thread (getpriority(2) returns it as is: errno tells an error from -1). */
export function getNice(tid: number): number {
  clearErrno();
  const n = libc.getpriority(PRIO_PROCESS, tid);
  if (n === -1 && errno() !== 0) throw new SysError("getpriority", errno(), `${tid}`);
  return n;
}

/** Sets a thread's nice value (-20..19). */
export function setNice(tid: number, nice: number): void {
  check("setpriority", libc.setpriority(PRIO_PROCESS, tid, nice), `${tid} ${nice}`);
}

const param = new Int32Array(1);
/** SCHED_RR at `priority` (1..99) with SCHED_RESET_ON_FORK, or SCHED_OTHER when `priority` is 0. */
export function setRealtime(tid: number, priority: number): void {
  param[0] = priority;
  const policy = priority > 0 ? SCHED_RR | SCHED_RESET_ON_FORK : SCHED_OTHER;
  check("sched_setscheduler", libc.sched_setscheduler(tid, policy, param), `${tid} ${priority}`);
}

/** Restricts a thread to `cpus` (CPU numbers). */
export function setAffinity(tid: number, cpus: readonly number[]): void {
  const set = new Uint8Array(CPU_SET_BYTES);
  for (const c of cpus) if (c >= 0 && c < CPU_SET_BYTES * 8) set[c >> 3]! |= 1 << (c & 7);
  check("sched_setaffinity", libc.sched_setaffinity(tid, CPU_SET_BYTES, set), `${tid} ${cpus.join(",")}`);
}

const rlim = new BigUint64Array(2);
/** RLIMIT_RTTIME (µs): soft and hard. */
export function getRtTimeLimit(): { soft: bigint; hard: bigint } {
  check("getrlimit(RLIMIT_RTTIME)", libc.getrlimit(RLIMIT_RTTIME, rlim));
  return { soft: rlim[0]!, hard: rlim[1]! };
}

/** Sets RLIMIT_RTTIME (µs). */
export function setRtTimeLimit(soft: bigint, hard: bigint): void {
  rlim[0] = soft;
  rlim[1] = hard;
  check("setrlimit(RLIMIT_RTTIME)", libc.setrlimit(RLIMIT_RTTIME, rlim), `${soft}/${hard}`);
}

const RUSAGE_THREAD = 1;
/** struct rusage: two timevals, then 14 longs; ru_nvcsw is the 13th. */
const rusage = new BigInt64Array(18);
/** The calling thread's voluntary context switches (getrusage(2) RUSAGE_THREAD ru_nvcsw). */
export function voluntarySwitches(): number {
  check("getrusage(RUSAGE_THREAD)", libc.getrusage(RUSAGE_THREAD, rusage));
  return Number(rusage[16]!);
}

const napTs = new BigInt64Array([0n, 20_000n]);
/** Sleeps the calling thread 20 µs (nanosleep(2)): long enough that the kernel does take it off the CPU. */
export function nap(): void {
  libc.nanosleep(napTs, null);
}

/** Locks the process's memory, present and future, page by page as it is touched. */
export function lockMemory(): void {
  check("mlockall", libc.mlockall(MCL_ALL_ONFAULT));
}

/** Undoes lockMemory(). */
export function unlockMemory(): void {
  check("munlockall", libc.munlockall());
}

/** Renames the calling thread (the main thread: /proc/PID/comm); the kernel keeps 15 bytes. */
export function setThreadName(name: string): void {
  const buf = cstr(name);
  check("prctl(PR_SET_NAME)", libc.prctl(PR_SET_NAME, addressOf(buf), 0, 0, 0), name);
}

/** The main thread's name now. */
export function processName(): string {
  return readFileSync("/proc/self/comm", "utf8").trimEnd();
}
