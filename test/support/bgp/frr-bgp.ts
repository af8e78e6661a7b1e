/**
 * Test helper: FRR's zebra and bgpd (and optionally bfdd; Debian package `frr`, 8.4) inside one network namespace, with
 * every file (configs, pid files, vty sockets, zserv socket, logs) in a private directory, so several
 * instances never meet each other or the system's FRR. Both run in the foreground (`ip netns exec`
 * execs them, so the spawned pids are the daemons') and are stopped by those pids only.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

const FRR = "/usr/lib/frr";

/** A running zebra + bgpd pair. */
export interface FrrBgp {
  readonly dir: string;
  /** Runs vtysh commands against this pair only; resolves to stdout. */
  vtysh(commands: string[]): Promise<string>;
  /** `show bgp <afi> unicast json` routes: prefix -> the peers (neighbor addresses) of its valid paths. */
  routes(afi: "ipv4" | "ipv6"): Promise<Map<string, string[]>>;
  /** Stops both daemons (TERM, then KILL after 3 s). */
  stop(): Promise<void>;
}

function frrIds(): { uid: number; gid: number } {
  const u = Bun.spawnSync(["id", "-u", "frr"]).stdout.toString().trim();
  const g = Bun.spawnSync(["id", "-g", "frr"]).stdout.toString().trim();
  return { uid: Number(u), gid: Number(g) };
}

async function waitPath(path: string, p: Subprocess, what: string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!existsSync(path)) {
    if (p.exitCode !== null) {
      throw new Error(`${what} exited with ${p.exitCode}: ${await new Response(p.stderr as ReadableStream).text()}`);
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${path}`);
    await Bun.sleep(50);
  }
}

function spawnDaemon(ns: string, dir: string, name: "zebra" | "bgpd" | "bfdd"): Subprocess {
  const argv = [
    "ip",
    "netns",
    "exec",
    ns,
    `${FRR}/${name}`,
    "-f",
    join(dir, `${name}.conf`),
    "-i",
    join(dir, `${name}.pid`),
    "--vty_socket",
    dir,
    "-z",
    join(dir, "zserv.api"),
    "-P",
    "0",
    "--log",
    `file:${join(dir, `${name}.log`)}`,
    ...(name === "bfdd" ? ["--bfdctl", join(dir, "bfdd.sock")] : []),
  ];
  return Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
}

/**
 * Starts zebra, then bfdd when `bfddConf` is given, then bgpd in `ns` with the given configurations;
 * resolves once their vty sockets exist.
 */
export async function startFrrBgp(
  ns: string,
  dir: string,
  zebraConf: string,
  bgpdConf: string,
  bfddConf?: string,
): Promise<FrrBgp> {
  mkdirSync(dir, { recursive: true });
  for (const f of ["zebra.vty", "bgpd.vty", "bfdd.vty", "bfdd.sock", "zserv.api", "zebra.pid", "bgpd.pid", "bfdd.pid"]) {
    rmSync(join(dir, f), { force: true });
  }
  const ids = frrIds();
  chownSync(dir, ids.uid, ids.gid);
  writeFileSync(join(dir, "zebra.conf"), zebraConf);
  writeFileSync(join(dir, "bgpd.conf"), bgpdConf);
  if (bfddConf) writeFileSync(join(dir, "bfdd.conf"), bfddConf);
  const procs: Subprocess[] = [];
  const names: string[] = [];
  const stop = async () => {
    for (const [i, p] of [...procs.entries()].reverse()) {
      if (p.exitCode !== null) {
        // A daemon that died before we stopped it explains failures: show the end of its log.
        const log = join(dir, `${names[i]}.log`);
        const tail = existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-15).join("\n") : "(no log)";
        console.error(`FRR ${names[i]} in ${ns} had exited with ${p.exitCode ?? p.signalCode}:\n${tail}`);
        continue;
      }
      p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 3000);
      await p.exited;
      clearTimeout(t);
    }
  };
  try {
    names.push("zebra", ...(bfddConf ? ["bfdd"] : []), "bgpd");
    procs.push(spawnDaemon(ns, dir, "zebra"));
    await waitPath(join(dir, "zserv.api"), procs[0]!, `zebra in ${ns}`);
    if (bfddConf) {
      procs.push(spawnDaemon(ns, dir, "bfdd"));
      await waitPath(join(dir, "bfdd.vty"), procs[procs.length - 1]!, `bfdd in ${ns}`);
    }
    procs.push(spawnDaemon(ns, dir, "bgpd"));
    await waitPath(join(dir, "bgpd.vty"), procs[procs.length - 1]!, `bgpd in ${ns}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const vtysh = async (commands: string[]): Promise<string> => {
    const args = ["vtysh", "--vty_socket", dir];
    for (const c of commands) args.push("-c", c);
    const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    if ((await p.exited) !== 0) throw new Error(`vtysh ${commands.join(" / ")} failed: ${err.trim()}`);
    return out;
  };
  return {
    dir,
    vtysh,
    routes: async (afi) => parseRoutes(await vtysh([`show bgp ${afi} unicast json`])),
    stop,
  };
}

interface JsonPath {
  valid?: boolean;
  peerId?: string;
}

/** prefix -> peers of the valid paths, from `show bgp ... json`. */
export function parseRoutes(text: string): Map<string, string[]> {
  const j = JSON.parse(text) as { routes?: Record<string, JsonPath[]> };
  const out = new Map<string, string[]>();
  for (const [prefix, paths] of Object.entries(j.routes ?? {})) {
    const peers = paths.filter((p) => p.valid).map((p) => p.peerId ?? "?").sort();
    if (peers.length) out.set(prefix, peers);
  }
  return out;
}
