/**
 * The VRRP lab that namespace tests build again and again: two namespaces `a` and `b` joined by a veth
 * pair (`veth0` on both sides, 192.0.2.1/24 and 192.0.2.2/24), a temporary directory for configuration,
 * pid and log files, and daemons (ours or keepalived 2.2.7) started in either namespace with their own
 * pid files and their output collected. `destroy()` kills what the lab started (by pid) and removes the
 * namespaces and the directory. `loneRouter` is the other shape the tests use: one namespace whose veth0
 * (peer veth1 in the same namespace) is a segment with nobody else on it.
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { collectOutput, Netns, vethPair } from "./netns.ts";

/** Debian's keepalived 2.2.7, the reference implementation beside ours. */
export const KEEPALIVED = "/usr/sbin/keepalived";

/** One daemon the lab started: its process and everything it has written so far. */
export interface LabDaemon {
  readonly proc: Subprocess;
  /** stdout and stderr so far. */
  log(): string;
  /** Path of one of its pid files: "" parent, "v" VRRP child, "c" check child, "b" BFD child. */
  pidFile(role: "" | "v" | "c" | "b"): string;
}

/** What to start: `bin` with `-n -l` and the lab's pid files, plus `args` (e.g. `-D`). */
export interface DaemonOptions {
  args?: string[];
  /** Extra environment (on top of the test's). */
  env?: Record<string, string>;
}

export class VrrpLab {
  readonly a: Netns;
  readonly b: Netns;
  readonly dir: string;
  readonly #daemons: LabDaemon[] = [];

  /** Namespaces `<prefix>a<pid>` and `<prefix>b<pid>`; the prefix is the test file's own (e.g. "kvx-fl"). */
  constructor(readonly prefix: string) {
    const id = process.pid % 10000;
    this.dir = mkdtempSync(`/tmp/${prefix}-`);
    this.a = new Netns(`${prefix}a${id}`);
    this.b = new Netns(`${prefix}b${id}`);
    vethPair(this.a, "veth0", this.b, "veth0");
    this.a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    this.b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
  }

  /** Writes `text` to `name` in the lab's directory; returns the path. */
  file(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** Whether `ns` holds `addr` (an address with its prefix length, "192.0.2.100/24") on veth0. */
  has(ns: Netns, addr: string): boolean {
    return ns.ip("addr", "show", "dev", "veth0").includes(` ${addr} `);
  }

  /** Starts `bin` in `ns` on `conf` (written as `<name>.conf`), with pid files `<name>{,v,c,b}.pid`. */
  daemon(ns: Netns, bin: string, name: string, conf: string, opts: DaemonOptions = {}): LabDaemon {
    const pidFile = (role: "" | "v" | "c" | "b") => join(this.dir, `${name}${role}.pid`);
    const argv = [bin, "-n", "-l", ...(opts.args ?? []), "-f", this.file(`${name}.conf`, conf), "-p", pidFile(""), "-r", pidFile("v"), "-c", pidFile("c")];
    if (bin !== KEEPALIVED) argv.push("-b", pidFile("b"));
    const proc = ns.spawn(argv, { stdout: "pipe", stderr: "pipe", ...(opts.env ? { env: opts.env } : {}) });
    let text = "";
    collectOutput(proc, (t) => void (text += t));
    const d: LabDaemon = { proc, log: () => text, pidFile };
    this.#daemons.push(d);
    return d;
  }

  /** Kills every daemon and process started here, deletes both namespaces and the directory. */
  async destroy(): Promise<void> {
    await this.a.destroy();
    await this.b.destroy();
    if (!process.env.KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A namespace `name` alone on a segment: veth0 (its peer veth1 stays in the namespace, both up) with
 * 192.0.2.1/24, where a router is MASTER by itself. The caller destroys it.
 */
export function loneRouter(name: string): Netns {
  const ns = new Netns(name);
  ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
  ns.ip("link", "set", "veth0", "up");
  ns.ip("link", "set", "veth1", "up");
  ns.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
  return ns;
}
