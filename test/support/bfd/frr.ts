/**
 * Test helper: runs FRR's bfdd (Debian package `frr`, 8.4) standalone inside a network namespace, without
 * zebra or watchfrr, with all of its files (config, pid file, vty and control sockets, log) in a private
 * directory. Used to capture reference packets (test/fixtures/bfd/) and by interop tests.
 *
 * Without zebra bfdd knows no interfaces, so peers must not name one: use `local-address` instead.
 * It is started in the foreground (`ip netns exec` execs it, so the spawned pid is bfdd's own pid) and
 * stopped by killing exactly that pid.
 */
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../wait.ts";

/** Path of FRR's bfdd binary in the Debian package. */
export const BFDD_PATH = "/usr/lib/frr/bfdd";

/** One `peer` block of bfdd's configuration. */
export interface FrrBfdPeer {
  /** Peer address (v4 or v6). */
  peer: string;
  /** Our address on the session; required for multihop, advisable always (no interfaces without zebra). */
  localAddress?: string;
  /** RFC 5883 multihop session (UDP 4784). */
  multihop?: boolean;
  /** Required Min RX, milliseconds (FRR default 300). */
  receiveIntervalMs?: number;
  /** Desired Min TX, milliseconds (FRR default 300). */
  transmitIntervalMs?: number;
  /** Detect Mult (FRR default 3). */
  detectMultiplier?: number;
  /** Wait for the peer's first packet before sending. */
  passive?: boolean;
  /** Administratively down (sends State AdminDown, diag 7). */
  shutdown?: boolean;
  /** Multihop only: lowest accepted TTL (FRR `minimum-ttl`). */
  minimumTtl?: number;
}

/** Options for {@link startFrrBfdd}. */
export interface FrrBfddOptions {
  /** Network namespace to run in (must exist). */
  namespace: string;
  /** Private directory for config, pid file, sockets and log; created if missing. */
  dir: string;
  /** Configured peers. */
  peers: FrrBfdPeer[];
  /** How long to wait for the vty socket, ms. @default 10000 */
  readyTimeoutMs?: number;
}

/** A running bfdd. */
export interface FrrBfdd {
  /** Pid of bfdd itself. */
  pid: number;
  /** Its private directory. */
  dir: string;
  /** Runs vtysh commands against this bfdd only (each string is one `-c`); resolves to stdout. */
  vtysh(commands: string[]): Promise<string>;
  /** `show bfd peers json`, parsed. */
  peers(): Promise<FrrPeerStatus[]>;
  /** Kills this bfdd (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** The fields of `show bfd peers json` that tests look at. */
export interface FrrPeerStatus {
  peer: string;
  status: string;
  id: number;
  "remote-id": number;
  diagnostic: string;
  "remote-diagnostic": string;
  [key: string]: unknown;
}

/** Renders bfdd's configuration file for the given peers. */
export function renderBfddConfig(peers: FrrBfdPeer[]): string {
  const lines = ["bfd"];
  for (const p of peers) {
    let head = ` peer ${p.peer}`;
    if (p.multihop) head += " multihop";
    if (p.localAddress) head += ` local-address ${p.localAddress}`;
    lines.push(head);
    if (p.detectMultiplier !== undefined) lines.push(`  detect-multiplier ${p.detectMultiplier}`);
    if (p.receiveIntervalMs !== undefined) lines.push(`  receive-interval ${p.receiveIntervalMs}`);
    if (p.transmitIntervalMs !== undefined) lines.push(`  transmit-interval ${p.transmitIntervalMs}`);
    if (p.minimumTtl !== undefined) lines.push(`  minimum-ttl ${p.minimumTtl}`);
    if (p.passive) lines.push("  passive-mode");
    lines.push(p.shutdown ? "  shutdown" : "  no shutdown");
    lines.push(" !");
  }
  lines.push("!");
  return lines.join("\n") + "\n";
}

function frrIds(): { uid: number; gid: number } {
  const r = Bun.spawnSync(["id", "-u", "frr"]);
  const g = Bun.spawnSync(["id", "-g", "frr"]);
  return { uid: Number(r.stdout.toString().trim()), gid: Number(g.stdout.toString().trim()) };
}

/** Starts bfdd in `namespace` with the given peers; resolves once its vty socket exists. */
export async function startFrrBfdd(opts: FrrBfddOptions): Promise<FrrBfdd> {
  const { namespace, dir } = opts;
  mkdirSync(dir, { recursive: true });
  // Leftovers of an earlier run would make us think the new bfdd is ready before it is.
  for (const f of ["bfdd.vty", "bfdd.pid", "bfdd.sock"]) rmSync(join(dir, f), { force: true });
  const ids = frrIds();
  chownSync(dir, ids.uid, ids.gid); // bfdd drops to user frr, then writes its pid file and sockets here
  const conf = join(dir, "bfdd.conf");
  writeFileSync(conf, renderBfddConfig(opts.peers));
  const argv = [
    "ip",
    "netns",
    "exec",
    namespace,
    BFDD_PATH,
    "-f",
    conf,
    "-i",
    join(dir, "bfdd.pid"),
    "--vty_socket",
    dir,
    "-z",
    join(dir, "zserv.api"),
    "--bfdctl",
    join(dir, "bfdd.sock"),
    "-P",
    "0",
    "--log",
    `file:${join(dir, "bfdd.log")}`,
    "--log-level",
    "debug",
  ];
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const vty = join(dir, "bfdd.vty");
  try {
    await waitFor(`${vty}`, () => existsSync(vty) || proc.exitCode !== null, opts.readyTimeoutMs ?? 10_000, 20);
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  }
  if (proc.exitCode !== null) {
    const err = await new Response(proc.stderr).text();
    throw new Error(`bfdd in ${namespace} exited with ${proc.exitCode}: ${err.trim()}`);
  }
  return makeHandle(proc, dir);
}

function makeHandle(proc: Bun.Subprocess, dir: string): FrrBfdd {
  const vtysh = async (commands: string[]): Promise<string> => {
    const args = ["vtysh", "--vty_socket", dir];
    for (const c of commands) args.push("-c", c);
    const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    const code = await p.exited;
    if (code !== 0) throw new Error(`vtysh ${commands.join(" / ")} failed (${code}): ${err.trim()}`);
    return out;
  };
  return {
    pid: proc.pid,
    dir,
    vtysh,
    peers: async () => JSON.parse(await vtysh(["show bfd peers json"])) as FrrPeerStatus[],
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}
