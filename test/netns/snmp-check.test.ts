/**
 * The checker part of KEEPALIVED-MIB from our daemon (prefix ksn-sc, UDP 18520/18521, real servers on
 * TCP 18530/18531 in a server namespace run by socat). keepalived 2.2.7 exits without IPVS on this
 * host, so this walk is checked against the configuration and the checker's transitions, not against
 * it: the virtual and real server rows, then one real server stopping sends realServerStateChange
 * (dead) and virtualServerQuorumStateChange (notMet), and the rows follow.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";
import { SnmpLab } from "../support/snmpd.ts";

const C = ".1.3.6.1.4.1.9586.100.5.3";
let dir = "", bin = "";
let a: Netns, b: Netns, lab: SnmpLab, daemon: Subprocess, rs2: Subprocess;
let log = "";

beforeAll(async () => {
  bin = await ensureBinary();
  dir = mkdtempSync("/tmp/ksn-sc-");
  a = new Netns("ksn-sc-a");
  b = new Netns("ksn-sc-b");
  vethPair(a, "veth0", b, "veth0");
  a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
  b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
  b.spawn(["socat", "-u", "TCP-LISTEN:18530,fork,reuseaddr", "/dev/null"]);
  rs2 = b.spawn(["socat", "-u", "TCP-LISTEN:18531,fork,reuseaddr", "/dev/null"]);
  lab = new SnmpLab(join(dir, "snmp"), 18520, 18521);
  await lab.startSnmpd();
  await lab.startTrapd();
  const f = join(dir, "k.conf");
  writeFileSync(
    f,
    `global_defs {
  router_id ksn_sc
  enable_snmp_checker
  enable_traps
  snmp_socket unix:${lab.agentx}
}
virtual_server 203.0.113.1 80 {
  protocol TCP
  lb_algo wrr
  lb_kind DR
  delay_loop 1
  quorum 2
  persistence_timeout 30
  real_server 192.0.2.2 18530 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 192.0.2.2 18531 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`,
  );
  const pids = ["p", "r", "c", "b"].flatMap((o) => [`-${o}`, join(dir, `${o}.pid`)]);
  daemon = a.spawn([bin, "-n", "-l", "-f", f, ...pids], { stdout: "pipe", stderr: "pipe" });
  for (const s of [daemon.stdout, daemon.stderr]) {
    void (async () => {
      for await (const c of s as ReadableStream<Uint8Array>) log += new TextDecoder().decode(c);
    })();
  }
}, 60_000);

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill("SIGTERM");
    await daemon.exited;
  }
  await lab?.stop();
  await a?.destroy();
  await b?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (oid: string) => lab.walk(oid).map((l) => l.replace(/^[^=]+= /, ""));

describe("KEEPALIVED-MIB checker tables (ours)", () => {
  test("virtual and real server rows from the configuration and the checks", async () => {
    await waitFor("the check tables", () => get(`${C}.3.1.2`).length === 1, 20_000, 300).catch((e) => {
      throw new Error(`${(e as Error).message}\n${log.slice(-2000)}`);
    });
    expect(get(`${C}.3.1.6.1`)).toEqual(["Hex-STRING: CB 00 71 01 "]);
    expect(get(`${C}.3.1.7.1`)).toEqual(["Gauge32: 80"]);
    expect(get(`${C}.3.1.9.1`)).toEqual(["INTEGER: 2"]); // wrr
    expect(get(`${C}.3.1.10.1`)).toEqual(["INTEGER: 2"]); // dr
    expect(get(`${C}.3.1.14.1`)).toEqual(["Gauge32: 30"]);
    expect(get(`${C}.3.1.20.1`)).toEqual(["Gauge32: 2"]);
    expect(get(`${C}.4.1.5.1`)).toEqual(["Gauge32: 18530", "Gauge32: 18531"]);
    await waitFor(
      "both real servers alive, quorum met",
      () => get(`${C}.3.1.21.1`)[0] === "Gauge32: 2" && get(`${C}.3.1.23.1`)[0] === "INTEGER: 1",
      20_000,
      300,
    );
  });

  test("a real server stopping: the traps and the rows", async () => {
    lab.clearTraps();
    rs2.kill("SIGKILL");
    await waitFor(
      "realServerStateChange and virtualServerQuorumStateChange",
      () => {
        const t = lab.traps();
        return t.some((l) => l.startsWith(`${C}.5.0.1|`)) && t.some((l) => l.startsWith(`${C}.5.0.2|`));
      },
      30_000,
      300,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\n${log.slice(-2000)}`);
    });
    const rsTrap = lab.traps().find((l) => l.startsWith(`${C}.5.0.1|`))!;
    expect(rsTrap).toContain(`${C}.4.1.5.1.2 = Gauge32: 18531`);
    expect(rsTrap).toContain(`${C}.4.1.6.1.2 = INTEGER: 2`);
    expect(rsTrap).toContain(`${C}.3.1.21.1 = Gauge32: 1`);
    expect(rsTrap).toContain('.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "ksn_sc"');
    const qTrap = lab.traps().find((l) => l.startsWith(`${C}.5.0.2|`))!;
    expect(qTrap).toContain(`${C}.3.1.23.1 = INTEGER: 2`);
    expect(get(`${C}.4.1.6.1`)).toEqual(["INTEGER: 1", "INTEGER: 2"]);
    expect(get(`${C}.3.1.11.1`)).toEqual(["INTEGER: 2"]);
  }, 60_000);

  test("a reload changes what the walk shows", async () => {
    const f = join(dir, "k.conf");
    writeFileSync(f, readFileSync(f, "utf8").replace("lb_algo wrr", "lb_algo lc"));
    daemon.kill("SIGHUP");
    await waitFor("lb_algo lc after SIGHUP", () => get(`${C}.3.1.9.1`)[0] === "INTEGER: 3", 20_000, 300);
  }, 60_000);
});
