/**
 * The process model of the compiled binary, in a namespace of its own (prefix kpm-): the parent starts the
 * children the config needs, restarts a SIGKILLed child, stops everything on TERM with pid files gone;
 * bad input (unknown option, unreadable config, unwritable pid dir, second instance) is one clear line and
 * a non-zero exit with nothing left running.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { loneRouter } from "../support/vrrp-lab.ts";
import { TCP_VS } from "../support/config-fixtures.ts";

let bin = "";
let ns: Netns;
let dir = "";
const CONF = `
global_defs {
  router_id kpm_test
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
${TCP_VS}`;

const pidOf = (f: string) => (existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  bin = await ensureBinary();
  dir = mkdtempSync("/tmp/kpm-");
  writeFileSync(join(dir, "k.conf"), CONF);
  ns = loneRouter(`kpm-${process.pid}`);
});
afterAll(async () => {
  await ns?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function pidArgs(d: string): string[] {
  return ["-p", join(d, "k.pid"), "-r", join(d, "v.pid"), "-c", join(d, "c.pid"), "-b", join(d, "b.pid")];
}

describe("watchdog", () => {
  test("starts the needed children, restarts a killed one, stops cleanly on TERM", async () => {
    const p = ns.spawn([bin, "-n", "-l", "-G", "-f", join(dir, "k.conf"), ...pidArgs(dir)], { stderr: "pipe" });
    const parent = await waitFor("parent pid file", () => pidOf(join(dir, "k.pid")));
    expect(parent).toBeGreaterThan(0);
    const vrrp = await waitFor("vrrp pid file", () => pidOf(join(dir, "v.pid")));
    const check = await waitFor("check pid file", () => pidOf(join(dir, "c.pid")));
    expect(existsSync(join(dir, "b.pid"))).toBe(false); // no bfd_instance: no BFD child
    expect(alive(vrrp) && alive(check)).toBe(true);
    process.kill(vrrp, "SIGKILL");
    const vrrp2 = await waitFor("restarted vrrp child", () => {
      const n = pidOf(join(dir, "v.pid"));
      return n && n !== vrrp && alive(n) ? n : 0;
    });
    expect(vrrp2).not.toBe(vrrp);
    process.kill(check, "SIGKILL");
    await waitFor("restarted check child", () => {
      const n = pidOf(join(dir, "c.pid"));
      return n && n !== check && alive(n);
    });
    const check2 = pidOf(join(dir, "c.pid"));
    process.kill(parent, "SIGTERM");
    expect(await p.exited).toBe(0);
    await waitFor("children gone", () => !alive(vrrp2) && !alive(check2));
    for (const f of ["k.pid", "v.pid", "c.pid"]) expect(existsSync(join(dir, f))).toBe(false);
    const log = await new Response(p.stderr as ReadableStream).text();
    expect(log).toMatch(/VRRP child process\(\d+\) killed by signal SIGKILL( - has rlimit_rttime been exceeded\?)? - restarting/);
  });

  test("a second instance is refused while the first runs", async () => {
    const d = mkdtempSync("/tmp/kpm-");
    const first = ns.spawn([bin, "-n", "-G", "-f", join(dir, "k.conf"), ...pidArgs(d)]);
    await waitFor("first instance up", () => pidOf(join(d, "v.pid")));
    const second = Bun.spawnSync(["ip", "netns", "exec", ns.name, bin, "-n", "-G", "-f", join(dir, "k.conf"), ...pidArgs(d)], { stderr: "pipe" });
    expect(second.exitCode).toBe(1);
    expect(second.stderr.toString()).toMatch(/already running/);
    first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    rmSync(d, { recursive: true, force: true });
  });

  test("without -n the launcher returns once the daemon is up", async () => {
    const d = mkdtempSync("/tmp/kpm-");
    const r = Bun.spawnSync(["ip", "netns", "exec", ns.name, bin, "-G", "-f", join(dir, "k.conf"), ...pidArgs(d)], { stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const daemon = pidOf(join(d, "k.pid"));
    expect(alive(daemon)).toBe(true);
    expect(alive(pidOf(join(d, "v.pid")))).toBe(true);
    process.kill(daemon, "SIGTERM");
    await waitFor("daemon gone", () => !alive(daemon) && !existsSync(join(d, "k.pid")));
    rmSync(d, { recursive: true, force: true });
  });
});

describe("bad input", () => {
  const run = (args: string[]) => Bun.spawnSync([bin, ...args], { stdout: "pipe", stderr: "pipe" });
  test("unknown option: one line, exit 1", () => {
    const r = run(["--frobnicate"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString().trim().split("\n")).toHaveLength(1);
  });
  test("unreadable config: one line, exit 1, nothing left running", () => {
    const d = mkdtempSync("/tmp/kpm-");
    const r = run(["-n", "-G", "-f", "/nonexistent/k.conf", ...pidArgs(d)]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toMatch(/cannot read configuration file \/nonexistent\/k.conf/);
    expect(existsSync(join(d, "k.pid"))).toBe(false);
    rmSync(d, { recursive: true, force: true });
  });
  test("unwritable pid directory: one line, exit 1, no children", () => {
    const r = run(["-n", "-G", "-f", join(dir, "k.conf"), "-p", "/nonexistent-dir/k.pid", "-r", join(dir, "x-v.pid"), "-c", join(dir, "x-c.pid")]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toMatch(/cannot create pid file \/nonexistent-dir\/k.pid/);
    expect(existsSync(join(dir, "x-v.pid"))).toBe(false);
  });
  test("-v, -h and --signum answer and exit 0", () => {
    expect(run(["-v"]).stdout.toString()).toMatch(/Keepalived v2.2.7 compatible/);
    expect(run(["-h"]).stdout.toString()).toMatch(/--use-file/);
    expect(run(["--signum=RELOAD"]).stdout.toString().trim()).toBe("1");
    expect(run(["--signum=NOPE"]).exitCode).toBe(1);
  });
});
