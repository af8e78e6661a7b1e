/**
 * The soak of bench/footprint.ts: keepalived 2.2.7 and ours side by side, each with 100 VRRP instances
 * (advert_int 1, masters) of which 10 track a script that fails during every other 5 s (so they go to
 * FAULT and back, dropping and re-adding their VIPs), for `minutes`. RSS of every process is sampled
 * every BENCH_SOAK_EVERY_S (default 10) seconds; the slope per process (KiB/min, least squares, the
 * first 20% left out as warm-up) of RSS and of anonymous memory (RSS alone follows our processes'
 * periodic unmapping of code pages, src/ffi/resident.ts) is printed with the number of FAULT entries that proves the churn,
 * and the anonymous slope over the last half alone (growth that settles shows there as a smaller figure), with each
 * process's CPU (utime + stime) per minute between its first and last sample.
 * A least-squares line through a sawtooth (collections and purges on the process's own schedule) reads the phase the run ends on, so
 * two figures that do not are printed beside it: "minima", the slope of each BENCH_SOAK_LOW_MIN-minute (default 2) window's lowest
 * sample after the warm-up, and "windows", the median of the last 20% of the run against the median of 20-40% (footprint-lib.ts);
 * then the minima slope of each BENCH_SOAK_SEG_MIN-minute (default 5) segment: falling to 0 is a warm-up settling, a steady
 * figure a leak (the VRRP child compiles its event paths over ~20 minutes: bench/RESULTS.md, "issue 12, soak target").
 * BENCH_SOAK_TRACK=0 leaves the tracked script out (no state changes). BENCH_SOAK_JSON=PATH writes every series to PATH.IMPL.json.
 * BENCH_SOAK_IMPLS=ours runs ours alone; BENCH_SOAK_SERIES=1 prints every process's anonymous samples too. BENCH_SOAK_HEAP=DIR: our processes get KA_HEAP_DEBUG=DIR
 * (src/procs/heap-debug.ts) and are sent SIGVTALRM every BENCH_SOAK_HEAP_EVERY_MIN minutes (default 2) and at the end, so DIR
 * holds each process's objects by type over time (each dump is a full collection, which itself flattens the slope).
 * `bun bench/footprint-soak.ts` runs the soak alone.
 */
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { impls, processTree } from "./lib.ts";
import { afterWarmup, type Point, segmentSlopes, slopeKiBPerMin, windowGrowth, windowMinima } from "./footprint-lib.ts";
import { measure, PREFIX, type Running, startDaemon, stopDaemon, vrrpConf } from "./footprint.ts";
import { waitFor } from "../test/support/netns.ts";

const FLIP = `#!/bin/sh
# Fails during every other 5 s window of the wall clock.
[ $(( $(date +%s) / 5 % 2 )) -eq 0 ]
`;

/** utime + stime of a process in ms (/proc/PID/stat fields 14-15, clock ticks of 10 ms): the kernel keeps exited threads' time there. */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

function exeOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return "";
  }
}

/**
 * The soak's configuration for BENCH_SOAK_TRACK: "script" (default) the 10 instances track `flip.sh`; "0" nothing is
 * tracked (no state change after the start, no script runs); "ok" a script that always succeeds (a script run every
 * second, no state change); "file" a vrrp_track_file (weight 0: a non-zero value is FAULT) that the bench rewrites
 * (state changes, no script runs). The A/B runs that separate the churn's parts from the adverts.
 */
export function soakConf(mode: string, sdir: string, track: string): string {
  if (mode === "0") return vrrpConf(100, "1", "", "");
  if (mode === "ok") return vrrpConf(100, "1", "", track.replace(join(sdir, "flip.sh"), "/bin/true"));
  if (mode === "file") {
    const file = `vrrp_track_file flipf {\n  file ${join(sdir, "flip.state")}\n  weight 0\n}\n`;
    return vrrpConf(100, "1", "", file).replaceAll("track_script {\n    flip\n  }", "track_file {\n    flipf\n  }");
  }
  return vrrpConf(100, "1", "", track);
}

/** Runs the soak and prints one line per process. */
export async function soak(ours: string, minutes: number): Promise<void> {
  const everyS = Number(process.env.BENCH_SOAK_EVERY_S ?? 10);
  const sdir = mkdtempSync(`/tmp/${PREFIX}soak-`);
  chmodSync(sdir, 0o755);
  writeFileSync(join(sdir, "flip.sh"), FLIP, { mode: 0o755 });
  const track = `vrrp_script flip {\n  script ${join(sdir, "flip.sh")}\n  interval 1\n  fall 1\n  rise 1\n}\n`;
  const conf = soakConf(process.env.BENCH_SOAK_TRACK ?? "script", sdir, track);
  let flipper: Timer | undefined;
  if (process.env.BENCH_SOAK_TRACK === "file") {
    // The same FAULT and back every other 5 s, from a file the bench rewrites: state changes without any script run.
    const flip = () => writeFileSync(join(sdir, "flip.state"), Math.floor(Date.now() / 5000) % 2 ? "1\n" : "0\n");
    flip();
    flipper = setInterval(flip, 250);
  }
  const running: {
    name: string;
    r: Running;
    series: Map<number, { role: string; pts: Point[]; anon: Point[]; cpu0: number; cpu1: number; min0: number; min1: number }>;
  }[] = [];
  const only = process.env.BENCH_SOAK_IMPLS?.split(",");
  const heapDir = process.env.BENCH_SOAK_HEAP;
  const heapEveryMin = Number(process.env.BENCH_SOAK_HEAP_EVERY_MIN ?? 2);
  const lowMin = Number(process.env.BENCH_SOAK_LOW_MIN ?? 2);
  const segMin = Number(process.env.BENCH_SOAK_SEG_MIN ?? 5);
  const dumpHeaps = () => {
    for (const x of running.filter((x) => x.name === "ours")) {
      // Our processes only (a script running now would die of the signal).
      for (const pid of processTree(x.r.proc.pid)) if (exeOf(pid) === realpathSync(ours)) process.kill(pid, "SIGVTALRM");
    }
  };
  try {
    for (const impl of impls(ours).filter((i) => !only || only.includes(i.name))) {
      // KA_HEAP_DEBUG_SNAPSHOT / _MIMALLOC in the bench's environment are handed on (src/procs/heap-debug.ts).
      const pass = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("KA_HEAP_DEBUG_")).map(([k, v]) => [k, v ?? ""]));
      const env = heapDir && impl.name === "ours" ? { ...pass, KA_HEAP_DEBUG: heapDir } : undefined;
      const r = await startDaemon(impl, conf, impl.name === "ours" ? "zo" : "zk", "-l", env);
      running.push({ name: impl.name, r, series: new Map() });
    }
    // Sampling starts once every daemon is up: a first sample taken at the spawn (a runtime not yet
    // started, 0-1.5 MiB) made the parent's start look like growth ("1.5 -> 9.5 MiB").
    for (const x of running) await waitFor(`${x.name}: 100 VIPs`, () => x.r.vips() >= 100, 60_000, 100);
    const t0 = performance.now();
    const end = t0 + minutes * 60_000;
    let nextDump = heapDir ? t0 + heapEveryMin * 60_000 : Infinity;
    while (performance.now() < end) {
      const min = (performance.now() - t0) / 60_000;
      if (performance.now() >= nextDump) {
        dumpHeaps();
        nextDump += heapEveryMin * 60_000;
      }
      for (const x of running) {
        for (const p of measure(processTree(x.r.proc.pid)).procs) {
          const cpu = cpuMs(p.pid);
          const s = x.series.get(p.pid) ?? { role: p.role, pts: [], anon: [], cpu0: cpu, cpu1: cpu, min0: min, min1: min };
          s.cpu1 = cpu;
          s.min1 = min;
          s.pts.push({ min, kib: p.mem.rss });
          s.anon.push({ min, kib: p.mem.anon });
          x.series.set(p.pid, s);
        }
      }
      await Bun.sleep(everyS * 1000);
    }
    if (heapDir) {
      dumpHeaps();
      await Bun.sleep(2000);
    }
    console.log(`\nsoak: ${minutes} min, 100 instances, 10 failing over every 5 s; RSS slope per process (KiB/min, first 20% left out)`);
    for (const x of running) {
      const log = readFileSync(join(x.r.dir, "log"), "utf8");
      const faults = (log.match(/Entering FAULT STATE/g) ?? []).length;
      // A pid seen in fewer than 3 samples is a script or a fork on its way to exec, not a daemon process.
      const parts = [...x.series.entries()].filter(([, s]) => s.pts.length >= 3).map(([pid, s]) => {
        const pts = afterWarmup(s.pts, 0.2);
        const first = s.pts[0]!.kib, last = s.pts[s.pts.length - 1]!.kib;
        const anon = slopeKiBPerMin(afterWarmup(s.anon, 0.2)).toFixed(1);
        const late = slopeKiBPerMin(afterWarmup(s.anon, 0.5)).toFixed(1);
        const a0 = s.anon[0]!.kib, a1 = s.anon[s.anon.length - 1]!.kib;
        // The sawtooth-proof pair (bench/RESULTS.md, "2026-12-03, issue 12, soak target"): the slope of the lowest sample of each
        // BENCH_SOAK_LOW_MIN-minute window after the warm-up, and the median of the last 20% of the run against that of 20-40%.
        const lows = slopeKiBPerMin(windowMinima(afterWarmup(s.anon, 0.2), lowMin)).toFixed(1);
        const grow = windowGrowth(s.anon, [0.2, 0.4], [0.8, 1]).toFixed(1);
        const segs = segmentSlopes(s.anon, segMin).map((v) => v.toFixed(0)).join(" ");
        return `${s.role} (pid ${pid}, ${s.pts.length} samples): ${
          slopeKiBPerMin(pts).toFixed(1)
        } KiB/min (anonymous ${anon}, last half ${late}, minima ${lows}, windows ${grow}, minima per ${segMin} min ${segs}; ${(a0 / 1024).toFixed(1)} → ${
          (a1 / 1024).toFixed(1)
        } MiB), RSS ${(first / 1024).toFixed(1)} → ${(last / 1024).toFixed(1)} MiB, CPU ${
          ((s.cpu1 - s.cpu0) / Math.max(s.min1 - s.min0, 1e-9)).toFixed(0)
        } ms/min`;
      });
      console.log(`  ${x.name} (${faults} FAULT entries): ${parts.join("; ")}`);
      if (process.env.BENCH_SOAK_JSON) {
        const out = [...x.series.entries()].map(([pid, v]) => ({ pid, role: v.role, anon: v.anon, rss: v.pts }));
        writeFileSync(`${process.env.BENCH_SOAK_JSON}.${x.name}.json`, JSON.stringify(out));
      }
      if (process.env.BENCH_SOAK_SERIES === "1") {
        for (const [pid, s] of x.series) {
          if (s.anon.length > 2) console.log(`    ${s.role} ${pid} anonymous MiB: ${s.anon.map((p) => (p.kib / 1024).toFixed(1)).join(" ")}`);
        }
      }
    }
  } finally {
    clearInterval(flipper);
    for (const x of running) await stopDaemon(x.r);
    rmSync(sdir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { ensureBinary } = await import("../test/support/binary.ts");
  await soak(process.env.BENCH_OURS ?? await ensureBinary(), Number(process.env.BENCH_SOAK_MIN ?? 10));
  process.exit(0);
}
