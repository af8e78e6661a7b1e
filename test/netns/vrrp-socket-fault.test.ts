/**
 * Instances that cannot open their sockets are FAULT and recover on their own (prefix kvx-sf), beside
 * keepalived 2.2.7: (1) the IPv6 boot race: the interface is created and the daemon started at once,
 * while the link-local address is still tentative (DAD, 5 probes), so the first bind is refused; ours
 * (priority 150) comes up MASTER by itself and keepalived stays BACKUP. (2) an IPv4 instance whose
 * mcast_src_ip is not (yet) on the host: FAULT with the reason in the log, the data dump and /metrics;
 * adding the address (a netlink event) brings it up MASTER.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { collectOutput, Netns, sh, waitFor } from "../support/netns.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function collect(p: Subprocess, into: { text: string }): void {
  collectOutput(p, (t) => void (into.text += t));
}

const conf = (o: { prio: number; rid: string; vip: string; extra?: string; global?: string; v3?: boolean }) =>
  `global_defs {
  router_id ${o.rid}
${o.v3 ? "  vrrp_version 3\n" : ""}${o.global ?? ""}
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 95
  priority ${o.prio}
  advert_int ${o.v3 ? "0.5" : "1"}
${o.extra ?? ""}
  virtual_ipaddress {
    ${o.vip}
  }
}
`;

/** Two namespaces joined by veth0; `beforeUp` runs on a's side before the links come up. */
function pair(tag: string, beforeUp: (a: Netns) => void): { a: Netns; b: Netns; dir: string } {
  const id = process.pid % 10000;
  const a = new Netns(`kvx-sf${tag}a${id}`), b = new Netns(`kvx-sf${tag}b${id}`);
  const dir = mkdtempSync(`/tmp/kvx-sf${tag}-`);
  cleanups.push(async () => {
    await a.destroy();
    await b.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const t = `kvxsf${id}${tag}`;
  sh(["ip", "link", "add", `${t}a`, "netns", a.name, "type", "veth", "peer", "name", `${t}b`, "netns", b.name]);
  a.ip("link", "set", `${t}a`, "name", "veth0");
  b.ip("link", "set", `${t}b`, "name", "veth0");
  beforeUp(a);
  b.ip("link", "set", "veth0", "up");
  return { a, b, dir };
}

function startKa(b: Netns, dir: string, text: string, log: { text: string }): Subprocess {
  writeFileSync(join(dir, "ka.conf"), text);
  const p = b.spawn([
    "/usr/sbin/keepalived",
    "-n",
    "-l",
    "-D",
    "-f",
    join(dir, "ka.conf"),
    "-p",
    join(dir, "ka.pid"),
    "-r",
    join(dir, "kav.pid"),
    "-c",
    join(dir, "kac.pid"),
  ], { stderr: "pipe", stdout: "pipe" });
  collect(p, log);
  return p;
}

function startOurs(bin: string, a: Netns, dir: string, text: string, log: { text: string }): Subprocess {
  writeFileSync(join(dir, "ours.conf"), text);
  const p = a.spawn([
    bin,
    "-n",
    "-l",
    "-D",
    "-G",
    "-f",
    join(dir, "ours.conf"),
    "-p",
    join(dir, "o.pid"),
    "-r",
    join(dir, "ov.pid"),
    "-c",
    join(dir, "oc.pid"),
    "-b",
    join(dir, "ob.pid"),
  ], { stderr: "pipe" });
  collect(p, log);
  return p;
}

describe("VRRP socket FAULT and recovery beside keepalived 2.2.7", () => {
  test("IPv6 boot race: started while the link-local address is tentative, ours comes up MASTER on its own", async () => {
    const bin = process.env.KVX_BIN ?? await ensureBinary();
    const vip = "2001:db8::100/64";
    const { a, b, dir } = pair("6", (a) => a.exec(["sysctl", "-qw", "net.ipv6.conf.veth0.dad_transmits=5"]));
    b.exec(["sysctl", "-qw", "net.ipv6.conf.veth0.accept_dad=0"]);
    const kaLog = { text: "" }, oursLog = { text: "" };
    a.ip("link", "set", "veth0", "up");
    const ours = startOurs(bin, a, dir, conf({ prio: 150, rid: "kvx_sf6_ours", vip, v3: true }), oursLog);
    const ka = startKa(b, dir, conf({ prio: 100, rid: "kvx_sf6_ka", vip, v3: true }), kaLog);
    await waitFor("a first refusal while DAD runs", () => /FAULT|EADDRNOTAVAIL|no ipv6 address/.test(oursLog.text), 30_000);
    expect(a.ip("-6", "addr", "show", "dev", "veth0")).toContain("tentative");
    const hasVip = (ns: Netns) => ns.ip("-6", "addr", "show", "dev", "veth0").includes("2001:db8::100/64");
    try {
      await waitFor("ours MASTER with the VIP, keepalived BACKUP", () => hasVip(a) && !hasVip(b) && /Entering MASTER STATE/.test(oursLog.text), 60_000);
    } catch (e) {
      console.log(`--- ours:\n${oursLog.text.slice(-4000)}\n--- keepalived:\n${kaLog.text.slice(-2000)}`);
      throw e;
    }
    expect(oursLog.text).toMatch(/leaving socket FAULT/);
    ours.kill("SIGTERM");
    await ours.exited;
    ka.kill("SIGTERM");
    await ka.exited;
  }, 180_000);

  test("mcast_src_ip not on the host: FAULT with the reason (log, dump, /metrics); adding it brings MASTER", async () => {
    const bin = process.env.KVX_BIN ?? await ensureBinary();
    const vip = "192.0.2.100/24";
    const { a, b, dir } = pair("4", (a) => {
      a.ip("link", "set", "lo", "up");
      a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    });
    b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
    a.ip("link", "set", "veth0", "up");
    const kaLog = { text: "" }, oursLog = { text: "" };
    const ka = startKa(b, dir, conf({ prio: 100, rid: "kvx_sf4_ka", vip }), kaLog);
    await waitFor("keepalived MASTER", () => /Entering MASTER STATE/.test(kaLog.text), 30_000);
    const port = 18150 + (process.pid % 40);
    const ours = startOurs(
      bin,
      a,
      dir,
      conf({
        prio: 150,
        rid: "kvx_sf4_ours",
        vip,
        extra: "  mcast_src_ip 192.0.2.50",
        global: `  state_dump_file ${dir}/data\n  metrics_listen 127.0.0.1:${port}`,
      }),
      oursLog,
    );
    await waitFor("FAULT with the reason", () => /Entering FAULT STATE/.test(oursLog.text) && /EADDRNOTAVAIL/.test(oursLog.text), 30_000);
    const vrrpPid = await waitFor("VRRP pid", () => (existsSync(join(dir, "ov.pid")) ? Number(readFileSync(join(dir, "ov.pid"), "utf8")) : 0));
    process.kill(vrrpPid, "SIGUSR1");
    await waitFor("data dump", () => existsSync(join(dir, "data")), 10_000);
    expect(readFileSync(join(dir, "data"), "utf8")).toMatch(/State = FAULT[\s\S]*Socket fault = cannot open VRRP sockets on veth0: bind: EADDRNOTAVAIL/);
    const metrics = await waitFor("FAULT on /metrics", () => {
      const m = a.exec(["curl", "-s", `http://127.0.0.1:${port}/metrics`], { allowFail: true });
      return m.includes(`keepalived_vrrp_state{instance="VI_1",state="FAULT"} 1`) ? m : "";
    }, 30_000);
    expect(metrics).toContain(`keepalived_vrrp_state{instance="VI_1",state="FAULT"} 1`);
    a.ip("addr", "add", "192.0.2.50/24", "dev", "veth0");
    await waitFor(
      "ours MASTER after the address came",
      () => /leaving socket FAULT/.test(oursLog.text) && a.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100/24"),
      30_000,
    );
    await waitFor("keepalived BACKUP", () => !b.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100/24"), 30_000);
    unlinkSync(join(dir, "data"));
    process.kill(vrrpPid, "SIGUSR1");
    await waitFor("data dump", () => existsSync(join(dir, "data")), 10_000);
    expect(readFileSync(join(dir, "data"), "utf8")).not.toContain("Socket fault");
    ours.kill("SIGTERM");
    await ours.exited;
    ka.kill("SIGTERM");
    await ka.exited;
  }, 180_000);
});
