/**
 * vrrp_track_process through the netlink process connector, beside keepalived 2.2.7 (issue 15): how soon
 * each daemon sees a tracked process start and exit, and its CPU while 1,000 other processes start per
 * second. The connector only answers in the initial network namespace, so each daemon runs there in
 * turn, on a veth pair of our own (hk15tp0/hk15tp1 by default, deleted after). The instance tracks one process
 * (`quorum 1`, weight 0: FAULT without it); a probe binary with a name of its own (a copy of sleep
 * called hk15probe) is started and killed; the time is from the spawn (the kill) to the daemon's
 * vrrp_notify_fifo line leaving (entering) FAULT. CPU: the daemon's process tree in a cgroup of its own
 * (bench/cpu.ts) over a window, idle and while shells start /bin/true (two by default; the rate
 * achieved, host-wide, is read from /proc/stat "processes").
 * Run: bun bench/track-process.ts [--samples=N] [--window=S] [--storms=N] (root; dist/keepalived is built if stale).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../test/support/binary.ts";
import { sh, waitFor } from "../test/support/netns.ts";
import { cpuMeter } from "./cpu.ts";
import { type Impl, impls, median, printTable, quantile, type Row } from "./lib.ts";

const arg = (k: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d);
const SAMPLES = arg("samples", 20);
const WINDOW_S = arg("window", 10);
/** Shells starting /bin/true (each up to ~1,000 a second, as fast as fork allows here). */
const STORMS = arg("storms", 2);
/** BENCH_TP_PREFIX (default hk15) names the veth pair, the probe and the temp dir; BENCH_OURS picks our binary. */
const P = process.env.BENCH_TP_PREFIX ?? "hk15";
const dir = mkdtempSync(`/tmp/${P}-tp-`);
const probe = join(dir, `${P}probe`);
copyFileSync("/bin/sleep", probe);
sh(["chmod", "755", probe]);

const conf = (fifo: string) =>
  `global_defs {\n  router_id bench\n  vrrp_notify_fifo ${fifo}\n}\n` +
  `vrrp_track_process probe {\n  process ${P}probe\n  quorum 1\n  weight 0\n}\n` +
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${P}tp0\n  virtual_router_id 71\n  priority 100\n  advert_int 1\n` +
  `  track_process {\n    probe\n  }\n  virtual_ipaddress {\n    198.18.71.1/32\n  }\n}\n`;

/** FIFO lines with their arrival time (performance.now()). */
class FifoLines {
  readonly lines: { at: number; text: string }[] = [];
  readonly #p: Subprocess<"ignore", "pipe", "ignore">;
  constructor(path: string) {
    const p = Bun.spawn(["cat", path], { stdout: "pipe", stderr: "ignore" });
    this.#p = p;
    void (async () => {
      let rest = "";
      for await (const chunk of p.stdout) {
        const at = performance.now();
        rest += new TextDecoder().decode(chunk);
        const parts = rest.split("\n");
        rest = parts.pop() ?? "";
        for (const text of parts) this.lines.push({ at, text });
      }
    })();
  }
  /** Waits for a line after index `from` matching `re`; returns its arrival time. */
  async next(from: number, re: RegExp, timeoutMs = 10_000): Promise<number> {
    const l = await waitFor(`fifo ${re}`, () => this.lines.slice(from).find((x) => re.test(x.text)), timeoutMs, 1);
    return l.at;
  }
  close(): void {
    this.#p.kill();
  }
}

const forks = () => Number(/^processes (\d+)/m.exec(readFileSync("/proc/stat", "utf8"))![1]);

async function measure(impl: Impl): Promise<{ startMs: number[]; exitMs: number[]; idle: number; storm: number; rate: number }> {
  const fifo = join(dir, `${impl.name}.fifo`);
  sh(["rm", "-f", fifo]);
  sh(["mkfifo", fifo]);
  writeFileSync(join(dir, `${impl.name}.conf`), conf(fifo));
  const f = (x: string) => join(dir, `${impl.name}${x}`);
  const extra = impl.name === "ours" ? ["-b", f("b.pid")] : [];
  const lines = new FifoLines(fifo);
  const d = Bun.spawn([impl.bin, "-n", "-l", "-D", "-f", f(".conf"), "-p", f(".pid"), "-r", f("v.pid"), "-c", f("c.pid"), ...extra], {
    stdout: Bun.file(f(".log")),
    stderr: "ignore",
  });
  const startMs: number[] = [];
  const exitMs: number[] = [];
  try {
    await lines.next(0, /"VI_1" FAULT/, 20_000);
    for (let i = 0; i < SAMPLES; i++) {
      let n = lines.lines.length;
      const t0 = performance.now();
      const p = Bun.spawn([probe, "30"], { stdout: "ignore", stderr: "ignore" });
      startMs.push((await lines.next(n, /"VI_1" (BACKUP|MASTER)/)) - t0);
      n = lines.lines.length;
      const t1 = performance.now();
      p.kill("SIGKILL");
      exitMs.push((await lines.next(n, /"VI_1" FAULT/)) - t1);
      await p.exited;
      await Bun.sleep(100);
    }
    const cpu = cpuMeter(d.pid, impl.name, { tree: true });
    try {
      const a = cpu.ns();
      await Bun.sleep(WINDOW_S * 1000);
      const idle = cpu.ns() - a;
      const loop = "while :; do i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done; sleep 0.1; done";
      const storm = Array.from({ length: STORMS }, () => Bun.spawn(["sh", "-c", loop], { stdout: "ignore", stderr: "ignore" }));
      await Bun.sleep(1000);
      const b = cpu.ns();
      const f0 = forks();
      await Bun.sleep(WINDOW_S * 1000);
      const busy = cpu.ns() - b;
      const rate = (forks() - f0) / WINDOW_S;
      for (const p of storm) p.kill("SIGKILL");
      await Promise.all(storm.map((p) => p.exited));
      return { startMs, exitMs, idle: idle / 1e6 / WINDOW_S, storm: busy / 1e6 / WINDOW_S, rate };
    } finally {
      cpu.close();
    }
  } finally {
    d.kill("SIGTERM");
    await d.exited;
    lines.close();
  }
}

async function main(): Promise<void> {
  const bin = process.env.BENCH_OURS ?? await ensureBinary();
  sh(["ip", "link", "add", `${P}tp0`, "type", "veth", "peer", "name", `${P}tp1`]);
  try {
    sh(["ip", "link", "set", `${P}tp1`, "up"]);
    sh(["ip", "link", "set", `${P}tp0`, "up"]);
    sh(["ip", "addr", "add", "198.18.71.2/24", "dev", `${P}tp0`]);
    const rows: Row[] = [];
    const res: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const impl of impls(bin)) res[impl.name] = await measure(impl);
    const k = res.keepalived!, o = res.ours!;
    const row = (metric: string, unit: string, a: number, b: number) =>
      rows.push({ scenario: "track_process", metric, keepalived: a, ours: b, unit, lowerIsBetter: true });
    row("start seen, median", "ms", median(k.startMs), median(o.startMs));
    row("start seen, p95", "ms", quantile(k.startMs, 0.95), quantile(o.startMs, 0.95));
    row("exit seen, median", "ms", median(k.exitMs), median(o.exitMs));
    row("exit seen, p95", "ms", quantile(k.exitMs, 0.95), quantile(o.exitMs, 0.95));
    row("CPU idle", "ms/s", k.idle, o.idle);
    row(`CPU, ~${Math.round((k.rate + o.rate) / 2)} processes/s beside it`, "ms/s", k.storm, o.storm);
    printTable(rows);
    console.log(`samples ${SAMPLES}, window ${WINDOW_S} s; process starts/s measured: keepalived run ${k.rate.toFixed(0)}, ours ${o.rate.toFixed(0)}`);
  } finally {
    sh(["ip", "link", "del", `${P}tp0`], { allowFail: true });
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
