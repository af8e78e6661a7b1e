/**
 * VRRP scenarios, Debian's keepalived 2.2.7 and ours in the same run, each in fresh namespaces A/B
 * joined by a veth pair (A 192.0.2.1, B 192.0.2.2, VIP 192.0.2.100), as
 * /work/shared/research/keepalived-2.2.7-baseline.md describes:
 *  - failover: A master (priority 150) and B backup (100) run the same implementation; A's whole
 *    process tree is SIGKILLed 0.5 × advert_int after one of its adverts; the time until B's
 *    RTM_NEWADDR for the VIP (bench/vrrp-watch.ts, netlink listener in B). v2 advert_int 1 and v3 0.1;
 *  - advert interval jitter: intervals between consecutive adverts of each VRID from A, kernel
 *    timestamps from tcpdump in B; p50 / p99 and max |interval - advert_int|; 1 and 100 instances (v3 0.1);
 *  - idle resources with 100 instances: RSS of A's process tree and CPU over the window (bench/cpu.ts:
 *    each daemon's tree in its own cgroup), master (A) and backup (B).
 * BENCH_TRIALS (default 3) failover trials; BENCH_JITTER_S (default 20) capture/idle window, measured
 * BENCH_SETTLE_S (default 20) after both daemons run. BENCH_NS (default kvf) prefixes namespaces and temp dirs.
 * BENCH_SETSID=1: each daemon in its own session (see startDaemon).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Netns, vethPair, waitFor } from "../test/support/netns.ts";
import { cpuMeter } from "./cpu.ts";
import { type Impl, impls, median, processTree, quantile, type Row, rssKiB, vrrpConf as conf } from "./lib.ts";
import { advertIntervals, captureDrops } from "./vrrp-capture.ts";

const VIP = "192.0.2.100";
const NS = process.env.BENCH_NS ?? "kvf";

interface Pair {
  a: Netns;
  b: Netns;
  dir: string;
  pa: Subprocess;
  pb?: Subprocess;
}

/**
 * BENCH_SETSID=1 starts each daemon in a session of its own (setsid(1), the pid stays), as a service manager
 * does: with kernel.sched_autogroup_enabled the daemon is then its own scheduling group instead of sharing
 * the bench's (and any load started from the same shell); bench/RESULTS.md, 2026-12-03 late adverts.
 */
const SETSID = process.env.BENCH_SETSID === "1" ? "setsid " : "";
/**
 * BENCH_MASTER=keepalived: the master of a pair with a backup is keepalived 2.2.7 whatever the backup is
 * (its adverts come one by one, each on its own timer, where a master of ours sends those due together in
 * one sendmmsg: a different load for the backup's receive path).
 */
const MASTER_KA = process.env.BENCH_MASTER === "keepalived";

function startDaemon(ns: Netns, impl: Impl, dir: string, name: string): Subprocess {
  const f = (x: string) => join(dir, `${name}${x}`);
  const extra = impl.name === "ours" ? ["-b", f("b.pid")] : [];
  return ns.spawn([
    "sh",
    "-c",
    `exec ${SETSID}${impl.bin} -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")} -c ${f("c.pid")} ${extra.join(" ")} > ${f(".log")} 2>&1`,
  ]);
}

/** Fresh namespaces with A as master of `n` instances (and B as backup when `backup`). */
async function pair(impl: Impl, n: number, version: 2 | 3, advert: string, backup: boolean): Promise<Pair> {
  const tag = `${impl.name === "ours" ? "o" : "k"}${process.pid % 1000}`;
  const dir = mkdtempSync(`/tmp/${NS}-bench-`);
  const a = new Netns(`${NS}-ba${tag}`);
  const b = new Netns(`${NS}-bb${tag}`);
  vethPair(a, "veth0", b, "veth0");
  a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
  b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
  writeFileSync(join(dir, "a.conf"), conf(n, 150, version, advert));
  writeFileSync(join(dir, "b.conf"), conf(n, 100, version, advert));
  const pa = startDaemon(a, MASTER_KA && backup ? { name: "keepalived", bin: "/usr/sbin/keepalived" } : impl, dir, "a");
  const vips = () => (a.ip("-4", "addr", "show", "dev", "veth0").match(/inet 192\.0\.2\.(1\d\d)\//g) ?? []).length;
  await waitFor(`${impl.name} A master of ${n}`, () => vips() >= n, 60_000);
  const p: Pair = { a, b, dir, pa };
  if (backup) {
    p.pb = startDaemon(b, impl, dir, "b");
    await waitFor(`${impl.name} B backup`, () => (readFileSync(join(dir, "b.log"), "utf8").match(/Entering BACKUP STATE \(init\)/g) ?? []).length >= n, 60_000);
    await Bun.sleep(2000);
  }
  return p;
}

async function teardown(p: Pair): Promise<void> {
  for (const x of [p.pa, p.pb]) x?.kill("SIGTERM");
  await Promise.all([p.pa.exited, p.pb?.exited]);
  await p.a.destroy();
  await p.b.destroy();
  if (!process.env.BENCH_KEEP) rmSync(p.dir, { recursive: true, force: true });
}

export async function failoverOnce(impl: Impl, version: 2 | 3, advert: string): Promise<number> {
  const p = await pair(impl, 1, version, advert, true);
  try {
    const pids = processTree(p.pa.pid);
    if (process.env.BENCH_DEBUG) console.error(`${impl.name}: killing ${pids.join(",")}`);
    const w = p.b.spawn([process.execPath, join(import.meta.dir, "vrrp-watch.ts"), "192.0.2.1", VIP, String(Number(advert) * 1000), pids.join(",")], {
      stdout: "pipe",
      stderr: process.env.BENCH_DEBUG ? "inherit" : "ignore",
    });
    const out = await new Response(w.stdout as ReadableStream).text();
    const r = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { failoverMs?: number; error?: string };
    if (r.failoverMs === undefined) throw new Error(`${impl.name} failover: ${r.error ?? out}`);
    return r.failoverMs;
  } finally {
    await teardown(p);
  }
}

interface IdleSample {
  iv: number[];
  /** Backup instances that went MASTER during the window (missed adverts). */
  flaps: number;
  /** Packets tcpdump lost (each would read as a doubled interval); -1: no summary from tcpdump. */
  drops: number;
  rssA: number;
  cpuA: number;
  cpuB: number;
  /** Voluntary context switches (wakes) per second of the main threads of A's and B's process trees over the window. */
  wakesA: number;
  wakesB: number;
}

/**
 * Voluntary context switches (sleeps that ended in a wake) of the main thread of each process in a tree
 * (proc(5) status of the thread-group leader; a thread that exits would take its count with it).
 */
function voluntarySwitches(pids: number[]): number {
  let n = 0;
  for (const p of pids) {
    try {
      n += Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${p}/task/${p}/status`, "utf8"))?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return n;
}

/** Jitter from B's capture and, over the same window, CPU of both sides and A's RSS. */
export async function idleOnce(impl: Impl, n: number, windowS: number): Promise<IdleSample> {
  const p = await pair(impl, n, 3, "0.1", true);
  try {
    // Idle means steady state: past garp_master_delay, and past the JIT warm-up of a Bun process (the
    // first ~20 s cost ours more CPU than later on). BENCH_SETTLE_S changes it.
    await Bun.sleep(Number(process.env.BENCH_SETTLE_S ?? 20) * 1000);
    const meters = [cpuMeter(p.pa.pid, `${impl.name}-master`), cpuMeter(p.pb!.pid, `${impl.name}-backup`)];
    const masters = () => (readFileSync(join(p.dir, "b.log"), "utf8").match(/Entering MASTER STATE/g) ?? []).length;
    const m0 = masters();
    const treeA = processTree(p.pa.pid), treeB = processTree(p.pb!.pid);
    const w0 = voluntarySwitches(treeB), wa0 = voluntarySwitches(treeA);
    const cap = p.b.spawn([
      "sh",
      "-c",
      `exec timeout ${windowS} tcpdump -tt -n -l -i veth0 'ip proto 112 and src 192.0.2.1' > ${p.dir}/cap.txt 2>${p.dir}/cap.err`,
    ]);
    await cap.exited;
    const c1 = meters.map((m) => m.ns());
    const wakesB = (voluntarySwitches(treeB) - w0) / windowS, wakesA = (voluntarySwitches(treeA) - wa0) / windowS;
    for (const m of meters) m.close();
    const scale = 30 / windowS;
    const iv = advertIntervals(readFileSync(join(p.dir, "cap.txt"), "utf8"));
    const drops = captureDrops(readFileSync(join(p.dir, "cap.err"), "utf8")) ?? -1;
    if (drops !== 0) console.error(`${impl.name}: tcpdump dropped ${drops < 0 ? "an unknown number of" : drops} packets: the intervals are not all real`);
    if (!iv.length) console.error(`${impl.name}: no adverts captured:\n${readFileSync(join(p.dir, "cap.txt"), "utf8").slice(0, 500)}`);
    return {
      iv,
      flaps: masters() - m0,
      drops,
      rssA: rssKiB(processTree(p.pa.pid)),
      cpuA: (c1[0]! / 1e6) * scale,
      cpuB: (c1[1]! / 1e6) * scale,
      wakesA,
      wakesB,
    };
  } finally {
    await teardown(p);
  }
}

/** Runs the VRRP scenarios; returns table rows. */
export async function vrrpScenarios(ours: string, trials = 3): Promise<Row[]> {
  const windowS = Number(process.env.BENCH_JITTER_S ?? 20);
  const rows: Row[] = [];
  const both = impls(ours);
  const row = (scenario: string, metric: string, unit: string, f: (i: Impl) => number) => {
    const [k, o] = both.map(f) as [number, number];
    rows.push({ scenario, metric, keepalived: k, ours: o, unit, lowerIsBetter: true });
  };
  for (const [version, advert] of [[2, "1"], [3, "0.1"]] as const) {
    const res = new Map<string, number[]>();
    for (let t = 0; t < trials; t++) {
      for (const impl of both) res.set(impl.name, [...(res.get(impl.name) ?? []), await failoverOnce(impl, version, advert)]);
    }
    row(`failover v${version} advert_int ${advert}`, `SIGKILL -> VIP on backup, median of ${trials}`, "ms", (i) => median(res.get(i.name)!));
  }
  for (const n of [1, 100]) {
    const s = new Map<string, IdleSample>();
    for (const impl of both) s.set(impl.name, await idleOnce(impl, n, windowS));
    const sc = `${n} instance${n > 1 ? "s" : ""}, v3 advert_int 0.1`;
    row(sc, "advert interval p50", "ms", (i) => quantile(s.get(i.name)!.iv, 0.5));
    row(sc, "advert interval p99", "ms", (i) => quantile(s.get(i.name)!.iv, 0.99));
    row(sc, "advert max |interval - 100 ms|", "ms", (i) => Math.max(...s.get(i.name)!.iv.map((x) => Math.abs(x - 100))));
    row(sc, "backup instances going MASTER in the window", "count", (i) => s.get(i.name)!.flaps);
    if (n === 100) {
      row(sc, "idle RSS master, process tree", "MiB", (i) => s.get(i.name)!.rssA / 1024);
      row(sc, "idle CPU master per 30 s (cgroup)", "ms", (i) => s.get(i.name)!.cpuA);
      row(sc, "idle CPU backup per 30 s (cgroup)", "ms", (i) => s.get(i.name)!.cpuB);
    }
  }
  return rows;
}
