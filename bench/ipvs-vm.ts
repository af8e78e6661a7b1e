/**
 * IPVS health-check benchmark in the qemu VM (this host's kernel has no IPVS, and keepalived 2.2.7 exits
 * without it): one virtual_server with N real servers (default 10,000), each with TCP_CHECK
 * (connect_timeout 1) and delay_loop 1, against one listener process inside the VM. Debian's keepalived
 * 2.2.7 and ours run one after the other in the same boot (test/vm/guest-bench.ts does the measuring):
 *  - CPU per check: CPU of the daemon's process tree (bench/cpu.ts: cgroup, or /proc/PID/stat in a guest without one) over the window / connections accepted;
 *  - time from a real server's listener closing to its removal from IPVS (median over K servers);
 *  - RSS and PSS of the process tree at the end of the window, and RSS (now, peak, anonymous) of the check child.
 *   bun bench/ipvs-vm.ts [--n=10000] [--window=30] [--kills=10] [--settle=150] [--smp=2] [--mem=3072] [--only=ours[+before]]
 *                        [--before=/abs/keepalived] [--rounds=R] [--verbose]
 * --before runs a second build of ours (named "before") in the same boot, --rounds=R runs every daemon R times
 * (every other round in reverse order): before/after figures alternated in one sitting. The table shows
 * the median over rounds; each run's figures (with the parent's memory and when each process's RSS peaked)
 * are printed as "ipvs-vm: run" lines.
 * Builds like test/vm/run.ts (its own work/run-XXXX), boots with test/vm/bench/50-ipvs-bench.sh as the
 * only script. Nothing is asserted; TCG emulation makes every figure slower than on hardware.
 */
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bootVm } from "../test/vm/boot.ts";
import { buildInitramfs, ensureKernel, makeRunDir, need } from "../test/vm/build.ts";
import { compileBinaries } from "../test/vm/compile.ts";
import { printTable, type Row } from "./lib.ts";

/** One daemon's figures as guest-bench prints them. */
interface GuestResult {
  impl: string;
  round?: number;
  n: number;
  error?: string;
  fullTableS?: number;
  settledS?: number;
  checksPerS?: number;
  cpuPct?: number;
  cpuUsPerCheck?: number;
  rssKiB?: number;
  pssKiB?: number;
  destsAfterWindow?: number;
  /** Each process of the tree at the end of the window (guest-bench perProcess). */
  perProcess?: { pid: number; role: string; rssKiB: number; hwmKiB: number; anonKiB: number }[];
  removalMs?: number[];
  removalMedianMs?: number;
  pollMs?: number;
  /** Highest sampled RSS per role and when (s after start; guest-bench RssTimeline). */
  rssMax?: Record<string, { rssMiB: number; atS: number }>;
  rssTimeline?: Record<string, [number, number, number][]>;
}

/** Options (command line `--name=value`, or the defaults). */
function options(argv: string[]) {
  const opt = (k: string, d: number) => Number(argv.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d);
  return {
    n: opt("n", 10000),
    windowS: opt("window", 30),
    kills: opt("kills", 10),
    settleS: opt("settle", 150),
    smp: String(opt("smp", 2)),
    memMiB: opt("mem", 3072),
    verbose: argv.includes("--verbose"),
    /** Run one daemon only (keepalived or ours), for diagnosis. */
    only: argv.find((a) => a.startsWith("--only="))?.slice(7),
    before: argv.find((a) => a.startsWith("--before="))?.slice(9),
    rounds: opt("rounds", 1),
  };
}

/** Builds, boots, runs the guest benchmark; returns the per-daemon results. */
async function runVm(o: ReturnType<typeof options>): Promise<{ results: GuestResult[]; secs: number }> {
  const t0 = performance.now();
  const runDir = makeRunDir();
  try {
    const qemu = need("qemu-system-x86_64", "qemu-system-x86");
    for (const l of compileBinaries(runDir, ["keepalived", "guest-bench"])) console.error(l);
    if (o.before) copyFileSync(o.before, join(runDir, "keepalived-before"));
    const kernel = ensureKernel();
    const script = join(import.meta.dir, "..", "test", "vm", "bench", "50-ipvs-bench.sh");
    const initrd = buildInitramfs(kernel, runDir, undefined, [script]);
    const results: GuestResult[] = [];
    const timeoutS = 900;
    const r = await bootVm({
      qemu,
      kernel,
      initrd: initrd.path,
      cwd: runDir,
      smp: o.smp,
      memMiB: o.memMiB,
      timeoutS,
      append: [
        `ka_vm_test_timeout=${timeoutS - 60}`,
        `ka_bench=--n=${o.n},--window=${o.windowS},--kills=${o.kills},--settle=${o.settleS},--rounds=${o.rounds}${o.only ? `,--only=${o.only}` : ""}`,
      ],
      onLine(line) {
        const clean = line.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
        const m = /IPVS-BENCH-RESULT (\{.*\})/.exec(clean);
        if (m) results.push(JSON.parse(m[1]!) as GuestResult);
        if (o.verbose || /^(BENCH|VMTEST|VM-| {2}\| )/.test(clean)) console.error(`vm| ${clean}`);
      },
    });
    if (r.timedOut) console.error(`ipvs-vm: VM killed after ${timeoutS} s`);
    if (r.stderr) console.error(`ipvs-vm: qemu stderr: ${r.stderr}`);
    return { results, secs: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * The checker process: ours names it `--role=check`; keepalived's children carry no role, and with only
 * virtual servers configured its one child is the checker.
 */
function checkChild(r: GuestResult) {
  return r.perProcess?.find((p) => p.role === "check") ?? r.perProcess?.find((p) => p.role === "child");
}

/** The daemon's parent process (the root of its tree). */
function parentProc(r: GuestResult) {
  return r.perProcess?.find((p) => p.role === "parent");
}

/** The median of the runs' figures (undefined when no run has one). */
function medianOf(rs: GuestResult[], get: (r: GuestResult) => number | undefined): number | undefined {
  const v = rs.map(get).filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
}

/** One line per run: CPU, checks, check child and parent memory (now / peak / anonymous) and when the sampled RSS peaked. */
function runLine(r: GuestResult): string {
  const mem = (p?: { rssKiB: number; hwmKiB: number; anonKiB: number }) =>
    p ? `${(p.rssKiB / 1024).toFixed(0)} / ${(p.hwmKiB / 1024).toFixed(0)} / ${(p.anonKiB / 1024).toFixed(0)}` : "-";
  const peaks = Object.entries(r.rssMax ?? {}).map(([role, m]) => `${role} ${m.rssMiB.toFixed(0)} MiB at ${m.atS.toFixed(0)} s`).join(", ");
  return `ipvs-vm: run ${r.impl} #${r.round ?? 1}: ${r.cpuUsPerCheck?.toFixed(0)} µs/check, ${r.checksPerS?.toFixed(0)} checks/s, ` +
    `check child RSS/peak/anon ${mem(checkChild(r))} MiB, parent ${mem(parentProc(r))} MiB, ` +
    `full table ${r.fullTableS?.toFixed(1)} s, sampled peaks: ${peaks}`;
}

/** Table rows for both daemons, medians over rounds (NaN where a daemon has no figure). */
function rows(results: GuestResult[], n: number): Row[] {
  const kas = results.filter((r) => r.impl === "keepalived");
  const ourss = results.filter((r) => r.impl === "ours");
  const scenario = `ipvs ${n} TCP_CHECK, VM (TCG)`;
  const row = (metric: string, unit: string, get: (r: GuestResult) => number | undefined, lower = true): Row => ({
    scenario,
    metric,
    keepalived: medianOf(kas, get) ?? NaN,
    ours: medianOf(ourss, get) ?? NaN,
    unit,
    lowerIsBetter: lower,
  });
  return [
    row("CPU per check", "µs", (r) => r.cpuUsPerCheck),
    row("checks performed", "per s", (r) => r.checksPerS, false),
    row("CPU", "% of one vCPU", (r) => r.cpuPct),
    row("real server death → IPVS removal, median of those removed", "ms", (r) => {
      const ok = (r.removalMs ?? []).filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
      return ok.length ? ok[Math.floor((ok.length - 1) / 2)] : undefined;
    }),
    row("real servers removed within 20 s of their death", "count", (r) => r.removalMs?.filter((x) => x !== null && Number.isFinite(x)).length, false),
    row("RSS of the process tree", "MiB", (r) => (r.rssKiB === undefined ? undefined : r.rssKiB / 1024)),
    row("RSS of the check child", "MiB", (r) => (checkChild(r) ? checkChild(r)!.rssKiB / 1024 : undefined)),
    row("peak RSS of the check child (VmHWM)", "MiB", (r) => (checkChild(r) ? checkChild(r)!.hwmKiB / 1024 : undefined)),
    row("anonymous RSS of the check child", "MiB", (r) => (checkChild(r) ? checkChild(r)!.anonKiB / 1024 : undefined)),
    row("RSS of the parent", "MiB", (r) => (parentProc(r) ? parentProc(r)!.rssKiB / 1024 : undefined)),
    row("peak RSS of the parent (VmHWM)", "MiB", (r) => (parentProc(r) ? parentProc(r)!.hwmKiB / 1024 : undefined)),
    row("anonymous RSS of the parent", "MiB", (r) => (parentProc(r) ? parentProc(r)!.anonKiB / 1024 : undefined)),
    row("PSS of the process tree", "MiB", (r) => (r.pssKiB === undefined ? undefined : r.pssKiB / 1024)),
    row("start → all real servers in IPVS", "s", (r) => r.fullTableS),
    row("start → every real server checked twice", "s", (r) => r.settledS),
  ];
}

/** The benchmark as table rows (bench/run.ts `ipvs`). */
export async function ipvsVmScenarios(argv: string[] = []): Promise<Row[]> {
  const o = options(argv);
  const { results, secs } = await runVm(o);
  for (const r of results) {
    const note = r.error ??
      `${r.destsAfterWindow}/${r.n} real servers in IPVS after the window; removals (ms) ${r.removalMs?.join(" ")}; poll period ${r.pollMs?.toFixed(1)} ms`;
    console.error(`ipvs-vm: ${r.impl}: ${note}`);
    if (!r.error) console.error(runLine(r));
  }
  if (!o.only && results.length < 2 * o.rounds) console.error(`ipvs-vm: only ${results.length} of ${2 * o.rounds} daemon runs reported`);
  console.error(`ipvs-vm: ${o.n} real servers, whole run (build, boot, both daemons) ${secs.toFixed(0)} s`);
  return rows(results, o.n);
}

if (import.meta.main) {
  printTable(await ipvsVmScenarios(process.argv.slice(2)));
  process.exit(0);
}
