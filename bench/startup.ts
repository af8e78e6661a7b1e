/**
 * Start-up: exec of `keepalived -n -G` until READY, the parent's sd_notify once every child applied its
 * configuration (1 VRRP instance). The daemon's NOTIFY_SOCKET is a unix datagram socket of ours with
 * SO_TIMESTAMPNS, so the end is the kernel's receive time of READY=1 (CLOCK_REALTIME) and not when this
 * process got round to reading it; the start is the wall clock just before the spawn. The spawn goes
 * through `ip netns exec NS sh -c 'exec …'`: `spawnBaseline` measures that chain alone (`exec true`),
 * to subtract. Binaries are alternated in one run (the host is shared, so only same-run figures compare).
 *   bun bench/startup.ts [BIN ...]       default: dist/keepalived; BENCH_STARTUP_N rounds (default 11)
 *   BENCH_STARTUP_ENV=default|unit|both  the caller's environment, or the systemd unit's (packaging/)
 *   BENCH_STARTUP_CONF=FILE               another configuration instead of the 1-instance one (READY is still the end)
 *   BENCH_STARTUP_TRACE=1                 also the median of each phase mark (KA_START_TRACE, src/core/start-trace.ts), ms since the spawn
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Netns, waitFor } from "../test/support/netns.ts";
import { ROOT } from "../test/support/binary.ts";
import { SO_TIMESTAMPNS, SOCK_DGRAM, Socket, SOL_SOCKET } from "../src/ffi/socket.ts";
import { AF_UNIX, sockaddrUn } from "../src/ffi/sockaddr.ts";
import { realtimeMs } from "../src/ffi/libc.ts";
import { median, quantile } from "./lib.ts";

const PREFIX = process.env.BENCH_NS_PREFIX ?? "kfp-st";

/** The `Environment=` assignments of packaging/keepalived.service. */
export function unitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, "packaging/keepalived.service"), "utf8").split("\n")) {
    if (!line.startsWith("Environment=")) continue;
    for (const kv of line.slice(12).split(/\s+/)) {
      const i = kv.indexOf("=");
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
  }
  return env;
}

const CONF = `global_defs {
  router_id ks_startup
}
vrrp_instance VI_1 {
  state MASTER
  interface veth0
  virtual_router_id 1
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

/** One namespace, directory and notify socket reused by every sample of a run. */
export class StartupRig {
  readonly dir = mkdtempSync(`/tmp/${PREFIX}-`);
  readonly ns = new Netns(`${PREFIX}${process.pid % 1000}`);
  readonly #sock = new Socket(AF_UNIX, SOCK_DGRAM, 0, 4096);
  readonly #path = join(this.dir, "notify");
  /** Phase marks of the last sample (`ROLE WHAT` -> ms since the spawn), when traced. */
  phases = new Map<string, number>();
  /** CPU of the last sample's whole tree, start to exit after TERM (wait4's rusage: the daemon and the children it reaped), ms. */
  cpuMs: number | undefined;

  constructor(conf = CONF) {
    this.ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
    for (const l of ["veth0", "veth1"]) this.ns.ip("link", "set", l, "up");
    this.ns.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    writeFileSync(join(this.dir, "k.conf"), conf);
    this.#sock.bind(sockaddrUn(this.#path));
    this.#sock.setInt(SOL_SOCKET, SO_TIMESTAMPNS, 1);
  }

  /** Kernel receive time (ms, CLOCK_REALTIME) of the next datagram holding `word`, waiting up to `ms`. */
  async #received(word: string, ms: number): Promise<number | undefined> {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const d = this.#sock.recv();
      if (!d) {
        await Bun.sleep(1);
        continue;
      }
      if (!new TextDecoder().decode(d.data).split("\n").includes(word)) continue;
      const ts = d.cmsgs.find((c) => c.level === SOL_SOCKET && c.type === SO_TIMESTAMPNS);
      if (!ts) throw new Error("no SO_TIMESTAMPNS on the notify datagram");
      const v = new DataView(ts.data.buffer, ts.data.byteOffset);
      return Number(v.getBigInt64(0, true)) * 1000 + Number(v.getBigInt64(8, true)) / 1e6;
    }
    return undefined;
  }

  /** ms from the spawn until READY=1 (undefined: none within 20 s), then TERM and wait. */
  async once(bin: string, env: Record<string, string>): Promise<number | undefined> {
    while (this.#sock.recv()); // a late datagram of the previous sample
    const f = (x: string) => join(this.dir, x);
    for (const p of ["k.pid", "v.pid", "c.pid", "b.pid"]) rmSync(f(p), { force: true });
    const args = `-n -G -f ${f("k.conf")} -p ${f("k.pid")} -r ${f("v.pid")} -c ${f("c.pid")} -b ${f("b.pid")}`;
    // The wall clock now, read from the kernel: performance.timeOrigin + now() is the wall clock at this
    // process's start plus monotonic time, which drifts from CLOCK_REALTIME (the receive stamp's clock) when
    // the wall clock is stepped; one step on this VM made every sample of a long bench read ~8.3 s.
    const t0 = realtimeMs();
    const trace: Record<string, string> = process.env.BENCH_STARTUP_TRACE === "1" ? { KA_START_TRACE: f("trace") } : {};
    rmSync(f("trace"), { force: true });
    const proc = this.ns.spawn(["sh", "-c", `exec ${bin} ${args} > ${f("log")} 2>&1`], { env: { ...env, ...trace, NOTIFY_SOCKET: this.#path } });
    const at = await this.#received("READY=1", 20_000);
    this.phases = new Map();
    if (trace.KA_START_TRACE) {
      for (const line of readFileSync(trace.KA_START_TRACE, "utf8").trim().split("\n")) {
        const [, role, ...rest] = line.split(" ");
        const ms = Number(rest.pop());
        const key = `${role} ${rest.join(" ")}`;
        if (!this.phases.has(key)) this.phases.set(key, ms - t0);
      }
    }
    proc.kill("SIGTERM");
    await proc.exited;
    const ru = proc.resourceUsage();
    this.cpuMs = ru ? Number(ru.cpuTime.user + ru.cpuTime.system) / 1000 : undefined;
    await waitFor("VIP gone", () => !this.ns.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100"), 10_000, 10);
    return at === undefined ? undefined : at - t0;
  }

  /** ms of the spawn chain alone (`ip netns exec` and `sh -c exec` of `true`). */
  async spawnBaseline(): Promise<number> {
    const t0 = performance.now();
    await this.ns.spawn(["sh", "-c", "exec true"]).exited;
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    this.#sock.close();
    await this.ns.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The environment a sample runs under: ours minus the tuning variables, plus the unit's for "unit". */
export function startupEnv(kind: "default" | "unit"): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(KA_|BUN_GC|MIMALLOC_|NOTIFY_SOCKET)/.test(k)) env[k] = v;
  return kind === "unit" ? { ...env, ...unitEnv() } : env;
}

const fmt = (a: number[]) =>
  a.length
    ? `median ${median(a).toFixed(1)}, p25-p75 ${quantile(a, 0.25).toFixed(1)}-${quantile(a, 0.75).toFixed(1)}, min ${Math.min(...a).toFixed(1)}`
    : "n/a";

if (import.meta.main) {
  const bins = process.argv.slice(2).length ? process.argv.slice(2) : [join(ROOT, "dist/keepalived")];
  const n = Number(process.env.BENCH_STARTUP_N ?? 11);
  const kinds = (process.env.BENCH_STARTUP_ENV ?? "both") === "both" ? ["default", "unit"] as const : [process.env.BENCH_STARTUP_ENV as "default" | "unit"];
  const rig = new StartupRig(process.env.BENCH_STARTUP_CONF ? readFileSync(process.env.BENCH_STARTUP_CONF, "utf8") : CONF);
  const res = new Map<string, number[]>();
  const phases = new Map<string, Map<string, number[]>>();
  const cpu = new Map<string, number[]>();
  const base: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      base.push(await rig.spawnBaseline());
      for (const kind of kinds) {
        for (const bin of bins) {
          const ms = await rig.once(bin, startupEnv(kind));
          const key = `${kind} ${bin}`;
          if (!res.has(key)) res.set(key, []);
          if (!phases.has(key)) phases.set(key, new Map());
          for (const [k, v] of rig.phases) phases.get(key)!.set(k, [...(phases.get(key)!.get(k) ?? []), v]);
          if (ms !== undefined) res.get(key)!.push(ms);
          if (rig.cpuMs !== undefined) cpu.set(key, [...(cpu.get(key) ?? []), rig.cpuMs]);
          else console.error(`${key}: no READY; log: ${readFileSync(join(rig.dir, "log"), "utf8").slice(-800)}`);
        }
      }
    }
  } finally {
    await rig.close();
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`exec -> READY (ms, n = ${n} each, alternated; load average at the end ${load}); spawn chain alone: ${fmt(base)}`);
  for (const [key, a] of res) console.log(`  ${key}: ${fmt(a)}  [${a.map((x) => x.toFixed(0)).join(" ")}]`);
  for (const [key, a] of cpu) console.log(`  CPU of the tree, start to exit (ms), ${key}: ${fmt(a)}`);
  for (const [key, m] of phases) {
    if (!m.size) continue;
    const rows = [...m].map(([k, a]) => [k, median(a)] as const).sort((x, y) => x[1] - y[1]);
    console.log(`  phases (median ms since the spawn), ${key}: ${rows.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}`);
  }
}
