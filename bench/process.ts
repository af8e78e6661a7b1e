/**
 * Process-level scenarios, both implementations in one run, each in its own namespace with a veth pair:
 *  - start-up: exec of `keepalived -n` until every child of the config is running (VRRP + check children
 *    for keepalived: their pid files exist; ours: the same pid files),
 *  - idle RSS summed over the whole process tree after settling,
 *  - idle CPU of the process tree (bench/cpu.ts: its own cgroup) over a window (default 30 s; BENCH_IDLE_S to change).
 * The config has one VRRP instance (master) and one virtual server with a TCP_CHECK.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Netns, waitFor } from "../test/support/netns.ts";
import { cpuMeter } from "./cpu.ts";
import { type Impl, impls, median, processTree, pssKiB, type Row, rssKiB } from "./lib.ts";

/** Prefix of the namespace and temp dir (BENCH_NS). */
const NS = process.env.BENCH_NS ?? "kbench";

const CONF = `global_defs {
  router_id bench
}
vrrp_instance VI_1 {
  state MASTER
  interface veth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

interface Sample {
  startMs: number;
  rssKiB: number;
  pssKiB: number;
  cpuMsPerWindow: number;
}

async function once(impl: Impl, idleS: number): Promise<Sample> {
  const dir = mkdtempSync(`/tmp/${NS}-`);
  const ns = new Netns(`${NS}-p${process.pid % 10000}`);
  try {
    ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
    ns.ip("link", "set", "veth0", "up");
    ns.ip("link", "set", "veth1", "up");
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    writeFileSync(join(dir, "k.conf"), CONF);
    const pidf = (n: string) => join(dir, n);
    const t0 = performance.now();
    const p = ns.spawn([impl.bin, "-n", "-G", "-f", join(dir, "k.conf"), "-p", pidf("k.pid"), "-r", pidf("v.pid"), "-c", pidf("c.pid"), "-b", pidf("b.pid")]);
    await waitFor(`${impl.name} VRRP child`, () => existsSync(pidf("v.pid")), 20_000, 1);
    const startMs = performance.now() - t0;
    await waitFor(`${impl.name} VIP`, () => ns.ip("addr", "show", "dev", "veth0").includes("192.0.2.100"), 20_000);
    await Bun.sleep(6000); // past garp_master_delay (5 s)
    const meter = cpuMeter(p.pid, impl.name);
    await Bun.sleep(idleS * 1000);
    const cpu = meter.ns();
    meter.close();
    const rss = rssKiB(processTree(p.pid));
    const pss = pssKiB(processTree(p.pid));
    p.kill("SIGTERM");
    await p.exited;
    return { startMs, rssKiB: rss, pssKiB: pss, cpuMsPerWindow: cpu / 1e6 * (30 / idleS) };
  } finally {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the scenarios; returns table rows. */
export async function processScenarios(ours: string, trials = 3): Promise<Row[]> {
  const idleS = Number(process.env.BENCH_IDLE_S ?? 30);
  const res: Record<string, Sample[]> = { keepalived: [], ours: [] };
  for (let t = 0; t < trials; t++) {
    for (const impl of impls(ours)) res[impl.name]!.push(await once(impl, idleS));
  }
  const m = (k: string, f: (s: Sample) => number) => median(res[k]!.map(f));
  return [
    {
      scenario: "1 VRRP instance",
      metric: "start-up to children running",
      keepalived: m("keepalived", (s) => s.startMs),
      ours: m("ours", (s) => s.startMs),
      unit: "ms",
      lowerIsBetter: true,
    },
    {
      scenario: "1 VRRP instance",
      metric: "idle RSS, process tree",
      keepalived: m("keepalived", (s) => s.rssKiB) / 1024,
      ours: m("ours", (s) => s.rssKiB) / 1024,
      unit: "MiB",
      lowerIsBetter: true,
    },
    {
      scenario: "1 VRRP instance",
      metric: "idle PSS, process tree",
      keepalived: m("keepalived", (s) => s.pssKiB) / 1024,
      ours: m("ours", (s) => s.pssKiB) / 1024,
      unit: "MiB",
      lowerIsBetter: true,
    },
    {
      scenario: "1 VRRP instance",
      metric: "idle CPU per 30 s",
      keepalived: m("keepalived", (s) => s.cpuMsPerWindow),
      ours: m("ours", (s) => s.cpuMsPerWindow),
      unit: "ms",
      lowerIsBetter: true,
    },
  ];
}
