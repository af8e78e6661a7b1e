/**
 * Footprint: memory and start-up of Debian's keepalived 2.2.7, ours, and the floor (the same number of
 * idle `bun build --compile` programs, one setInterval each), all in one run, each daemon in a fresh
 * namespace (prefix kfp-f). Memory is RSS, PSS and anonymous KiB from /proc/PID/smaps_rollup (proc(5)),
 * per process and summed over the process tree, after the daemon settled (past garp_master_delay).
 *  - 1 VRRP instance (parent + VRRP child), 100 VRRP instances at 0.1 s (master), and the full tree
 *    (VRRP + check + BFD; keepalived's check child exits here for want of IPVS, so it has no figure);
 *  - steady (ours, the two VRRP configurations; BENCH_STEADY_S, default 60, 0 skips it): the mean of
 *    readings every 2 s from 40 s after the spawn, one period of the page drops (idleTree says why the
 *    first reading alone is not a fair comparison of 100 instances with 1); both are printed;
 *  - start-up: exec until the VRRP child's raw socket exists (/proc/PID/net/raw, protocol 112), the
 *    median of BENCH_STARTUP_N (default 9) samples: the machine is shared, so single times are noisy;
 *    and ours from exec until READY (the parent's sd_notify, bench/startup.ts; keepalived sends none);
 *  - soak: 100 instances, 10 of them tracking a script that fails every other 5 s (FAULT, then back),
 *    both implementations side by side for BENCH_SOAK_MIN minutes (default 10; 0 skips it); the RSS
 *    slope of each process (KiB/min, least squares, first 20% of the run left out as warm-up).
 * `bun bench/footprint.ts` runs it alone; `npm run bench` includes it.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Netns, waitFor } from "../test/support/netns.ts";
import { type Impl, impls, median, processTree } from "./lib.ts";
import { meanReadings, type Mem, parseSmapsRollup, sumMem, ZERO } from "./footprint-lib.ts";
import { startupEnv, StartupRig } from "./startup.ts";

/** Memory of one process by pid (ZERO when it is gone). */
function memOf(pid: number): Mem {
  try {
    return parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  } catch {
    return ZERO;
  }
}

/** A role label from the command line: ours says --role=…; keepalived's children are told apart by order. */
function roleOf(pid: number, index: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const r = argv.find((a) => a.startsWith("--role="));
    return r ? r.slice(7) : index === 0 ? "parent" : `child ${index}`;
  } catch {
    return "gone";
  }
}

/** What one measurement found. */
export interface Tree {
  procs: { pid: number; role: string; mem: Mem }[];
  total: Mem;
  /** The steady reading (idleTree with steadyS > 0): the mean of the readings over one period of the page drops. */
  steady?: Tree;
}

/** Memory of these processes, each and summed. */
export function measure(pids: number[]): Tree {
  const procs = pids.map((p, i) => ({ pid: p, role: roleOf(p, i), mem: memOf(p) })).filter((x) => x.mem.rss > 0);
  return { procs, total: sumMem(procs.map((x) => x.mem)) };
}

// ---------------------------------------------------------------------------------------------- floor

let floorBin = "";
/** Builds the floor program once: an idle compiled Bun program, as the issue measured it. */
function buildFloor(dir: string): string {
  if (floorBin) return floorBin;
  writeFileSync(join(dir, "floor.ts"), "setInterval(() => {}, 1 << 30);\n");
  const p = Bun.spawnSync([process.execPath, "build", "--compile", join(dir, "floor.ts"), "--outfile", join(dir, "floor")], { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`floor build failed: ${p.stderr}`);
  return (floorBin = join(dir, "floor"));
}

/** `n` idle compiled Bun programs at once, measured after they settled; the sum is "the floor for n". */
export async function floor(dir: string, n: number): Promise<Tree> {
  const bin = buildFloor(dir);
  const ps = Array.from({ length: n }, () => Bun.spawn([bin], { stdout: "ignore", stderr: "ignore" }));
  try {
    await Bun.sleep(3000);
    const t = measure(ps.map((p) => p.pid));
    return { ...t, procs: t.procs.map((p) => ({ ...p, role: "idle" })) };
  } finally {
    for (const p of ps) p.kill("SIGKILL");
    await Promise.all(ps.map((p) => p.exited));
  }
}

// ------------------------------------------------------------------------------------------- daemons

/** `n` VRRP instances (VRID k+1, VIP 192.0.2.(100+k)), masters; `extra` is appended (check, BFD). */
export function vrrpConf(n: number, advert: string, extra = "", track = ""): string {
  const inst = Array.from({ length: n }, (_, k) =>
    `vrrp_instance VI_${k + 1} {
  state MASTER
  interface veth0
  virtual_router_id ${k + 1}
  priority 150
  advert_int ${advert}
${k < 10 && track ? "  track_script {\n    flip\n  }\n" : ""}  virtual_ipaddress {
    192.0.2.${100 + k}/24
  }
}
`);
  return `global_defs {\n  router_id kfp_bench\n  vrrp_version 3\n}\n${track}${inst.join("")}${extra}`;
}

/** The full tree's extra configuration: 1 virtual server with a TCP_CHECK and 1 bfd_instance. */
export const FULL_EXTRA = `virtual_server 192.0.2.200 80 {
  delay_loop 5
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.2 18250 {
    TCP_CHECK {
      connect_timeout 2
    }
  }
}
bfd_instance kfp_b1 {
  neighbor_ip 192.0.2.2
  source_ip 192.0.2.1
}
`;

/** Prefix of the namespaces and directories (BENCH_NS_PREFIX, default kfp-f: concurrent runs pick their own). */
export const PREFIX = process.env.BENCH_NS_PREFIX ?? "kfp-f";

/** A daemon in its own namespace with a veth pair (192.0.2.1 on veth0). */
export interface Running {
  ns: Netns;
  proc: Subprocess;
  dir: string;
  /** performance.now() just before the spawn. */
  t0: number;
  vips(): number;
}

/**
 * Starts `impl` on `conf` in a fresh namespace. `log`: -G (no syslog, nothing on the console: what is
 * measured, as a daemon logging to syslog costs the same) or -l (console into `dir`/log; 3 MiB more RSS
 * per process of ours for Bun's stderr stream). `env` is added to the daemon's environment.
 */
export async function startDaemon(impl: Impl, conf: string, tag: string, log = "-G", env?: Record<string, string>): Promise<Running> {
  const dir = mkdtempSync(`/tmp/${PREFIX}${tag}-`);
  chmodSync(dir, 0o755);
  const ns = new Netns(`${PREFIX}${tag}${process.pid % 1000}`);
  ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
  ns.ip("link", "set", "veth0", "up");
  ns.ip("link", "set", "veth1", "up");
  ns.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
  ns.ip("addr", "add", "192.0.2.2/24", "dev", "veth1");
  const f = (x: string) => join(dir, x);
  writeFileSync(f("k.conf"), conf);
  const t0 = performance.now();
  const proc = ns.spawn([
    "sh",
    "-c",
    `exec ${impl.bin} -n ${log} -f ${f("k.conf")} -p ${f("k.pid")} -r ${f("v.pid")} -c ${f("c.pid")} -b ${f("b.pid")} > ${f("log")} 2>&1`,
  ], { env });
  const vips = () => (ns.ip("-4", "addr", "show", "dev", "veth0").match(/inet 192\.0\.2\.(1\d\d)\//g) ?? []).length;
  return { ns, proc, dir, t0, vips };
}

/** TERM, wait, remove the namespace and directory. */
export async function stopDaemon(r: Running): Promise<void> {
  r.proc.kill("SIGTERM");
  await r.proc.exited;
  await r.ns.destroy();
  rmSync(r.dir, { recursive: true, force: true });
}

/**
 * The steady reading starts this many seconds after the spawn, at the same age of the tree for every
 * configuration, past the start's first drop of unused executable pages (src/procs/common.ts: 5 s, then
 * every 60 s) and the JIT's tier-ups of what runs every advert (100 instances at 0.1 s: ~15 s).
 */
export const STEADY_FROM_S = 40;
/** Seconds between the steady readings. */
const STEADY_EVERY_S = 2;

/**
 * Starts, waits for `n` VIPs and `procs` processes, settles, measures, stops. The first reading is 8 s
 * after the VIPs are up. That falls inside the start's one-time work for 100 instances at 0.1 s (their
 * VIPs are up ~0.5 s after the VRRP child starts, one instance's at advert_int 1 after ~3.6 s, so the two
 * trees are read at different ages, ~8.5 and ~11.6 s, the first while the JIT is still compiling the
 * advert path; bench/RESULTS.md, "2026-12-03, issue 12, memory over time"). With `steadyS` > 0 the
 * daemon runs on and `steady` is the mean of readings every 2 s from STEADY_FROM_S after the spawn for
 * `steadyS` seconds: with 60, one whole period of the periodic drop (pages fall at a drop and are touched
 * again until the next), which is what a router lives with.
 */
export async function idleTree(impl: Impl, conf: string, n: number, procs: number, tag: string, log?: string, steadyS = 0): Promise<Tree | undefined> {
  const r = await startDaemon(impl, conf, tag, log);
  try {
    await waitFor(`${impl.name}: ${n} VIPs`, () => r.vips() >= n, 60_000, 100);
    await Bun.sleep(8000); // past garp_master_delay (5 s) and the first GC cycles
    const pids = processTree(r.proc.pid);
    if (pids.length < procs) {
      console.error(`${impl.name}: ${pids.length} processes instead of ${procs}; log:\n${readFileSync(join(r.dir, "log"), "utf8").slice(-1500)}`);
      return undefined;
    }
    const first = measure(pids);
    if (steadyS <= 0) return first;
    const readings: Tree["procs"][] = [];
    for (let t = STEADY_FROM_S; t < STEADY_FROM_S + steadyS; t += STEADY_EVERY_S) {
      await Bun.sleep(Math.max(0, r.t0 + t * 1000 - performance.now()));
      readings.push(measure(pids).procs);
    }
    return { ...first, steady: meanReadings(readings) };
  } finally {
    await stopDaemon(r);
  }
}

/** ms from spawn until a raw socket of protocol 112 (VRRP) exists in the daemon's namespace. */
export async function startupOnce(impl: Impl): Promise<number> {
  const r = await startDaemon(impl, vrrpConf(1, "1"), impl.name === "ours" ? "so" : "sk");
  try {
    const raw = `/proc/${r.proc.pid}/net/raw`;
    const hasVrrpSocket = () => {
      try {
        return / [0-9A-F]{8}:0070 /.test(readFileSync(raw, "utf8"));
      } catch {
        return false;
      }
    };
    await waitFor(`${impl.name}: VRRP socket`, hasVrrpSocket, 20_000, 1);
    return performance.now() - r.t0;
  } finally {
    await stopDaemon(r);
  }
}

// -------------------------------------------------------------------------------------------- report

const mib = (k: number) => (k / 1024).toFixed(1);
const ratio = (a: number, b: number) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");

function row(config: string, metric: keyof Mem, ka: Tree | undefined, ours: Tree | undefined, fl: Tree): string {
  const k = ka?.total[metric] ?? 0, o = ours?.total[metric] ?? 0, f = fl.total[metric];
  return `| ${config} | ${metric} (MiB) | ${ka ? mib(k) : "n/a"} | ${ours ? mib(o) : "n/a"} | ${mib(f)} (${fl.procs.length}) | ${ratio(o, f)} | ${
    ratio(o, k)
  } |`;
}

function perProcess(name: string, t: Tree | undefined): string {
  if (!t) return `  ${name}: n/a`;
  return `  ${name}: ` + t.procs.map((p) => `${p.role} rss ${mib(p.mem.rss)} pss ${mib(p.mem.pss)} anon ${mib(p.mem.anon)}`).join("; ");
}

/** Median over trials of each figure (the trees of one configuration have the same shape). */
function medianTree(list: (Tree | undefined)[]): Tree | undefined {
  const ok = list.filter((t): t is Tree => t !== undefined);
  if (!ok.length) return undefined;
  const med = (f: (m: Mem) => number) => median(ok.map((t) => f(t.total)));
  const total: Mem = { rss: med((m) => m.rss), pss: med((m) => m.pss), anon: med((m) => m.anon), shared: med((m) => m.shared), private: med((m) => m.private) };
  return { procs: ok[0]!.procs, total };
}

/** Runs the footprint benchmark and prints its tables. */
export async function footprintBench(ours: string, trials = 3): Promise<void> {
  const [ka, us] = impls(ours);
  const dir = mkdtempSync(`/tmp/${PREFIX}floor-`);
  try {
    const configs = [
      { name: "1 VRRP instance (parent + VRRP)", conf: vrrpConf(1, "1"), n: 1, procs: { keepalived: 2, ours: 2 } },
      { name: "100 VRRP instances at 0.1 s, master", conf: vrrpConf(100, "0.1"), n: 100, procs: { keepalived: 2, ours: 2 } },
      { name: "VRRP + check + BFD (1 + 1 VS + 1 BFD)", conf: vrrpConf(1, "1", FULL_EXTRA), n: 1, procs: { keepalived: 4, ours: 4 } },
    ];
    const lines: string[] = [];
    const details: string[] = [];
    const trees: Record<string, Tree | undefined> = {};
    // The steady reading (idleTree): ours only, VRRP configurations; BENCH_STEADY_S=0 skips it.
    const steadyS = Number(process.env.BENCH_STEADY_S ?? 60);
    const steadyLines: string[] = [];
    const steadyTrees: Record<string, Tree | undefined> = {};
    for (const c of configs) {
      const res: Record<string, (Tree | undefined)[]> = { keepalived: [], ours: [] };
      const fl: Tree[] = [];
      for (let t = 0; t < trials; t++) {
        // keepalived's check child exits without IPVS: its full tree cannot be measured here.
        const kaTree = c.procs.keepalived === 4 ? undefined : await idleTree(ka!, c.conf, c.n, c.procs.keepalived, "k");
        res.keepalived!.push(kaTree);
        res.ours!.push(await idleTree(us!, c.conf, c.n, c.procs.ours, "o", undefined, c.procs.ours === 2 ? steadyS : 0));
        fl.push(await floor(dir, c.procs.ours));
      }
      const k = medianTree(res.keepalived!), o = medianTree(res.ours!), f = medianTree(fl)!;
      trees[c.name] = o;
      for (const m of ["rss", "pss", "anon"] as const) lines.push(row(c.name, m, k, o, f));
      const os = medianTree(res.ours!.map((t) => t?.steady));
      steadyTrees[c.name] = os;
      if (os) { for (const m of ["rss", "pss", "anon"] as const) steadyLines.push(row(`${c.name}, steady`, m, k, os, f)); }
      details.push(
        `${c.name}:`,
        perProcess("keepalived", res.keepalived!.find(Boolean)),
        perProcess("ours", res.ours!.find(Boolean)),
        perProcess("floor", fl[0]),
      );
    }
    const startN = Number(process.env.BENCH_STARTUP_N ?? 9);
    const st: Record<string, number[]> = { keepalived: [], ours: [] };
    for (let i = 0; i < startN; i++) for (const impl of [ka!, us!]) st[impl.name]!.push(await startupOnce(impl));
    // exec -> READY (the parent's sd_notify; Debian's keepalived 2.2.7 sends none): bench/startup.ts.
    const rig = new StartupRig();
    const ready: number[] = [];
    try {
      for (let i = 0; i < startN; i++) {
        const ms = await rig.once(us!.bin, startupEnv("default"));
        if (ms !== undefined) ready.push(ms);
      }
    } finally {
      await rig.close();
    }
    console.log("| configuration | metric | keepalived 2.2.7 | ours | floor (processes) | ours / floor | ours / keepalived |");
    console.log("|---|---|---|---|---|---|---|");
    for (const l of lines) console.log(l);
    const sk = median(st.keepalived!), so = median(st.ours!);
    console.log(`| 1 VRRP instance | start-up to VRRP socket, median of ${startN} (ms) | ${sk.toFixed(1)} | ${so.toFixed(1)} | | | ${ratio(so, sk)} |`);
    console.log(
      `| 1 VRRP instance | start-up, exec to READY (sd_notify), median of ${ready.length} (ms) | n/a | ${
        ready.length ? median(ready).toFixed(1) : "n/a"
      } | | | |`,
    );
    if (steadyLines.length) {
      console.log(
        `\nsteady: ours as the mean of readings every 2 s from ${STEADY_FROM_S} s after the spawn for ${steadyS} s (keepalived and the floor as above)`,
      );
      for (const l of steadyLines) console.log(l);
    }
    for (const [label, tr] of [["8 s after the VIPs", trees], ["steady", steadyTrees]] as const) {
      const one = tr[configs[0]!.name], hundred = tr[configs[1]!.name];
      if (!one || !hundred) continue;
      console.log(
        `ours, 100 instances / 1 instance, ${label}, tree PSS: ${ratio(hundred.total.pss, one.total.pss)}, RSS: ${ratio(hundred.total.rss, one.total.rss)}`,
      );
    }
    console.log(`start-up samples (ms): keepalived ${st.keepalived!.map((x) => x.toFixed(0)).join(" ")}; ours ${st.ours!.map((x) => x.toFixed(0)).join(" ")}`);
    console.log("per process (first trial, MiB):\n" + details.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const soakMin = Number(process.env.BENCH_SOAK_MIN ?? 10);
  if (soakMin > 0) {
    const { soak } = await import("./footprint-soak.ts");
    await soak(ours, soakMin);
  }
}

if (import.meta.main) {
  const { ensureBinary } = await import("../test/support/binary.ts");
  await footprintBench(process.env.BENCH_OURS ?? await ensureBinary(), Number(process.env.BENCH_TRIALS ?? 3));
  process.exit(0);
}
