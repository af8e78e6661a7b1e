/**
 * IPVS checker benchmark driver (runs inside the VM; compiled to /opt/guest-bench for bench/ipvs-vm.ts).
 *   guest-bench run [--n=10000] [--window=30] [--warmup=5] [--kills=10] [--start=240] [--settle=150] NAME=BIN ...
 *   guest-bench listen N          (the real servers, see guest-listen.ts)
 * One virtual_server with N real servers, each with TCP_CHECK (connect_timeout 1) and delay_loop 1,
 * against one listener process. For each daemon in turn (`-n -l -C -G`): wait until IPVS lists all N
 * real servers and the listener saw every one of them checked twice (start-up work done), warm up, then over the window measure the CPU of the daemon's process tree
 * (bench/cpu.ts: its cgroup when the guest has one, else utime+stime+cutime+cstime of the tree) and the connections the listener accepted (= checks performed), RSS
 * and PSS of the tree at the end; then close K listeners one by one (the first K real servers in
 * /proc/net/ip_vs order) and time each one's removal from IPVS, polling the head of /proc/net/ip_vs
 * every 10 ms. Progress and one "IPVS-BENCH-RESULT {json}" line per daemon go to /dev/console.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { cpuMeter } from "../../bench/cpu.ts";
import { median, processTree, pssKiB, rssKiB } from "../../bench/lib.ts";
import { BENCH_PORT, benchAddr, benchHex, listenMain } from "./guest-listen.ts";

const consoleFd = (() => {
  try {
    return openSync("/dev/console", "a");
  } catch {
    return 1;
  }
})();
/** A line on the serial console (host side parses it live). */
function say(line: string): void {
  writeFileSync(consoleFd, `${line}\n`);
}

/** Line-oriented driver of the listener process. */
class Listener {
  #lines: string[] = [];
  #waiters: ((l: string) => void)[] = [];
  readonly proc;
  constructor(n: number) {
    this.proc = Bun.spawn([process.execPath, "listen", String(n)], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    void this.#read();
  }
  async #read(): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of this.proc.stdout as ReadableStream<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      for (const l of parts) {
        const w = this.#waiters.shift();
        if (w) w(l);
        else this.#lines.push(l);
      }
    }
  }
  /** The next line the listener prints. */
  next(): Promise<string> {
    const l = this.#lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => this.#waiters.push(r));
  }
  /** Sends one command and returns the reply's words. */
  async ask(cmd: string): Promise<string[]> {
    this.proc.stdin.write(`${cmd}\n`);
    this.proc.stdin.flush();
    return (await this.next()).split(" ");
  }
}

/** The benchmark configuration: one NAT service, N real servers with TCP_CHECK. */
function configText(n: number): string {
  const out = ["global_defs {", "    router_id ipvs-bench", "}", "virtual_server 192.0.2.10 80 {"];
  out.push("    delay_loop 1", "    lb_algo rr", "    lb_kind NAT", "    protocol TCP");
  for (let i = 0; i < n; i++) {
    out.push(`    real_server ${benchAddr(i)} ${BENCH_PORT} {`, "        weight 1", "        TCP_CHECK {");
    out.push("            connect_timeout 1", "        }", "    }");
  }
  out.push("}", "");
  return out.join("\n");
}

/** Real servers in /proc/net/ip_vs, in the kernel's list order (hex "ADDR:PORT"). */
function ipvsDests(): string[] {
  const text = readFileSync("/proc/net/ip_vs", "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^ {2}-> ([0-9A-F]{8}:[0-9A-F]{4}) /gm)) out.push(m[1]!);
  return out;
}

const head = new Uint8Array(8192);
/**
 * The first 4 KiB or more of /proc/net/ip_vs. seq_file hands out whole records: the first read returns
 * the header only, the next one the start of the service record (formatted whole by the kernel).
 */
function ipvsHead(): string {
  const fd = openSync("/proc/net/ip_vs", "r");
  try {
    let got = 0;
    while (got < 4096) {
      const n = readSync(fd, head, got, head.length - got, null);
      if (n <= 0) break;
      got += n;
    }
    return new TextDecoder().decode(head.subarray(0, got));
  } finally {
    closeSync(fd);
  }
}

const uptime = () => Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);

/** One process of the daemon's tree at the end of the window: its role (ours: `--role=X`), RSS, peak RSS, anonymous. */
function perProcess(tree: number[], root: number): { pid: number; role: string; rssKiB: number; hwmKiB: number; anonKiB: number }[] {
  return tree.map((pid) => {
    const field = (text: string, k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
    let status = "", cmd: string[] = [];
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch { /* gone */ }
    const role = cmd.find((a) => a.startsWith("--role="))?.slice(7) ?? (pid === root ? "parent" : "child");
    return { pid, role, rssKiB: field(status, "VmRSS"), hwmKiB: field(status, "VmHWM"), anonKiB: field(status, "RssAnon") };
  });
}

/**
 * RSS of each process of the daemon's tree every ~500 ms from its start to the end of the window (the
 * tree is re-listed every 2 s): when the peak (VmHWM) happens, at the first IPVS flush or later.
 * `points` are [seconds since start, RSS MiB, anonymous MiB] per role, one a second.
 */
class RssTimeline {
  readonly points: Record<string, [number, number, number][]> = {};
  readonly max: Record<string, { rssMiB: number; atS: number }> = {};
  #pids: number[] = [];
  #timer: ReturnType<typeof setInterval>;
  #ticks = 0;
  constructor(readonly root: number, readonly t0: number) {
    this.#timer = setInterval(() => this.#sample(), 500);
  }
  #sample(): void {
    if (this.#ticks++ % 4 === 0) this.#pids = processTree(this.root);
    const t = (performance.now() - this.t0) / 1000;
    for (const p of perProcess(this.#pids, this.root)) {
      if (!Number.isFinite(p.rssKiB)) continue;
      const rss = p.rssKiB / 1024;
      const m = this.max[p.role];
      if (!m || rss > m.rssMiB) this.max[p.role] = { rssMiB: Math.round(rss * 10) / 10, atS: Math.round(t * 10) / 10 };
      const pts = (this.points[p.role] ??= []);
      if (this.#ticks % 2 === 0) pts.push([Math.round(t * 10) / 10, Math.round(rss * 10) / 10, Math.round((p.anonKiB / 1024) * 10) / 10]);
    }
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Options of one run. */
interface Opts {
  n: number;
  windowS: number;
  warmupS: number;
  kills: number;
  startS: number;
  /** Longest wait for every real server to be checked twice (the first round's results are in). */
  settleS: number;
}

/** Waits until IPVS lists all N real servers; returns seconds from daemon start, or NaN. */
async function waitFull(o: Opts, name: string, daemon: { exitCode: number | null }): Promise<number> {
  const t0 = performance.now();
  let last = 0;
  while ((performance.now() - t0) / 1000 < o.startS && daemon.exitCode === null) {
    const have = ipvsDests().length;
    if (have === o.n) return (performance.now() - t0) / 1000;
    if (performance.now() - last > 15_000) {
      say(`BENCH ${name}: ${have}/${o.n} real servers in IPVS after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      last = performance.now();
    }
    await Bun.sleep(500);
  }
  return NaN;
}

/**
 * Waits until the listener saw every real server connect at least twice since the daemon started: the
 * daemon has processed the first result of every checker (start-up work done). Seconds from start, or NaN.
 */
async function waitSettled(o: Opts, name: string, l: Listener, startedAt: number): Promise<number> {
  let last = performance.now();
  for (;;) {
    const seen = Number((await l.ask("seen 2"))[1]);
    const secs = (performance.now() - startedAt) / 1000;
    if (seen >= o.n) return secs;
    if (secs > o.settleS) {
      say(`BENCH ${name}: only ${seen}/${o.n} real servers checked twice after ${secs.toFixed(0)} s; measuring anyway`);
      return NaN;
    }
    if (performance.now() - last > 15_000) {
      say(`BENCH ${name}: ${seen}/${o.n} real servers checked twice after ${secs.toFixed(0)} s`);
      last = performance.now();
    }
    await Bun.sleep(1000);
  }
}

/** Closes the first K real servers in IPVS order, one at a time; ms from close to removal for each. */
async function killPhase(o: Opts, l: Listener): Promise<{ ms: number[]; pollMs: number; closed: number[] }> {
  const victims = ipvsDests().slice(0, o.kills);
  const index = new Map(Array.from({ length: o.n }, (_, i) => [benchHex(i), i]));
  const ms: number[] = [];
  const closed: number[] = [];
  let polls = 0, pollTime = 0;
  for (const hex of victims) {
    const i = index.get(hex);
    if (i === undefined) continue;
    const listed = `-> ${hex} `;
    if (!ipvsHead().includes(listed)) {
      say(`BENCH   ${benchAddr(i)} is not in the head of /proc/net/ip_vs; skipped:\n${ipvsHead().slice(0, 300)}`);
      continue;
    }
    const [, , at] = await l.ask(`close ${i}`);
    closed.push(i);
    const t0 = Number(at);
    const p0 = performance.now();
    let gone = NaN;
    while (Date.now() - t0 < 20_000) {
      polls++;
      if (!ipvsHead().includes(listed)) {
        gone = Date.now() - t0;
        break;
      }
      // One read of the head of /proc/net/ip_vs costs ~60 ms of the emulated CPU with 10,000 entries:
      // polled every 10 ms it took most of a vCPU from the daemon under test and inflated its removal
      // times. Every ~300 ms is resolution enough for removals of seconds.
      await Bun.sleep(250);
    }
    pollTime += performance.now() - p0;
    ms.push(gone);
    say(
      `BENCH   ${benchAddr(i)} closed at ${new Date(t0).toISOString().slice(11, 23)}: ${
        Number.isFinite(gone) ? `removed after ${gone} ms` : "NOT removed in 20 s"
      }`,
    );
  }
  return { ms, pollMs: polls ? pollTime / polls : NaN, closed };
}

/** Stops the daemon (SIGTERM, then SIGKILL of its tree after 60 s) and clears what it left. */
async function stopDaemon(d: ReturnType<typeof Bun.spawn>): Promise<void> {
  const tree = processTree(d.pid);
  d.kill("SIGTERM");
  const t0 = performance.now();
  while (d.exitCode === null && performance.now() - t0 < 60_000) await Bun.sleep(200);
  if (d.exitCode === null) {
    for (const p of tree) {
      try {
        process.kill(p, "SIGKILL");
      } catch { /* gone */ }
    }
  }
  await Bun.sleep(500);
  Bun.spawnSync(["ipvsadm", "-C"]);
}

/** Benchmarks one daemon; returns the result object (also printed). */
async function benchOne(o: Opts, l: Listener, name: string, bin: string): Promise<Record<string, unknown>> {
  say(`BENCH ${name}: starting ${bin} with ${o.n} real servers`);
  const log = `/tmp/bench-${name}.log`;
  await l.ask("mark");
  const startedAt = performance.now();
  const d = Bun.spawn(
    [bin, "-n", "-l", "-C", "-G", "-f", "/tmp/bench.conf", "-p", `/tmp/${name}.pid`, "-c", `/tmp/${name}-c.pid`],
    { stdout: Bun.file(log), stderr: Bun.file(`${log}.err`), stdin: "ignore" },
  );
  const r: Record<string, unknown> = { impl: name, n: o.n };
  const timeline = new RssTimeline(d.pid, startedAt);
  r.fullTableS = await waitFull(o, name, d);
  if (!Number.isFinite(r.fullTableS as number)) {
    r.error = `IPVS never listed all ${o.n} real servers (have ${ipvsDests().length}, daemon exit ${d.exitCode})`;
    say(`BENCH ${name}: ${r.error}; log tail:\n${tail(log)}`);
    timeline.stop();
    await stopDaemon(d);
    return r;
  }
  say(`BENCH ${name}: full table after ${(r.fullTableS as number).toFixed(1)} s`);
  r.settledS = await waitSettled(o, name, l, startedAt);
  say(`BENCH ${name}: every real server checked twice after ${(r.settledS as number).toFixed(1)} s; warm-up ${o.warmupS} s`);
  await Bun.sleep(o.warmupS * 1000);
  const meter = cpuMeter(d.pid, name), a0 = Number((await l.ask("count"))[1]), t0 = uptime();
  await Bun.sleep(o.windowS * 1000);
  const tree = processTree(d.pid);
  const cpu = meter.ns(), a1 = Number((await l.ask("count"))[1]), t1 = uptime();
  meter.close();
  timeline.stop();
  const checks = a1 - a0, secs = t1 - t0;
  Object.assign(r, {
    windowS: secs,
    checks,
    checksPerS: checks / secs,
    cpuPct: (100 * cpu) / 1e9 / secs,
    cpuUsPerCheck: cpu / 1e3 / checks,
    cpuMethod: meter.method,
    rssKiB: rssKiB(tree),
    pssKiB: pssKiB(tree),
    processes: tree.length,
    perProcess: perProcess(tree, d.pid),
    destsAfterWindow: ipvsDests().length,
    rssMax: timeline.max,
    rssTimeline: timeline.points,
  });
  say(`BENCH ${name}: window ${JSON.stringify(r)}`);
  if (checks === 0) diagnose(name, d.pid, tree, log);
  const k = await killPhase(o, l);
  // What the daemon logged about the closed real servers (time of failure, retry, removal).
  try {
    const text = [log, `${log}.err`].map((f) => (existsSync(f) ? readFileSync(f, "utf8") : "")).join("\n");
    for (const i of k.closed) {
      const a = benchAddr(i);
      for (const line of text.split("\n").filter((x) => x.includes(`${a}]`) || x.includes(` ${a} `))) say(`BENCH   log: ${line}`);
    }
  } catch { /* no log */ }
  Object.assign(r, { removalMs: k.ms, removalMedianMs: median(k.ms), pollMs: k.pollMs, alive: d.exitCode === null });
  await stopDaemon(d);
  await l.ask("reopen");
  return r;
}

/** A daemon that performed no checks: its log, descriptors and (keepalived's USR1) state dump. */
function diagnose(name: string, pid: number, tree: number[], log: string): void {
  say(`BENCH ${name}: no checks in the window; log tail:\n${tail(log)}\n${tail(`${log}.err`)}`);
  for (const p of tree) {
    let fds = -1;
    try {
      fds = readdirSync(`/proc/${p}/fd`).length;
    } catch { /* gone */ }
    const st = (() => {
      try {
        return readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.slice(0, 40);
      } catch {
        return "gone";
      }
    })();
    say(`BENCH   pid ${p}: ${fds} fds, stat ${st}`);
  }
  try {
    process.kill(pid, "SIGUSR1");
    Bun.sleepSync(3000);
    for (const f of ["/tmp/keepalived_check.data", "/tmp/keepalived.data"]) {
      try {
        say(`BENCH   ${f}:\n${readFileSync(f, "utf8").split("\n").slice(0, 30).join("\n")}`);
      } catch { /* not written */ }
    }
  } catch { /* gone */ }
}

/** Last lines of a file, for failures. */
function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return `(no ${path})`;
  }
}

/** `run`: every NAME=BIN in turn, each against its own listener process. */
async function runMain(args: string[]): Promise<void> {
  const num = (k: string, d: number) => Number(args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d);
  const o: Opts = {
    n: num("n", 10000),
    windowS: num("window", 30),
    warmupS: num("warmup", 5),
    kills: num("kills", 10),
    startS: num("start", 240),
    settleS: num("settle", 150),
  };
  // --only=NAME[+NAME...]: the daemons to run; --rounds=R runs them R times, every other round in reverse
  // order, so that a before/after pair alternates within one boot.
  const only = args.find((a) => a.startsWith("--only="))?.slice(7).split("+");
  const rounds = num("rounds", 1);
  const listed = args.filter((a) => !a.startsWith("--") && a.includes("=")).map((a) => a.split("=") as [string, string])
    .filter(([name, bin]) => (!only || only.includes(name)) && existsSync(bin));
  const impls = Array.from({ length: rounds }, (_, r) => (r % 2 ? [...listed].reverse() : listed).map(([n, b]) => [n, b, r + 1] as const)).flat();
  writeFileSync("/tmp/bench.conf", configText(o.n), { mode: 0o644 });
  const t0 = performance.now();
  // A fresh listener process for each daemon: one run's leftovers (a listener that served 10,000 real
  // servers at full load, then had its peer SIGKILLed) must not weigh on the next daemon's figures.
  for (const [name, bin, round] of impls) {
    const l = new Listener(o.n);
    const ready = await l.next();
    say(`BENCH listener for ${name}: ${ready} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const r = { ...(await benchOne(o, l, name, bin)), round };
    say(`IPVS-BENCH-RESULT ${JSON.stringify(r)}`);
    l.proc.stdin.end();
    await l.proc.exited;
  }
  say(`BENCH done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === "listen") await listenMain(Number(rest[0]));
else if (cmd === "run") await runMain(rest);
else {
  console.log(`usage: guest-bench run [--n=N] [--window=S] [--warmup=S] [--kills=K] NAME=BIN... | listen N`);
  process.exit(2);
}
process.exit(0);
