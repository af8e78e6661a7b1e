/**
 * bench/cpu.ts: the CPU meter keeps the time of threads that exited during the window (cgroup counter,
 * and the /proc/PID/stat fallback), where the old sum of the live threads' schedstat loses it.
 * Needs root for the cgroup (as every benchmark does).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { existsSync, readdirSync } from "node:fs";
import { cpuMeter } from "../../../bench/cpu.ts";
import { processTree, schedstatNs } from "../../../bench/lib.ts";

const WORKERS = 3, SPIN_MS = 150;

async function run(method: "cgroup" | "proc") {
  process.env.BENCH_CPU = method;
  process.env.BENCH_CGROUP_PREFIX = "kcp-test-";
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "../../support/bench/cpu-threads.ts"), String(WORKERS), String(SPIN_MS)], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const meter = cpuMeter(p.pid, "threads");
    const s0 = schedstatNs(processTree(p.pid));
    p.stdin.write("go\n");
    p.stdin.flush();
    const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
    const line = new TextDecoder().decode((await reader.read()).value);
    const workersNs = Number(line.trim());
    const used = meter.ns();
    const sched = schedstatNs(processTree(p.pid)) - s0;
    meter.close();
    return { method: meter.method, workersNs, used, sched };
  } finally {
    p.stdin.end();
    await p.exited;
    delete process.env.BENCH_CPU;
    delete process.env.BENCH_CGROUP_PREFIX;
  }
}

test("cgroup meter keeps the CPU of exited threads; the live-thread schedstat sum does not", async () => {
  const r = await run("cgroup");
  expect(r.method).toMatch(/^cgroup-v[12]$/);
  expect(r.workersNs).toBeGreaterThanOrEqual(WORKERS * SPIN_MS * 1e6);
  expect(r.used).toBeGreaterThanOrEqual(r.workersNs);
  // The workers' time is gone from the sum over the threads still alive.
  expect(r.sched).toBeLessThan(r.used - 0.8 * r.workersNs);
  expect(readdirSync("/sys/fs/cgroup/cpuacct").some((d) => d.startsWith("kcp-test-"))).toBe(false);
}, 60_000);

test("/proc/PID/stat fallback keeps the CPU of exited threads", async () => {
  const r = await run("proc");
  expect(r.method).toBe("proc");
  // utime+stime are in 10 ms clock ticks.
  expect(r.used).toBeGreaterThanOrEqual(r.workersNs - 30e6);
  expect(r.sched).toBeLessThan(r.used - 0.8 * r.workersNs);
}, 60_000);

test("/proc/PID/stat fallback keeps the CPU of a child process that exited and was reaped (cutime/cstime)", async () => {
  process.env.BENCH_CPU = "proc";
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "../../support/bench/cpu-child.ts"), "200"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const meter = cpuMeter(p.pid, "child");
    p.stdin.write("go\n");
    p.stdin.flush();
    const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
    const childNs = Number(new TextDecoder().decode((await reader.read()).value).trim());
    const used = meter.ns();
    meter.close();
    expect(childNs).toBeGreaterThanOrEqual(200e6);
    // The child is gone from the tree; its time is in the parent's cutime/cstime (10 ms ticks).
    expect(processTree(p.pid)).toEqual([p.pid]);
    expect(used).toBeGreaterThanOrEqual(childNs - 30e6);
  } finally {
    p.stdin.end();
    await p.exited;
    delete process.env.BENCH_CPU;
  }
}, 60_000);

test("the cgroup hierarchy the meter uses is mounted", () => {
  expect(existsSync("/sys/fs/cgroup/cpuacct/cpuacct.usage") || existsSync("/sys/fs/cgroup/cgroup.controllers")).toBe(true);
});
