/**
 * Control socket under load (docs/control.md), Debian's keepalived 2.2.7 and ours in the same run:
 * namespaces A/B joined by a veth pair; A is master of one VRRPv3 instance (advert_int 0.1, priority
 * 150), B runs keepalived 2.2.7 as backup (100) for both. Adverts from A are captured in B (tcpdump
 * kernel timestamps) for a window while idle and, for ours, for a window with a burst of 1,000
 * concurrent `status` calls every second (the client runs in this process, on the same 2 cores). keepalived has no control socket: its idle spread is
 * the reference in both rows. Also the status call latency and the CPU of our VRRP child and parent
 * during the bursts. BENCH_CTL_S (default 10) window; BENCH_SETTLE_S (default 10) settle time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Netns, vethPair, waitFor } from "../test/support/netns.ts";
import { connectRetry } from "../src/control/client.ts";
import { cpuMeter } from "./cpu.ts";
import { type Impl, impls, quantile, type Row } from "./lib.ts";

const conf = (prio: number, sock: string | null) =>
  `global_defs {
  router_id kct_bench_${prio}
  vrrp_version 3
${sock ? `  control_socket ${sock}\n` : ""}}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 81
  priority ${prio}
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

/** Intervals between adverts in a tcpdump -tt capture, ms. */
function intervals(text: string): number[] {
  const t = text.split("\n").filter((l) => /VRRPv3, Advertisement, vrid 81/.test(l)).map((l) => Number(l.split(" ")[0]) * 1000);
  return t.slice(1).map((x, i) => x - t[i]!);
}

/** One status call on a fresh connection; its latency, ms. */
async function statusCall(sock: string): Promise<number> {
  const t0 = performance.now();
  const c = await connectRetry(sock, t0 + 30_000);
  await new Promise<void>((resolve, reject) => {
    let out = "";
    c.on("data", (x) => (out += x));
    c.on("close", () => (JSON.parse(out).ok ? resolve() : reject(new Error(out))));
    c.write(`{"v":1,"cmd":"status"}\n`);
  });
  return performance.now() - t0;
}

interface Sample {
  idle: number[];
  loaded: number[];
  latencies: number[];
  bursts: number;
  backupMasters: number;
  cpuVrrpMs: number;
  cpuParentMs: number;
}

async function capture(b: Netns, dir: string, windowS: number, during?: () => Promise<void>): Promise<number[]> {
  const cap = b.spawn(["sh", "-c", `exec timeout ${windowS} tcpdump -tt -n -l -i veth0 'ip proto 112 and src 192.0.2.1' > ${dir}/cap.txt 2>/dev/null`]);
  await Bun.sleep(300);
  if (during) await during();
  await cap.exited;
  return intervals(readFileSync(join(dir, "cap.txt"), "utf8"));
}

async function run(impl: Impl, windowS: number): Promise<Sample> {
  const dir = mkdtempSync("/tmp/kct-bench-");
  const tag = `${impl.name === "ours" ? "o" : "k"}${process.pid % 1000}`;
  const a = new Netns(`kct-ba${tag}`), b = new Netns(`kct-bb${tag}`);
  const procs: Subprocess[] = [];
  try {
    vethPair(a, "veth0", b, "veth0");
    a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
    const sock = impl.name === "ours" ? join(dir, "ctl", "control.sock") : null;
    writeFileSync(join(dir, "a.conf"), conf(150, sock));
    writeFileSync(join(dir, "b.conf"), conf(100, null));
    const f = (x: string) => join(dir, x);
    const extra = impl.name === "ours" ? `-b ${f("ab.pid")}` : "";
    procs.push(
      a.spawn(["sh", "-c", `exec ${impl.bin} -n -l -f ${f("a.conf")} -p ${f("a.pid")} -r ${f("av.pid")} -c ${f("ac.pid")} ${extra} > ${f("a.log")} 2>&1`]),
    );
    await waitFor(`${impl.name} master`, () => a.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100/"), 30_000);
    procs.push(
      b.spawn(["sh", "-c", `exec /usr/sbin/keepalived -n -l -f ${f("b.conf")} -p ${f("b.pid")} -r ${f("bv.pid")} -c ${f("bc.pid")} > ${f("b.log")} 2>&1`]),
    );
    await waitFor("keepalived backup", () => /Entering BACKUP STATE/.test(readFileSync(f("b.log"), "utf8")), 30_000);
    await Bun.sleep(Number(process.env.BENCH_SETTLE_S ?? 10) * 1000);
    const masters = () => (readFileSync(f("b.log"), "utf8").match(/Entering MASTER STATE/g) ?? []).length;
    const m0 = masters();
    const idle = await capture(b, dir, windowS);
    const s: Sample = { idle, loaded: [], latencies: [], bursts: 0, backupMasters: 0, cpuVrrpMs: NaN, cpuParentMs: NaN };
    if (sock) {
      const vrrpPid = Number(readFileSync(f("av.pid"), "utf8"));
      const parentPid = Number(readFileSync(f("a.pid"), "utf8"));
      const meters = [cpuMeter(vrrpPid, "ctl-vrrp", { tree: false }), cpuMeter(parentPid, "ctl-parent", { tree: false })];
      const end = performance.now() + (windowS - 1) * 1000;
      s.loaded = await capture(b, dir, windowS, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          s.latencies.push(...await Promise.all(Array.from({ length: 1000 }, () => statusCall(sock))));
          s.bursts++;
          await Bun.sleep(Math.max(0, 1000 - (performance.now() - t0))); // one burst per second
        }
      });
      s.cpuVrrpMs = meters[0]!.ns() / 1e6;
      s.cpuParentMs = meters[1]!.ns() / 1e6;
      for (const m of meters) m.close();
    }
    s.backupMasters = masters() - m0;
    return s;
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
    await a.destroy();
    await b.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The control-socket rows. */
export async function ctlScenarios(ours: string): Promise<Row[]> {
  const windowS = Number(process.env.BENCH_CTL_S ?? 10);
  const [ki, oi] = impls(ours) as [Impl, Impl];
  const k = await run(ki, windowS);
  const o = await run(oi, windowS);
  const dev = (iv: number[]) => Math.max(...iv.map((x) => Math.abs(x - 100)));
  const sc = "1 instance v3 advert_int 0.1";
  const load = `${sc}, ours under ${o.bursts} bursts (1/s) of 1,000 concurrent status calls (keepalived: idle)`;
  return [
    {
      scenario: `${sc}, idle`,
      metric: "advert interval p99",
      keepalived: quantile(k.idle, 0.99),
      ours: quantile(o.idle, 0.99),
      unit: "ms",
      lowerIsBetter: true,
    },
    { scenario: `${sc}, idle`, metric: "advert max |interval - 100 ms|", keepalived: dev(k.idle), ours: dev(o.idle), unit: "ms", lowerIsBetter: true },
    { scenario: load, metric: "advert interval p99", keepalived: quantile(k.idle, 0.99), ours: quantile(o.loaded, 0.99), unit: "ms", lowerIsBetter: true },
    { scenario: load, metric: "advert max |interval - 100 ms|", keepalived: dev(k.idle), ours: dev(o.loaded), unit: "ms", lowerIsBetter: true },
    {
      scenario: load,
      metric: "backup (keepalived) going MASTER in both windows",
      keepalived: k.backupMasters,
      ours: o.backupMasters,
      unit: "count",
      lowerIsBetter: true,
    },
    { scenario: load, metric: "status call latency p50 (ours only)", keepalived: NaN, ours: quantile(o.latencies, 0.5), unit: "ms", lowerIsBetter: true },
    { scenario: load, metric: "status call latency p99 (ours only)", keepalived: NaN, ours: quantile(o.latencies, 0.99), unit: "ms", lowerIsBetter: true },
    { scenario: load, metric: "CPU of our VRRP child in the window (ours only)", keepalived: NaN, ours: o.cpuVrrpMs, unit: "ms", lowerIsBetter: true },
    { scenario: load, metric: "CPU of our parent in the window (ours only)", keepalived: NaN, ours: o.cpuParentMs, unit: "ms", lowerIsBetter: true },
  ];
}
