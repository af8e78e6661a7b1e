/**
 * The VRRP child started before the parse (src/procs/prespawn.ts), with the compiled binary in a namespace
 * of its own (prefix kt-): a configuration without VRRP instances leaves no VRRP child (nor a zombie of
 * it, when a keyword in a comment made the parent start one early), one with an instance runs exactly one VRRP child, which takes the VIP, also when the configuration
 * changes the child's command line (`instance`) so that the early child is replaced.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { holdsFor } from "../support/wait.ts";
import { loneRouter } from "../support/vrrp-lab.ts";
import { TCP_VS } from "../support/config-fixtures.ts";

let bin = "";
let ns: Netns;
let dir = "";

const VRRP = `vrrp_instance VI_1 {
  state MASTER
  interface veth0
  virtual_router_id 52
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const VS = TCP_VS;

/** The pids (with their state letter) whose parent is `ppid`. */
function childrenOf(ppid: number): { pid: number; state: string; cmd: string }[] {
  const out: { pid: number; state: string; cmd: string }[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) !== ppid) continue;
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").join(" ");
      out.push({ pid: Number(e), state: rest[0]!, cmd });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** The killed early child is reaped (no zombie) and the check child is the parent's only child. */
const onlyCheck = (parent: number) => {
  const kids = childrenOf(parent);
  return kids.length === 1 && kids[0]!.cmd.includes("--role=check") && kids[0]!.state !== "Z";
};
const pidOf = (f: string) => (existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0);

beforeAll(async () => {
  bin = await ensureBinary();
  dir = mkdtempSync("/tmp/kt-early-");
  ns = loneRouter(`kt-early${process.pid % 1000}`);
});
afterAll(async () => {
  await ns?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the daemon on `conf` until every child is running, checks `f` on it, then stops it. */
async function withDaemon(name: string, conf: string, f: (parent: number) => Promise<void>, env?: Record<string, string>): Promise<string> {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  writeFileSync(join(d, "k.conf"), conf);
  const pids = ["-p", join(d, "k.pid"), "-r", join(d, "v.pid"), "-c", join(d, "c.pid"), "-b", join(d, "b.pid")];
  const p = ns.spawn([bin, "-n", "-l", "-G", "-f", join(d, "k.conf"), ...pids], { stderr: "pipe", env });
  let err = "";
  const reader = (async () => {
    for await (const chunk of p.stderr as ReadableStream<Uint8Array>) err += new TextDecoder().decode(chunk);
  })();
  try {
    await waitFor("all children running", () => err.includes("All child processes are running"), 20_000);
    await f(p.pid);
  } finally {
    p.kill("SIGTERM");
    await p.exited;
    await reader;
  }
  return err;
}

describe("the early VRRP child", () => {
  test("a configuration without VRRP instances leaves no VRRP child", async () => {
    const log = await withDaemon("novrrp", `global_defs {\n  router_id kt_early\n}\n${VS}`, async (parent) => {
      // Only the check child, and no killed early child left unreaped.
      await waitFor("only the check child", () => onlyCheck(parent), 5_000);
      await holdsFor("only the check child", () => onlyCheck(parent), 1_000);
      expect(existsSync(join(dir, "novrrp", "v.pid"))).toBe(false);
    });
    expect(log).not.toContain("Starting VRRP child process");
  }, 30_000);

  test("the word in a comment starts an early child, which is killed and reaped after the parse", async () => {
    const conf = `# no vrrp_instance here\nglobal_defs {\n  router_id kt_early\n}\n${VS}`;
    await withDaemon("comment", conf, async (parent) => {
      await waitFor("only the check child", () => onlyCheck(parent), 5_000);
      await holdsFor("only the check child", () => onlyCheck(parent), 1_000);
    });
  }, 30_000);

  test("a configuration with an instance runs one VRRP child, which takes the VIP", async () => {
    await withDaemon("vrrp", `global_defs {\n  router_id kt_early\n}\n${VRRP}${VS}`, async (parent) => {
      await waitFor("VIP", () => ns.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100"), 20_000);
      const kids = childrenOf(parent);
      const vrrp = kids.filter((k) => k.cmd.includes("--role=vrrp"));
      expect(vrrp.map((k) => k.pid)).toEqual([pidOf(join(dir, "vrrp", "v.pid"))]);
      expect(kids.filter((k) => k.cmd.includes("--role=check"))).toHaveLength(1);
      expect(kids).toHaveLength(2);
    });
  }, 30_000);

  test("an `instance` name changes the child's arguments: the early child is replaced by one started with them", async () => {
    await withDaemon("inst", `instance kt1\nglobal_defs {\n  router_id kt_early\n}\n${VRRP}`, async (parent) => {
      await waitFor("VIP", () => ns.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100"), 20_000);
      await holdsFor("one VRRP child, started with --instance", () => {
        const kids = childrenOf(parent);
        return kids.length === 1 && kids[0]!.cmd.includes("--instance=kt1") && kids[0]!.state !== "Z";
      }, 1_000);
    });
  }, 30_000);
  test("-f naming a FIFO is refused at once: the pre-scan reads the file as the parse does, never blocking on it", async () => {
    const d = join(dir, "fifo");
    mkdirSync(d);
    const fifo = join(d, "k.conf");
    Bun.spawnSync(["mkfifo", fifo]);
    const pids = ["-p", join(d, "k.pid"), "-r", join(d, "v.pid"), "-c", join(d, "c.pid"), "-b", join(d, "b.pid")];
    const p = ns.spawn([bin, "-n", "-l", "-G", "-f", fifo, ...pids], { stderr: "pipe" });
    const code = await Promise.race([p.exited, Bun.sleep(10_000).then(() => "hung" as const)]);
    if (code === "hung") p.kill("SIGKILL");
    expect(code).not.toBe("hung");
    expect(code).not.toBe(0);
    expect(await new Response(p.stderr as ReadableStream<Uint8Array>).text()).toContain("is not a regular non-executable file");
    expect(existsSync(join(d, "v.pid"))).toBe(false);
  }, 30_000);

  test("the child the first process starts before its re-exec is the parent's: restarted when it dies, its env tuned, nothing handed on", async () => {
    // KA_TUNED unset: the first process re-executes itself, handing over the VRRP child it started (prespawn.ts).
    const env = { KA_TUNED: "", KA_NO_TUNE: "" };
    const log = await withDaemon("handed", `global_defs {\n  router_id kt_early\n}\n${VRRP}${VS}`, async (parent) => {
      await waitFor("VIP", () => ns.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100"), 20_000);
      const first = pidOf(join(dir, "handed", "v.pid"));
      const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      expect(readFileSync(`/proc/${first}/stat`, "utf8").split(") ")[1]!.split(" ")[1]).toBe(String(parent));
      expect(environ(parent)).toContain("KA_TUNED=1");
      expect(environ(parent).some((e) => e.startsWith("KA_HANDED_VRRP="))).toBe(true);
      expect(environ(first)).toContain("MIMALLOC_SCAVENGER=0");
      const check = childrenOf(parent).find((k) => k.cmd.includes("--role=check"))!;
      expect(environ(check.pid).some((e) => e.startsWith("KA_HANDED_VRRP="))).toBe(false);
      process.kill(first, "SIGKILL");
      await waitFor("a new VRRP child", () => pidOf(join(dir, "handed", "v.pid")) > 0 && pidOf(join(dir, "handed", "v.pid")) !== first, 10_000);
      await waitFor("the old one reaped", () => !existsSync(`/proc/${first}`), 5_000);
      await waitFor("VIP again", () => ns.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100"), 20_000);
    }, env);
    expect(log).toContain("killed by signal SIGKILL");
    expect(log).toContain("VRRP child process(");
  }, 40_000);
});
