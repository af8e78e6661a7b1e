/**
 * `keepalived ctl` against a running daemon, with Debian's keepalived 2.2.7 as the VRRP peer, in
 * namespaces (prefix kct-n): at each step of an operator failover, `status --json` agrees with `ip addr`
 * in both namespaces and with keepalived's log; `failover --hold` moves the VIP to keepalived and,
 * after the hold, back, each side changing state exactly once per move (no flap), also when the VRRP
 * child is killed during the hold (the parent gives the restarted child the hold); 1,000 concurrent
 * `status` calls leave the adverts alone (keepalived stays BACKUP, no gap near Master_Down_Interval in
 * the capture); `drain`/`undrain`/`weight` change the check child's IPVS table at run time (on this
 * host the kernel has no IPVS, so the table the check child computes is what is checked: status and
 * its -D log lines), survive a restart of the check child, and `status` answers while it restarts;
 * a persisted weight is reapplied by the next start; malformed, oversized and slow requests to the
 * daemon are rejected while VRRP carries on;
 * `reload --check` on a broken file reports file:line with -t's exit status and changes nothing, and
 * an unusable file is refused by `reload` with nothing changed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, Netns, vethPair, waitFor } from "../support/netns.ts";
import type { StatusResult } from "../../src/control/status.ts";
import { connectRetry } from "../../src/control/client.ts";

const VIP = "192.0.2.100";
const dir = mkdtempSync("/tmp/kct-n-");
const SOCK = join(dir, "ctl", "control.sock");
const id = process.pid % 10000;
const a = new Netns(`kct-na${id}`), b = new Netns(`kct-nb${id}`);
afterAll(async () => {
  await a.destroy();
  await b.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const vrrp = (prio: number) =>
  `vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 71
  priority ${prio}
  advert_int 0.2
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
const ours = (extra = "") =>
  `global_defs {
  router_id kct_a
  vrrp_version 3
  control_socket ${SOCK}
}
${vrrp(150)}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.1 18401 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 192.0.2.1 18402 {
    weight 1
  }
}
${extra}`;

function logOf(name: string): string {
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch {
    return "";
  }
}

function pipeTo(p: Subprocess, file: string): void {
  const out = Bun.file(join(dir, file)).writer();
  for (const s of [p.stderr, p.stdout]) {
    if (!(s instanceof ReadableStream)) continue;
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

let bin = "";
/** Runs `keepalived ctl -s SOCK ARGS` (outside the namespaces: the socket is a file). */
function ctl(...args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync([bin, "ctl", "-s", SOCK, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}
function status(): StatusResult {
  const r = ctl("status", "--json");
  if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.err}`);
  return JSON.parse(r.out).result as StatusResult;
}
const inst = (s: StatusResult) => s.vrrp!.instances.find((i) => i.name === "VI_1")!;
const hasVip = (ns: Netns) => ns.ip("-4", "addr", "show", "dev", "veth0").includes(`${VIP}/`);
const kaStates = () => (logOf("ka.log").match(/\(VI_1\) Entering (MASTER|BACKUP) STATE/g) ?? []).map((l) => l.split(" ")[2]);
const oursStates = () => (logOf("ours.log").match(/\(VI_1\) Entering (MASTER|BACKUP) STATE/g) ?? []).map((l) => l.split(" ")[2]);
const rs = (s: StatusResult, name: string) => s.check!.virtualServers[0]!.realServers.find((r) => r.name === name)!;

describe("keepalived ctl with a keepalived 2.2.7 peer", () => {
  test("status follows a failover to keepalived and back; drain, weight, reload --check", async () => {
    bin = await ensureBinary();
    vethPair(a, "veth0", b, "veth0");
    a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
    a.spawn(["socat", "TCP-LISTEN:18401,fork,reuseaddr", "SYSTEM:true"]);
    writeFileSync(join(dir, "ka.conf"), `global_defs {\n  router_id kct_b\n  vrrp_version 3\n}\n${vrrp(100)}`);
    const ka = b.spawn([
      "/usr/sbin/keepalived",
      "-n",
      "-l",
      "-D",
      "-f",
      join(dir, "ka.conf"),
      "-p",
      join(dir, "ka.pid"),
      "-r",
      join(dir, "ka-v.pid"),
      "-c",
      join(dir, "ka-c.pid"),
    ], { stderr: "pipe", stdout: "pipe" });
    pipeTo(ka, "ka.log");
    await waitFor("keepalived MASTER", () => hasVip(b) && kaStates().at(-1) === "MASTER");
    const conf = join(dir, "ours.conf");
    writeFileSync(conf, ours());
    const p = (s: string) => join(dir, `${s}.pid`);
    const daemon = a.spawn([bin, "-n", "-l", "-D", "-G", "-f", conf, "-p", p("k"), "-r", p("v"), "-c", p("c"), "-b", p("b")], { stderr: "pipe" });
    pipeTo(daemon, "ours.log");

    // 1. Ours (150) preempts keepalived (100): status, ip addr and keepalived's log agree.
    await waitFor("ours MASTER, keepalived BACKUP", () => hasVip(a) && !hasVip(b) && kaStates().at(-1) === "BACKUP", 20_000);
    let s = await waitFor("status MASTER", () => {
      const x = status();
      return inst(x).state === "MASTER" && x.check ? x : undefined;
    });
    expect(inst(s)).toMatchObject({ priority: 150, effectivePriority: 150, master: { address: "192.0.2.2", priority: 100 }, holdUntilMs: null });
    expect(s.daemon.controlSocket).toBe(SOCK);
    expect(s.children.map((c) => c.role).sort()).toEqual(["check", "vrrp"]);
    const ka0 = kaStates().length, ours0 = oursStates().length;

    // 2. failover --hold 6: keepalived takes the VIP, ours holds BACKUP at priority 1.
    const f = ctl("failover", "VI_1", "--hold", "6");
    expect(f.code).toBe(0);
    expect(f.out).toMatch(/^yielded VI_1; held for 6 s \(VI_1: last heard 192\.0\.2\.2 priority 100\)/);
    await waitFor("VIP on keepalived", () => hasVip(b) && !hasVip(a) && kaStates().at(-1) === "MASTER", 10_000);
    s = status();
    expect(inst(s)).toMatchObject({ state: "BACKUP", effectivePriority: 1, lastTransition: { from: "MASTER", to: "BACKUP", reason: "operator failover" } });
    expect(inst(s).holdUntilMs).toBeGreaterThan(Date.now());
    expect(inst(s).priorityReasons).toContain("failover hold: priority 1");
    expect(logOf("ka.log")).toMatch(/\(VI_1\) Backup received priority 0 advertisement|Entering MASTER STATE/);

    // The VRRP child crashes during the hold: the restarted child gets the hold from the parent.
    const vrrpPid = Number(readFileSync(p("v"), "utf8"));
    process.kill(vrrpPid, "SIGKILL");
    await waitFor("VRRP child restarted, still held", () => {
      const x = status();
      const c = x.children.find((k) => k.role === "vrrp")!;
      return c.pid !== vrrpPid && c.ready && x.vrrp!.atMs > c.startedAtMs! && inst(x).holdUntilMs !== null && inst(x).effectivePriority === 1;
    }, 10_000);
    expect(hasVip(b)).toBe(true);

    // 3. The hold ends: ours preempts back; each side moved exactly twice (no flap).
    await waitFor("VIP back on ours", () => hasVip(a) && !hasVip(b) && kaStates().at(-1) === "BACKUP", 20_000);
    s = await waitFor("status MASTER again", () => {
      const x = status();
      return inst(x).state === "MASTER" && inst(x).holdUntilMs === null ? x : undefined;
    });
    expect(inst(s).effectivePriority).toBe(150);
    await holdsFor("no further transition (no flap)", () => kaStates().length === ka0 + 2 && oursStates().length === ours0 + 3, 1000);
    expect(kaStates().slice(ka0)).toEqual(["MASTER", "BACKUP"]);
    expect(oursStates().slice(ours0)).toEqual(["BACKUP", "BACKUP", "MASTER"]); // yield, restarted child (init), hand-back

    // 4. 1,000 concurrent status calls: adverts keep coming (keepalived stays BACKUP, no long gap).
    const cap = b.spawn(["sh", "-c", `exec timeout 6 tcpdump -tt -n -l -i veth0 'ip proto 112 and src 192.0.2.1' > ${dir}/cap.txt 2>/dev/null`]);
    await Bun.sleep(1500);
    const burst = await Promise.all(Array.from({ length: 1000 }, async () => {
      const c = await connectRetry(SOCK, performance.now() + 30_000);
      return new Promise<string>((resolve) => {
        let out = "";
        c.on("data", (x) => (out += x));
        c.on("close", () => resolve(out));
        c.write(`{"v":1,"cmd":"status"}\n`);
      });
    }));
    expect(burst.filter((r) => JSON.parse(r).ok).length).toBe(1000);
    await cap.exited;
    const times = readFileSync(join(dir, "cap.txt"), "utf8").split("\n").filter((l) => /VRRPv3/.test(l)).map((l) => Number(l.split(" ")[0]) * 1000);
    expect(times.length).toBeGreaterThan(10);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...gaps)).toBeLessThan(3 * 200); // a gap of 3 adverts is where keepalived would take over
    expect(kaStates().slice(ka0)).toEqual(["MASTER", "BACKUP"]);

    // Malformed, oversized and slow requests to the daemon: error replies, the daemon carries on.
    const raw = async (data: string | Buffer | null) => {
      const c = await connectRetry(SOCK, performance.now() + 10_000);
      return new Promise<string>((resolve) => {
        let out = "";
        c.on("data", (x) => (out += x));
        c.on("close", () => resolve(out));
        if (data !== null) c.write(data);
      });
    };
    const [slow, bad, big] = await Promise.all([raw(null), raw("{nope\n"), raw(Buffer.alloc((1 << 20) + 10, 0x20))]);
    expect(JSON.parse(slow).error.code).toBe("TIMEOUT");
    expect(JSON.parse(bad).error.code).toBe("BAD_REQUEST");
    expect(JSON.parse(big).error.code).toBe("TOO_LARGE");
    s = status();
    expect(inst(s).state).toBe("MASTER");
    expect(s.control.rejected).toBe(3);
    expect(kaStates().slice(ka0)).toEqual(["MASTER", "BACKUP"]);

    // 5. drain / undrain / weight on the check child's table (this kernel has no IPVS).
    await waitFor("both real servers UP", () => status().check!.virtualServers[0]!.realServers.every((r) => r.up && r.inIpvs));
    expect(ctl("drain", "192.0.2.1:18402").code).toBe(0);
    await waitFor("drained out of the table", () => rs(status(), "[192.0.2.1]:18402").inIpvs === false);
    expect(rs(status(), "[192.0.2.1]:18402")).toMatchObject({ drained: true, up: true });
    await waitFor("drain in the IPVS log", () => /IPVS: remove \[192\.0\.2\.1\]:18402/.test(logOf("ours.log")));
    expect(ctl("undrain", "192.0.2.1:18402").code).toBe(0);
    await waitFor("back in the table", () => rs(status(), "[192.0.2.1]:18402").inIpvs);
    const w = ctl("weight", "192.0.2.1:18401", "7", "--persist");
    expect(w.code).toBe(0);
    await waitFor("weight 7", () => rs(status(), "[192.0.2.1]:18401").weight === 7);
    expect(JSON.parse(readFileSync(join(dir, "ctl", "control-state.json"), "utf8")).weights).toEqual({ [`[${VIP}]:80|[192.0.2.1]:18401`]: 7 });
    expect(ctl("drain", "192.0.2.9").code).toBe(1);

    // 6. The check child dies: status still answers (from the parent), the restarted child gets the weight.
    const checkPid = Number(readFileSync(p("c"), "utf8"));
    process.kill(checkPid, "SIGKILL");
    s = status();
    expect(s.check).not.toBeNull();
    await waitFor("check child restarted with the override", () => {
      const x = status();
      const c = x.children.find((k) => k.role === "check")!;
      return c.restarts === 1 && c.pid !== checkPid && c.ready && x.check!.atMs > c.startedAtMs! && rs(x, "[192.0.2.1]:18401").weight === 7;
    }, 20_000);

    // 7. reload --check on a broken file: file:line, -t's status, nothing changes; reload refuses an unusable one.
    const gen = status().daemon.generation;
    writeFileSync(conf, ours("vrrp_instance VI_2 {\n  interface veth0\n  virtual_router_id 300\n  priority 100\n}\n"));
    const c = ctl("reload", "--check");
    expect(c.code).toBe(5);
    expect(c.err).toContain(`${conf}:`);
    expect(c.err).toMatch(new RegExp(`${conf}:\\d+: error: virtual_router_id: 300 is outside 1..255`));
    expect(c.out).toMatch(/nothing changed/);
    writeFileSync(conf, ours(`include_check\ninclude ${dir}/missing.conf\n`));
    const r = ctl("reload");
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/CONFIG_INVALID: .* is not usable; nothing changed/);
    s = status();
    expect(s.daemon.generation).toBe(gen);
    expect(inst(s).state).toBe("MASTER");
    expect(hasVip(a)).toBe(true);
    writeFileSync(conf, ours());
    const ok = ctl("reload");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(new RegExp(`^reloaded: generation ${gen + 1} running in every child`));

    // 8. log-level reaches every process.
    expect(ctl("log-level", "info").out).toBe("log level info in parent, vrrp, check\n");
    daemon.kill("SIGTERM");
    await daemon.exited;
    expect(hasVip(a)).toBe(false);

    // 9. The next start reapplies the persisted weight from the state file.
    const again = a.spawn([bin, "-n", "-l", "-D", "-G", "-f", conf, "-p", p("k"), "-r", p("v"), "-c", p("c"), "-b", p("b")], { stderr: "pipe" });
    pipeTo(again, "ours2.log");
    await waitFor("persisted weight after restart", () => {
      const x = status();
      return x.check && rs(x, "[192.0.2.1]:18401").weight === 7 && x.overrides.persisted.weights[`[${VIP}]:80|[192.0.2.1]:18401`] === 7;
    }, 30_000);
    again.kill("SIGTERM");
    await again.exited;
  }, 180_000);
});
