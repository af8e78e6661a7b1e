/**
 * One router alone on a segment, keepalived 2.2.7's or ours, with tcpdump on the far end of its veth:
 * the namespace tests of issue 15's VRRP slice run the same configuration under both daemons this way
 * and compare what each sent (and logged). Namespaces are `<prefix><side><pid>`; `destroyAll` kills what
 * was started (by pid) and deletes them.
 */
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { collectOutput, Netns, waitFor } from "../netns.ts";
import { KEEPALIVED } from "../vrrp-lab.ts";

/** One daemon with its capture. */
export interface Beside {
  readonly ns: Netns;
  /** tcpdump lines so far (`-l -n -e` on veth1). */
  frames(): string[];
  /** The daemon's stdout and stderr so far. */
  log(): string;
}

const spaces: Netns[] = [];

/**
 * Starts `bin` (`-n -l -D`) on `conf` in a new namespace whose veth0 (198.51.100.129/25) faces
 * veth1, where tcpdump runs with `filter`; returns once tcpdump listens and the daemon is started.
 */
export async function beside(
  prefix: string,
  dir: string,
  bin: string,
  conf: string,
  filter: string[],
  setup?: (ns: Netns) => void,
  args: string[] = [],
): Promise<Beside> {
  const side = bin === KEEPALIVED ? "k" : "o";
  const ns = new Netns(`${prefix}${side}${process.pid % 10000}`);
  spaces.push(ns);
  ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
  ns.ip("addr", "add", "198.51.100.129/25", "dev", "veth0");
  setup?.(ns);
  ns.ip("link", "set", "veth0", "up");
  ns.ip("link", "set", "veth1", "up");
  let cap = "";
  const dump = ns.spawn(["tcpdump", "-l", "-n", "-e", "-i", "veth1", ...filter], { stdout: "pipe", stderr: "pipe" });
  collectOutput(dump, (t) => void (cap += t));
  await waitFor("tcpdump", () => /listening/.test(cap), 10_000);
  const f = (x: string) => join(dir, `${side}${x}`);
  writeFileSync(f(".conf"), conf);
  const argv = [bin, "-n", "-l", "-D", "-f", f(".conf"), "-p", f(".pid"), "-r", f("v.pid"), "-c", f("c.pid")];
  if (bin !== KEEPALIVED) argv.push("-b", f("b.pid"));
  argv.push(...args);
  const p = ns.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  let log = "";
  collectOutput(p, (t) => void (log += t));
  return { ns, frames: () => cap.split("\n").filter((l) => l.length > 0 && !/listening|verbose output/.test(l)), log: () => log };
}

/** Kills everything started by `beside` and deletes its namespaces. */
export async function destroyAll(): Promise<void> {
  for (const n of spaces.splice(0)) await n.destroy();
}
