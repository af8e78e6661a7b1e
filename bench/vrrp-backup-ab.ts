/**
 * Two Backup binaries side by side, hearing the same master in the same seconds: `bun bench/vrrp-backup-ab.ts X Y [n] [window s] [rounds]`.
 * Namespace A holds a bridge named veth0 (192.0.2.1) with keepalived 2.2.7 as MASTER of `n` instances at
 * advert_int 0.1; B1 and B2 (192.0.2.2, .3) hang off the bridge and run binary X and binary Y as BACKUP of
 * the same instances, so both read the very same adverts while the host's load is the same for both. After
 * BENCH_SETTLE_S (default 20) it takes `rounds` windows of `window` seconds; each window prints, per backup,
 * the cgroup CPU of its tree (bench/cpu.ts) scaled to 30 s and the split parent / VRRP child from
 * /proc/PID/stat (10 ms ticks), then the load average. Each daemon runs in a session of its own (setsid: its own
 * scheduling autogroup, as under a service manager; see bench/vrrp.ts BENCH_SETSID). BENCH_NS (default kb) prefixes namespaces and temp dirs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Netns, sh, waitFor } from "../test/support/netns.ts";
import { cpuMeter, procStatNs } from "./cpu.ts";
import { median, processTree, vrrpConf } from "./lib.ts";

const [x, y] = [process.argv[2], process.argv[3]];
if (!x || !y) throw new Error("usage: bun bench/vrrp-backup-ab.ts BINARY_X BINARY_Y [n] [window s] [rounds]");
const n = Number(process.argv[4] ?? 100);
const windowS = Number(process.argv[5] ?? 30);
const rounds = Number(process.argv[6] ?? 3);
const NS = process.env.BENCH_NS ?? "kb";
const KA = "/usr/sbin/keepalived";
/** The master's binary (default keepalived 2.2.7). */
const MASTER = process.env.BENCH_MASTER ?? KA;

function daemon(ns: Netns, bin: string, dir: string, name: string, env = ""): Subprocess {
  const f = (s: string) => join(dir, `${name}${s}`);
  const extra = bin === KA ? "" : `-b ${f("b.pid")}`;
  return ns.spawn([
    "sh",
    "-c",
    `exec ${env}setsid ${bin} -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")} -c ${f("c.pid")} ${extra} > ${f(".log")} 2>&1`,
  ]);
}

const entered = (dir: string, name: string, state: string) =>
  (readFileSync(join(dir, `${name}.log`), "utf8").match(new RegExp(`Entering ${state} STATE`, "g")) ?? []).length;

/** user+system ns of one process (its exited threads included), 0 when gone. */
const own = (pid: number) => procStatNs(pid);

/** Datagrams the kernel dropped on the raw sockets of `ns` (/proc/net/raw's last column, full receive queues). */
const rawDrops = (ns: Netns) => ns.exec(["cat", "/proc/net/raw"]).trim().split("\n").slice(1).reduce((s, l) => s + Number(l.trim().split(/\s+/).at(-1)), 0);

const dir = mkdtempSync(`/tmp/${NS}-ab-`);
const a = new Netns(`${NS}-aba`);
const bs = [new Netns(`${NS}-abb1`), new Netns(`${NS}-abb2`)];
const procs: Subprocess[] = [];
try {
  a.ip("link", "add", "veth0", "type", "bridge");
  a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
  a.ip("link", "set", "veth0", "up");
  bs.forEach((b, i) => {
    const p = `${NS}ab${process.pid % 10000}p${i}`, q = `${NS}ab${process.pid % 10000}q${i}`;
    sh(["ip", "link", "add", p, "netns", a.name, "type", "veth", "peer", "name", q, "netns", b.name]);
    a.ip("link", "set", p, "master", "veth0");
    a.ip("link", "set", p, "up");
    b.ip("link", "set", q, "name", "veth0");
    b.ip("addr", "add", `192.0.2.${2 + i}/24`, "dev", "veth0");
    b.ip("link", "set", "veth0", "up");
  });
  writeFileSync(join(dir, "a.conf"), vrrpConf(n, 150, 3, "0.1"));
  for (const name of ["b1", "b2"]) writeFileSync(join(dir, `${name}.conf`), vrrpConf(n, 100, 3, "0.1"));
  procs.push(daemon(a, MASTER, dir, "a"));
  await waitFor(`A master of ${n}`, () => entered(dir, "a", "MASTER") >= n, 60_000);
  // BENCH_X_ENV: assignments put before X's command (for example BUN_OPTIONS for a profile).
  procs.push(daemon(bs[0]!, x, dir, "b1", process.env.BENCH_X_ENV ? `env ${process.env.BENCH_X_ENV} ` : ""), daemon(bs[1]!, y, dir, "b2"));
  for (const name of ["b1", "b2"]) await waitFor(`${name} backup`, () => entered(dir, name, "BACKUP") >= n, 60_000);
  await Bun.sleep(Number(process.env.BENCH_SETTLE_S ?? 20) * 1000);
  const backups = [procs[1]!, procs[2]!];
  const totals: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    const trees = backups.map((p) => processTree(p.pid));
    const meters = backups.map((p, i) => cpuMeter(p.pid, `${NS}ab-b${i + 1}`));
    // The tree is [sh -> daemon parent, VRRP child]: `exec` makes the shell the parent itself.
    const before = trees.map((t) => t.map(own));
    const flaps0 = ["b1", "b2"].map((b) => entered(dir, b, "MASTER"));
    await Bun.sleep(windowS * 1000);
    const ns = meters.map((m) => m.ns());
    for (const m of meters) m.close();
    const after = trees.map((t) => t.map(own));
    const scale = 30 / windowS;
    const line = backups.map((_, i) => {
      const ms = (ns[i]! / 1e6) * scale;
      totals[i]!.push(ms);
      const split = trees[i]!.map((pid, k) => `${pid}:${(((after[i]![k]! - before[i]![k]!) / 1e6) * scale).toFixed(0)}`).join(" ");
      const flaps = entered(dir, `b${i + 1}`, "MASTER") - flaps0[i]!;
      const drops = rawDrops(bs[i]!);
      return `${i ? "Y" : "X"} ${ms.toFixed(1)} ms/30s (${split}${flaps ? `, ${flaps} went MASTER` : ""}${drops ? `, ${drops} queue drops so far` : ""})`;
    });
    console.log(`round ${r + 1}: ${line.join(" | ")} | load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  }
  const med = totals.map((t) => median(t));
  console.log(
    `median X ${med[0]!.toFixed(1)} [${Math.min(...totals[0]!).toFixed(0)}-${Math.max(...totals[0]!).toFixed(0)}], Y ${med[1]!.toFixed(1)} [${
      Math.min(...totals[1]!).toFixed(0)
    }-${Math.max(...totals[1]!).toFixed(0)}] ms/30s; Y/X ${(med[1]! / med[0]!).toFixed(3)}`,
  );
} finally {
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => p.exited));
  await a.destroy();
  for (const b of bs) await b.destroy();
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
