/**
 * Where a daemon's memory sits, per process (issue 12, 100 instances against 1): starts BIN with N
 * VRRP instances (bench/footprint.ts's configuration and namespace), waits for the VIPs and 8 s, then
 * prints per process the RSS / anonymous KiB of each kind of mapping from /proc/PID/smaps (mimalloc's
 * arena and other anonymous rw-p, JIT rwx, the binary's file pages, stack, heap), the open fds by
 * kind, and, with KA_HEAP_DEBUG (the bench sets it to a temporary directory), heapStats after two
 * full collections: objects by type. `bun bench/footprint-where.ts BIN N [advert]`; BENCH_NS_PREFIX
 * names the namespace.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../test/support/netns.ts";
import { processTree } from "./lib.ts";
import { startDaemon, stopDaemon, vrrpConf } from "./footprint.ts";

/** KiB of RSS and anonymous memory by kind of mapping. */
export function mappingKinds(smaps: string): Record<string, { rss: number; anon: number; n: number }> {
  const out: Record<string, { rss: number; anon: number; n: number }> = {};
  let kind = "";
  for (const line of smaps.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const [, a, b, perms, name] = head;
      const size = (parseInt(b!, 16) - parseInt(a!, 16)) / 1024;
      const big = size >= 512 * 1024 ? "arena>=512M" : size >= 1024 ? "anon>=1M" : "anon<1M";
      kind = name ? `${name.replace(/.*\//, "")} ${perms}` : `${perms === "rwxp" ? "jit" : big} ${perms}`;
      out[kind] ??= { rss: 0, anon: 0, n: 0 };
      out[kind]!.n++;
      continue;
    }
    const m = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (m && kind) out[kind]![m[1] === "Rss" ? "rss" : "anon"] += Number(m[2]);
  }
  return out;
}

function fdKinds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let t = "?";
    try {
      t = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/:\[\d+\]$/, "").replace(/^\/.*/, "file");
    } catch { /* gone */ }
    out[t] = (out[t] ?? 0) + 1;
  }
  return out;
}

if (import.meta.main) {
  const [bin, nArg, advert] = process.argv.slice(2);
  const n = Number(nArg ?? 1);
  const heap = mkdtempSync("/tmp/km-heap-");
  const r = await startDaemon({ name: "ours", bin: bin! }, vrrpConf(n, advert ?? (n > 1 ? "0.1" : "1")), "w", "-G", { KA_HEAP_DEBUG: heap });
  try {
    await waitFor(`${n} VIPs`, () => r.vips() >= n, 60_000, 100);
    await Bun.sleep(8000);
    const pids = processTree(r.proc.pid).slice(1); // [0] is sh's exec = the parent itself
    const all = processTree(r.proc.pid);
    for (const pid of all) {
      const role = (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").find((a) => a.startsWith("--role=")) ?? "parent").replace("--role=", "");
      const kinds = Object.entries(mappingKinds(readFileSync(`/proc/${pid}/smaps`, "utf8"))).filter(([, v]) => v.rss > 0).sort((a, b) => b[1].rss - a[1].rss);
      const sum = (f: (k: string) => boolean) => kinds.filter(([k]) => f(k)).reduce((a, [, v]) => a + v.anon, 0);
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(rollup)?.[1] ?? 0);
      console.log(
        `SUMMARY ${role} rss ${kb("Rss")} pss ${kb("Pss")} anon ${kb("Anonymous")} arena ${sum((k) => k.startsWith("arena"))} jit ${
          sum((k) => k.startsWith("jit"))
        }`,
      );
      console.log(`== ${role} ${pid}: ${kinds.map(([k, v]) => `${k} ${v.rss}/${v.anon} (${v.n})`).join("; ")}`);
      console.log(`   fds ${JSON.stringify(fdKinds(pid))}`);
      process.kill(pid, "SIGVTALRM");
    }
    void pids;
    await Bun.sleep(1500);
    for (const f of readdirSync(heap).filter((x) => x.endsWith(".json"))) {
      const d = JSON.parse(readFileSync(join(heap, f), "utf8"));
      const top = Object.entries(d.objectTypeCounts as Record<string, number>).sort((a, b) => b[1] - a[1]).slice(0, 25);
      console.log(
        `-- ${d.role}: heapSize ${(d.heapSize / 1024).toFixed(0)} KiB, extra ${
          (d.extraMemorySize / 1024).toFixed(0)
        } KiB, objects ${d.objectCount}, mimalloc current ${(d.process.current / 1024).toFixed(0)} peak ${(d.process.peak / 1024).toFixed(0)} KiB`,
      );
      console.log(`   ${top.map(([k, v]) => `${k} ${v}`).join(", ")}`);
      console.log(`   JSON ${join(heap, f)}`);
    }
  } finally {
    if (process.env.KEEP) Bun.spawnSync(["cp", join(r.dir, "log"), join(heap, "daemon.log")]);
    await stopDaemon(r);
  }
  if (!process.env.KEEP) rmSync(heap, { recursive: true, force: true });
  process.exit(0);
}
