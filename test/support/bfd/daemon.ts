/**
 * Test helper: runs our compiled keepalived with a BFD-only configuration inside a namespace, with its
 * pid files, console log and USR1 dump ($TMPDIR) in a private directory, and reads its state back from
 * the dump file and the log. Also the namespace topologies the BFD interop tests share.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../binary.ts";
import { type Netns, vethPair, waitFor } from "../netns.ts";

/** The binary under test: $BFD_TEST_BINARY if set (a locally patched build), else dist/keepalived. */
export async function binaryUnderTest(): Promise<string> {
  return process.env.BFD_TEST_BINARY || await ensureBinary();
}

/** One `bfd_instance` block for a test configuration. */
export interface BfdConf {
  name: string;
  neighbor: string;
  source?: string;
  minRxMs?: number;
  minTxMs?: number;
  multiplier?: number;
  multihop?: boolean;
  maxHops?: number;
  /** `ttl` for v4, `hoplimit` for v6 (keepalived's v6 default is 64; RFC 5881 single hop needs 255). */
  ttl?: number;
}

/** Renders keepalived.conf text for the given instances. */
export function renderConf(list: BfdConf[]): string {
  return list.map((c) => {
    const l = [`bfd_instance ${c.name} {`, `  neighbor_ip ${c.neighbor}`];
    if (c.source) l.push(`  source_ip ${c.source}`);
    l.push(
      `  min_rx ${c.minRxMs ?? 100}`,
      `  min_tx ${c.minTxMs ?? 100}`,
      `  multiplier ${c.multiplier ?? 3}`,
    );
    if (c.multihop) l.push("  multihop");
    if (c.maxHops !== undefined) l.push(`  max_hops ${c.maxHops}`);
    if (c.ttl !== undefined) l.push(`  ${c.neighbor.includes(":") ? "hoplimit" : "ttl"} ${c.ttl}`);
    l.push("}");
    return l.join("\n");
  }).join("\n") + "\n";
}

/** A dumped session: the `key = value` lines of its block. */
export type DumpedSession = Record<string, string>;

/** Parses keepalived_bfd.data into sessions by name and the drop counters. */
export function parseDump(
  text: string,
): { sessions: Map<string, DumpedSession>; drops: Record<string, number> } {
  const sessions = new Map<string, DumpedSession>();
  const drops: Record<string, number> = {};
  let cur: DumpedSession | undefined;
  let inDrops = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("------< BFD packet drops")) inDrops = true;
    const m = /^\s+(.+?) = (.*)$/.exec(line);
    if (!m) continue;
    const k = m[1]!, v = m[2]!;
    if (inDrops) drops[k] = Number(v);
    else if (k === "BFD Instance") sessions.set(v, cur = {});
    else if (cur) cur[k] = v;
  }
  return { sessions, drops };
}

/** Our daemon running in a namespace. */
export class OurDaemon {
  readonly proc: Subprocess;
  readonly logPath: string;
  readonly confPath: string;
  #ready = false;

  constructor(readonly ns: Netns, readonly dir: string, bin: string, conf: string) {
    this.confPath = join(dir, "keepalived.conf");
    this.logPath = join(dir, "console.log");
    writeFileSync(this.confPath, conf);
    const argv = [
      bin,
      "-n",
      "-l",
      "-D",
      "-G",
      "-f",
      this.confPath,
      "-p",
      join(dir, "k.pid"),
      "-r",
      join(dir, "v.pid"),
      "-c",
      join(dir, "c.pid"),
      "-b",
      join(dir, "b.pid"),
    ];
    this.proc = Bun.spawn(["ip", "netns", "exec", ns.name, ...argv], {
      stdout: Bun.file(join(dir, "stdout.log")),
      stderr: Bun.file(this.logPath),
      env: { ...process.env, TMPDIR: dir },
    });
    ns.procs.push(this.proc); // Netns.destroy kills it if a test fails half-way
  }

  /** The console log so far. */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, "utf8") : "";
  }

  /** Resolves once every child runs (signals sent earlier would kill a process that has no handler yet). */
  async ready(): Promise<void> {
    if (this.#ready) return;
    await waitFor(
      "our keepalived to start",
      () => {
        if (this.proc.exitCode !== null) {
          throw new Error(
            `keepalived exited with ${this.proc.exitCode}: ${this.log()}`,
          );
        }
        return this.log().includes("All child processes are running");
      },
      20_000,
      20,
    );
    this.#ready = true;
  }

  /** Asks for a USR1 dump and returns it parsed (the old file is removed first; the new one appears by rename). */
  async dump(): Promise<ReturnType<typeof parseDump>> {
    await this.ready();
    const path = join(this.dir, "keepalived_bfd.data");
    for (let attempt = 0;; attempt++) {
      rmSync(path, { force: true });
      this.proc.kill("SIGUSR1");
      const deadline = performance.now() + 3000;
      while (!existsSync(path) && performance.now() < deadline) await Bun.sleep(20);
      if (existsSync(path)) return parseDump(readFileSync(path, "utf8"));
      if (attempt === 4) throw new Error(`no ${path} after 5 USR1 signals; log:\n${this.log()}`);
    }
  }

  /** Polls the dump until session `name` has `key` = `value`. */
  async waitSession(name: string, key: string, value: string, timeoutMs = 20_000): Promise<DumpedSession> {
    return await waitFor(
      `${name}: ${key} = ${value}`,
      async () => {
        const s = (await this.dump()).sessions.get(name);
        return s && s[key] === value ? s : undefined;
      },
      timeoutMs,
      100,
    );
  }

  /** Polls the log until `re` matches; returns the match. */
  async waitLog(re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return await waitFor(`log line ${re}`, () => re.exec(this.log()), timeoutMs, 50);
  }

  /** Writes a new configuration and sends HUP (reload). */
  async reload(conf: string): Promise<void> {
    await this.ready();
    writeFileSync(this.confPath, conf);
    this.proc.kill("SIGHUP");
  }

  /** TERM, then waits for exit. */
  async stop(): Promise<number> {
    if (this.proc.exitCode === null) this.proc.kill("SIGTERM");
    return await this.proc.exited;
  }
}

/** Enables forwarding in a router namespace. */
export function enableForwarding(r: Netns): void {
  r.exec(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
  r.exec(["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"]);
}

/** Addresses of {@link lineTopology}: A — R — B, R routes between 192.0.2.0/24 and 198.51.100.0/24. */
export const ADDR = {
  a4: "192.0.2.1",
  r4a: "192.0.2.254",
  r4b: "198.51.100.254",
  b4: "198.51.100.2",
  a6: "2001:db8:1::1",
  r6a: "2001:db8:1::fe",
  r6b: "2001:db8:2::fe",
  b6: "2001:db8:2::2",
} as const;

/** Three namespaces in a line (A — R — B, R forwards), IPv4 and IPv6 without DAD delays. */
export function lineTopology(a: Netns, r: Netns, b: Netns): void {
  vethPair(a, "a0", r, "r0");
  vethPair(b, "b0", r, "r1");
  const add = (n: Netns, dev: string, addr: string) => n.ip("addr", "add", addr, "dev", dev, ...(addr.includes(":") ? ["nodad"] : []));
  add(a, "a0", `${ADDR.a4}/24`);
  add(a, "a0", `${ADDR.a6}/64`);
  add(r, "r0", `${ADDR.r4a}/24`);
  add(r, "r0", `${ADDR.r6a}/64`);
  add(r, "r1", `${ADDR.r4b}/24`);
  add(r, "r1", `${ADDR.r6b}/64`);
  add(b, "b0", `${ADDR.b4}/24`);
  add(b, "b0", `${ADDR.b6}/64`);
  enableForwarding(r);
  a.ip("route", "add", "198.51.100.0/24", "via", ADDR.r4a);
  a.ip("-6", "route", "add", "2001:db8:2::/64", "via", ADDR.r6a);
  b.ip("route", "add", "192.0.2.0/24", "via", ADDR.r4b);
  b.ip("-6", "route", "add", "2001:db8:1::/64", "via", ADDR.r6b);
}
