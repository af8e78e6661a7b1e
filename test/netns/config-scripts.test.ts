/**
 * Scripts checked at load, at run time, side by side with Debian's keepalived 2.2.7 (prefix kcd-): the
 * same configuration, with one tracked vrrp_script that does not exist (weight 0: it would put the
 * instance into FAULT if it ran and failed) and one that exists and fails (weight -30), runs under
 * keepalived in one namespace and under ours in another; each is alone on its link, so each becomes
 * MASTER. The adverts seen on both links must carry the same priority (100 - 30 = 70: the missing
 * script is disabled, as if it were not configured), and both must be MASTER. Also: a configuration
 * with a keyword missing its parameter is refused at start (exit 2, keepalived's message), and a HUP
 * to such a file keeps the running configuration.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, Netns, vethPair, waitFor } from "../support/netns.ts";
import { loneRouter } from "../support/vrrp-lab.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const id = process.pid % 10000;
const dir = mkdtempSync("/tmp/kcd-rt-");
const spaces: Netns[] = [];
afterAll(async () => {
  for (const ns of spaces.reverse()) await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function conf(priority: string): string {
  return `global_defs {
  router_id kcd
  enable_script_security
  script_user root
}
vrrp_script chk_missing {
  script "${dir}/never-written.sh"
  interval 1
  weight 0
}
vrrp_script chk_fails {
  script "/bin/false"
  interval 1
  weight -30
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  track_script {
    chk_missing
    chk_fails
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
}

/** A daemon (keepalived or ours) in its own namespace, its output kept in a log file. */
class Daemon {
  proc: Subprocess | undefined;
  constructor(readonly ns: Netns, readonly tag: string) {}
  start(bin: string, text: string): void {
    const f = (s: string) => join(dir, `${this.tag}-${s}`);
    writeFileSync(f("conf"), text);
    this.proc = this.ns.spawn(
      [bin, "-n", "-l", "-D", "-f", f("conf"), "-p", f("k.pid"), "-r", f("v.pid"), "-c", f("c.pid"), "-b", f("b.pid")],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = Bun.file(f("log")).writer();
    for (const s of [this.proc.stdout, this.proc.stderr] as ReadableStream<Uint8Array>[]) {
      const r = s.getReader();
      void (async () => {
        for (;;) {
          const { done, value } = await r.read();
          if (done) break;
          out.write(value);
          out.flush();
        }
      })();
    }
  }
  log(): string {
    try {
      return readFileSync(join(dir, `${this.tag}-log`), "utf8");
    } catch {
      return "";
    }
  }
  async stop(): Promise<void> {
    this.proc?.kill("SIGTERM");
    await this.proc?.exited;
  }
}

/** Priorities of the next few adverts seen on `ifname` of the observer namespace. */
function advertPriorities(obs: Netns, ifname: string): number[] {
  const p = Bun.spawnSync(
    ["ip", "netns", "exec", obs.name, "tcpdump", "-i", ifname, "-nn", "-l", "-c", "3", "ip proto 112"],
    { stdout: "pipe", stderr: "pipe", timeout: 15_000 },
  );
  return [...p.stdout.toString().matchAll(/prio (\d+)/g)].map((m) => Number(m[1]));
}

describe("scripts checked at load, at run time beside keepalived 2.2.7", () => {
  test("a missing track script: same state and priority as keepalived", async () => {
    const bin = await ensureBinary();
    const obs = new Netns(`kcd-obs${id}`), a = new Netns(`kcd-ka${id}`), b = new Netns(`kcd-us${id}`);
    spaces.push(obs, a, b);
    vethPair(a, "veth0", obs, "ka0");
    vethPair(b, "veth0", obs, "us0");
    a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    b.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    const ka = new Daemon(a, "ka"), ours = new Daemon(b, "ours");
    ka.start(KEEPALIVED, conf("100"));
    ours.start(bin, conf("100"));
    const vip = (ns: Netns) => ns.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100/");
    await waitFor("keepalived MASTER", () => vip(a) && /Entering MASTER STATE/.test(ka.log()), 30_000);
    await waitFor("ours MASTER", () => vip(b) && /Entering MASTER STATE/.test(ours.log()), 30_000);
    // Both must settle on 70: the missing script is disabled, the failing one takes 30.
    const settled = async (ifname: string) =>
      await waitFor(`adverts on ${ifname} at priority 70`, () => advertPriorities(obs, ifname).at(-1) === 70, 30_000, 200)
        .then(() => 70).catch(() => advertPriorities(obs, ifname).at(-1));
    const kaPrio = await settled("ka0");
    const ourPrio = await settled("us0");
    const detail = `\n--- keepalived:\n${ka.log()}\n--- ours:\n${ours.log()}`;
    expect(`keepalived advertises ${kaPrio}`).toBe("keepalived advertises 70");
    expect(`ours advertises ${ourPrio}${ourPrio === kaPrio ? "" : detail}`).toBe(`ours advertises ${kaPrio}`);
    expect(ka.log()).toMatch(/Disabling track script chk_missing since not found\/accessible/);
    expect(ours.log()).toMatch(/Disabling track script chk_missing since not found\/accessible/);
    expect(/FAULT/.test(ours.log())).toBe(/FAULT/.test(ka.log()));
    expect(vip(a) && vip(b)).toBe(true);
    await ka.stop();
    await ours.stop();
  }, 120_000);

  test("a keyword missing its parameter: refused at start, and a HUP to it keeps the running configuration", async () => {
    const bin = await ensureBinary();
    const ns = loneRouter(`kcd-hup${id}`);
    spaces.push(ns);
    const bad = conf("");
    // keepalived and ours refuse the same file with the same message and exit status.
    for (const [tag, b] of [["ka-bad", KEEPALIVED], ["ours-bad", bin]] as const) {
      const d = new Daemon(ns, tag);
      d.start(b, bad);
      const code = await d.proc!.exited;
      expect(`${tag} exit ${code}`).toBe(`${tag} exit 2`);
      expect(d.log()).toMatch(/missing a parameter after keyword `priority` at word position 2/);
    }
    const ours = new Daemon(ns, "ours-hup");
    ours.start(bin, conf("100").replace(/ {2}track_script \{[^}]*\}\n/, ""));
    const vip = () => ns.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100/");
    await waitFor("ours MASTER", () => vip() && /Entering MASTER STATE/.test(ours.log()), 30_000);
    writeFileSync(join(dir, "ours-hup-conf"), bad);
    ours.proc!.kill("SIGHUP");
    await waitFor("reload refused", () => /keeping the running configuration/.test(ours.log()), 20_000);
    expect(ours.log()).toMatch(/missing a parameter after keyword `priority`/);
    await holdsFor("still MASTER with the VIP after the refused reload", () => vip() && ours.proc!.exitCode === null, 2000);
    await ours.stop();
  }, 120_000);
});
