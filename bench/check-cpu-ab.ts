/**
 * CPU and wakes of the check child with many checkers on the host, two builds alternated in one sitting:
 * `bun bench/check-cpu-ab.ts BIN_A BIN_B [rounds]`. One virtual server (no IPVS needed: without it the
 * child only reports) with, at delay_loop 1 (BENCH_DELAY), BENCH_PING_LIVE PING_CHECKs (default 300) of
 * 192.0.2.2, which answers; BENCH_PING_DEAD (default 30) of 192.0.2.3, which does not exist (no reply
 * until connect_timeout 3, so their sockets stay open and, being raw, receive every other ping's reply);
 * BENCH_TCP TCP_CHECKs (default 300) of closed ports on 192.0.2.2 (RST). After BENCH_SETTLE_S (10 s) the
 * check child's CPU (cgroup cpuacct of that process alone, bench/cpu.ts), its main thread's voluntary
 * context switches (wakes) and its RSS / anonymous memory are read over BENCH_WINDOW_S (30 s).
 * BENCH_ICMP_PPS=N pings 192.0.2.2 N times a second from the daemon's namespace meanwhile (ping -i): every
 * ICMP message reaches every raw PING_CHECK socket open, the case where SIGIO would raise a signal per
 * datagram.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cpuMeter } from "./cpu.ts";
import { median, processTree } from "./lib.ts";
import { startDaemon, stopDaemon } from "./footprint.ts";
import { parseSmapsRollup } from "./footprint-lib.ts";
import { waitFor } from "../test/support/wait.ts";

const [binA, binB] = [process.argv[2], process.argv[3]];
if (!binA || !binB) throw new Error("usage: bun bench/check-cpu-ab.ts BIN_A BIN_B [rounds]");
const rounds = Number(process.argv[4] ?? 3);
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const live = env("BENCH_PING_LIVE", 300), dead = env("BENCH_PING_DEAD", 30), tcp = env("BENCH_TCP", 300);
const pps = env("BENCH_ICMP_PPS", 0);
const delay = env("BENCH_DELAY", 1), settleS = env("BENCH_SETTLE_S", 10), windowS = env("BENCH_WINDOW_S", 30);

function conf(): string {
  const rs: string[] = [];
  for (let i = 0; i < live; i++) rs.push(`  real_server 192.0.2.2 ${1000 + i} {\n    PING_CHECK {\n      connect_timeout 3\n    }\n  }\n`);
  for (let i = 0; i < dead; i++) rs.push(`  real_server 192.0.2.3 ${1000 + i} {\n    PING_CHECK {\n      connect_timeout 3\n    }\n  }\n`);
  for (let i = 0; i < tcp; i++) rs.push(`  real_server 192.0.2.2 ${20000 + i} {\n    TCP_CHECK {\n      connect_timeout 2\n    }\n  }\n`);
  return `global_defs {\n  router_id kc_bench\n}\nvirtual_server 192.0.2.200 80 {\n  delay_loop ${delay}\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${
    rs.join("")
  }}\n`;
}

function checkChild(root: number): number | undefined {
  for (const p of processTree(root)) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes("--role=check")) return p;
    } catch { /* gone */ }
  }
  return undefined;
}

const vcsw = (pid: number) => Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
const threads = (pid: number) => Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

interface Fig {
  cpuMs: number;
  wakes: number;
  rss: number;
  anon: number;
  threads: number;
}

async function once(bin: string, tag: string): Promise<Fig | undefined> {
  const r = await startDaemon({ name: "ours", bin }, conf(), tag);
  try {
    let pid: number | undefined;
    await waitFor("check child", () => (pid = checkChild(r.proc.pid)) !== undefined, 30_000, 100);
    const flood = pps > 0 ? r.ns.spawn(["ping", "-q", "-i", String(1 / pps), "192.0.2.2"]) : undefined;
    await Bun.sleep(settleS * 1000);
    const m = cpuMeter(pid!, `kc${tag}`, { tree: false });
    const w0 = vcsw(pid!);
    await Bun.sleep(windowS * 1000);
    const ns = m.ns();
    m.close();
    flood?.kill();
    const mem = parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    const f = { cpuMs: ns / 1e6 * (30 / windowS), wakes: (vcsw(pid!) - w0) / windowS, rss: mem.rss / 1024, anon: mem.anon / 1024, threads: threads(pid!) };
    return f;
  } catch (e) {
    console.error(`${bin}: ${(e as Error).message}; log:\n${readFileSync(join(r.dir, "log"), "utf8").slice(-1500)}`);
    return undefined;
  } finally {
    await stopDaemon(r);
  }
}

const fmt = (f: Fig) =>
  `CPU ${f.cpuMs.toFixed(0)} ms/30 s, wakes ${f.wakes.toFixed(1)}/s, RSS ${f.rss.toFixed(1)}, anon ${f.anon.toFixed(1)} MiB, ${f.threads} threads`;
console.log(
  `check child: ${live} live + ${dead} dead PING_CHECK, ${tcp} TCP_CHECK, delay_loop ${delay}, ICMP ${pps}/s; load ${
    readFileSync("/proc/loadavg", "utf8").trim()
  }`,
);
const got: Record<string, Fig[]> = { A: [], B: [] };
for (let i = 0; i < rounds; i++) {
  for (const [name, bin] of [["A", binA], ["B", binB]] as const) {
    const f = await once(bin, name.toLowerCase());
    if (!f) continue;
    got[name]!.push(f);
    console.log(`round ${i + 1}, ${name}: ${fmt(f)}; load ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}`);
  }
}
for (const name of ["A", "B"]) {
  const l = got[name]!;
  const med = (k: keyof Fig) => median(l.map((f) => f[k])).toFixed(1);
  const spread = (k: keyof Fig) => `${Math.min(...l.map((f) => f[k])).toFixed(0)}-${Math.max(...l.map((f) => f[k])).toFixed(0)}`;
  console.log(
    `${name} median of ${l.length}: CPU ${med("cpuMs")} (${spread("cpuMs")}) ms/30 s, wakes ${med("wakes")}/s (${spread("wakes")}), RSS ${med("rss")}, anon ${
      med("anon")
    } MiB`,
  );
}
process.exit(0);
