/**
 * Network namespaces for tests: each test file picks its own prefix, every namespace it creates is
 * deleted in cleanup, and only processes started here are killed (by pid).
 */
import type { Subprocess } from "bun";
import { SeededRandom } from "./random.ts";

export { holdsFor, waitFor } from "./wait.ts";

/** Temporary veth names: unique per process (the pid seeds them). */
const names = new SeededRandom(process.pid);

/** Runs a command, throwing with its output when it fails. */
export function sh(cmd: string[], opts: { allowFail?: boolean } = {}): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  const out = p.stdout.toString() + p.stderr.toString();
  if (p.exitCode !== 0 && !opts.allowFail) throw new Error(`${cmd.join(" ")} failed (${p.exitCode}): ${out}`);
  return out;
}

/** A namespace and what was started inside it. */
export class Netns {
  readonly procs: Subprocess[] = [];
  constructor(readonly name: string) {
    sh(["ip", "netns", "del", name], { allowFail: true });
    sh(["ip", "netns", "add", name]);
    this.ip("link", "set", "lo", "up");
  }
  /** `ip -n NAME …`. */
  ip(...args: string[]): string {
    return sh(["ip", "-n", this.name, ...args]);
  }
  /** Runs a command inside the namespace and waits for it. */
  exec(cmd: string[], opts: { allowFail?: boolean } = {}): string {
    return sh(["ip", "netns", "exec", this.name, ...cmd], opts);
  }
  /** Starts a long-running command inside the namespace. */
  spawn(
    cmd: string[],
    opts: { stdout?: "pipe" | "inherit" | "ignore"; stderr?: "pipe" | "inherit" | "ignore"; env?: Record<string, string> } = {},
  ): Subprocess {
    const p = Bun.spawn(["ip", "netns", "exec", this.name, ...cmd], {
      stdout: opts.stdout ?? "ignore",
      stderr: opts.stderr ?? "ignore",
      env: opts.env ? { ...process.env, ...opts.env } : undefined,
    });
    this.procs.push(p);
    return p;
  }
  /** Kills what we started and deletes the namespace. */
  async destroy(): Promise<void> {
    for (const p of this.procs) if (p.exitCode === null) p.kill("SIGKILL");
    await Promise.all(this.procs.map((p) => p.exited));
    sh(["ip", "netns", "del", this.name], { allowFail: true });
  }
}

/** A namespace holding a veth pair `ifA` (address `addr`) / `ifB`, both up: one daemon's own link. */
export function netnsWithVeth(name: string, ifA: string, ifB: string, addr: string): Netns {
  const ns = new Netns(name);
  ns.ip("link", "add", ifA, "type", "veth", "peer", "name", ifB);
  ns.ip("addr", "add", addr, "dev", ifA);
  ns.ip("link", "set", ifA, "up");
  ns.ip("link", "set", ifB, "up");
  return ns;
}

/** Joins two namespaces with a veth pair named `ifA` / `ifB`, both up. */
export function vethPair(a: Netns, ifA: string, b: Netns, ifB: string): void {
  const tmpA = `kt${process.pid % 100000}a${names.int(0, 1000)}`;
  const tmpB = tmpA.replace(/a(\d+)$/, "b$1");
  sh(["ip", "link", "add", tmpA, "netns", a.name, "type", "veth", "peer", "name", tmpB, "netns", b.name]);
  a.ip("link", "set", tmpA, "name", ifA);
  b.ip("link", "set", tmpB, "name", ifB);
  a.ip("link", "set", ifA, "up");
  b.ip("link", "set", ifB, "up");
}

/** Appends everything `p` writes (stdout and stderr, spawned with "pipe") to `append`, as it comes. */
export function collectOutput(p: Subprocess, append: (text: string) => void): void {
  for (const s of [p.stderr, p.stdout]) {
    if (!s || typeof s === "number") continue;
    const r = (s as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        append(dec.decode(value, { stream: true }));
      }
    })();
  }
}
