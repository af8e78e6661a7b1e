/**
 * vrrp_sync_group next to keepalived 2.2.7 (prefix kvf-s). Side A runs a group G1 { VI_1 VI_2 } with
 * group and instance notify scripts and a notify FIFO; side B runs keepalived with VI_1 only, at a
 * higher priority. The same scenario is played with our daemon on A and then with keepalived on A,
 * and the notifications of each step must be the same:
 *  1. B is master of VI_1: A's VI_1 is BACKUP, so VI_2 stays BACKUP too (it keeps timing out);
 *  2. B is SIGKILLed: both A instances go MASTER together;
 *  3. B comes back: VI_1 yields, VI_2 follows to BACKUP;
 *  4. A's tracked interface (VI_1's track_interface) goes down: both FAULT;
 *  5. it comes back: both BACKUP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, type Netns, waitFor } from "../support/netns.ts";
import { VrrpLab } from "../support/vrrp-lab.ts";

let bin = "", dir = "";
let lab: VrrpLab | undefined, a: Netns, b: Netns;

const confA = (d: string) =>
  `global_defs {
  router_id kvf_a
  vrrp_version 3
  notify_fifo ${d}/fifo
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify ${d}/n.sh
  notify_master "${d}/n.sh group-master-script"
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 81
  priority 100
  advert_int 0.1
  track_interface {
    trk0
  }
  notify ${d}/n.sh
  virtual_ipaddress {
    192.0.2.101/24
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface veth0
  virtual_router_id 82
  priority 100
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.102/24
  }
}
`;
const CONF_B = `global_defs {
  router_id kvf_b
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 81
  priority 150
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.101/24
  }
}
`;

beforeAll(async () => {
  bin = await ensureBinary();
  lab = new VrrpLab("kvf-s");
  ({ a, b, dir } = lab);
  a.ip("link", "add", "trk0", "type", "veth", "peer", "name", "trk1");
  a.ip("link", "set", "trk0", "up");
  a.ip("link", "set", "trk1", "up");
});

afterAll(async () => {
  await lab?.destroy();
});

const addrs = (ns: Netns) => ns.ip("-4", "addr", "show", "dev", "veth0");
const hasVip = (ns: Netns, v: string) => addrs(ns).includes(`${v}/24`);

/** Starts keepalived in B (fresh pid files each time). */
function startB(run: string): Subprocess {
  writeFileSync(join(run, "b.conf"), CONF_B);
  b.ip("addr", "flush", "dev", "veth0", "scope", "global");
  b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
  return b.spawn(["sh", "-c", `exec /usr/sbin/keepalived -n -l -D -f ${run}/b.conf -p ${run}/b.pid -r ${run}/bv.pid -c ${run}/bc.pid >> ${run}/b.log 2>&1`]);
}

/** SIGKILLs keepalived in B (parent and VRRP child) and waits until both are gone. */
async function killB(run: string): Promise<void> {
  const pids: number[] = [];
  for (const f of ["b.pid", "bv.pid"]) {
    try {
      const pid = Number(readFileSync(join(run, f), "utf8"));
      process.kill(pid, "SIGKILL");
      pids.push(pid);
    } catch {
      // already gone
    }
    rmSync(join(run, f), { force: true });
  }
  await waitFor("keepalived B gone", () => pids.every((p) => !existsSync(`/proc/${p}`) || /\) Z/.test(readFileSync(`/proc/${p}/stat`, "utf8"))));
}

/** Plays the scenario with `impl` on side A; returns each step's notify lines and FIFO lines, sorted. */
async function scenario(impl: "ours" | "keepalived"): Promise<string[][]> {
  const run = mkdtempSync(join(dir, `${impl}-`));
  writeFileSync(join(run, "n.sh"), `#!/bin/sh\necho "$@" >> ${run}/n.out\n`);
  chmodSync(join(run, "n.sh"), 0o755);
  writeFileSync(join(run, "a.conf"), confA(run));
  const out = () => (existsSync(join(run, "n.out")) ? readFileSync(join(run, "n.out"), "utf8") : "");
  let seen = 0;
  const steps: string[][] = [];
  const fifo = () => Bun.spawnSync(["sh", "-c", `timeout 0.3 cat ${run}/fifo; true`]).stdout.toString();
  const take = async (what: string, want: string[]) => {
    await waitFor(`${impl}: ${what}`, () => want.every((w) => out().slice(seen).includes(w)), 20_000);
    await Bun.sleep(300); // let every script of this step finish writing before the next step
    const lines = out().slice(seen).trim().split("\n");
    seen = out().length;
    steps.push([...lines, ...fifo().trim().split("\n").map((l) => `fifo ${l}`)].sort());
  };
  const pb = startB(run);
  await waitFor("B master", () => hasVip(b, "192.0.2.101"));
  const cmd = impl === "ours"
    ? [
      bin,
      "-n",
      "-l",
      "-D",
      "-f",
      join(run, "a.conf"),
      "-p",
      join(run, "a.pid"),
      "-r",
      join(run, "av.pid"),
      "-c",
      join(run, "ac.pid"),
      "-b",
      join(run, "ab.pid"),
    ]
    : ["/usr/sbin/keepalived", "-n", "-l", "-D", "-f", join(run, "a.conf"), "-p", join(run, "a.pid"), "-r", join(run, "av.pid"), "-c", join(run, "ac.pid")];
  const pa = a.spawn(["sh", "-c", `exec ${cmd.join(" ")} > ${run}/a.log 2>&1`]);
  try {
    await take("startup BACKUP", ["GROUP G1 BACKUP 0", "INSTANCE VI_1 BACKUP 100"]);
    // several Master_Down_Intervals: VI_2 must still not go MASTER
    await holdsFor("VI_2 stays without its VIP", () => !hasVip(a, "192.0.2.102"), 1500);
    await killB(run);
    await pb.exited;
    await take("both MASTER", ["GROUP G1 MASTER 0", "INSTANCE VI_1 MASTER 100", "group-master-script"]);
    expect(hasVip(a, "192.0.2.101") && hasVip(a, "192.0.2.102")).toBe(true);
    const pb2 = startB(run);
    await take("both BACKUP", ["GROUP G1 BACKUP 0", "INSTANCE VI_1 BACKUP 100"]);
    await waitFor("VIPs gone", () => !hasVip(a, "192.0.2.101") && !hasVip(a, "192.0.2.102"));
    a.ip("link", "set", "trk0", "down");
    await take("both FAULT", ["GROUP G1 FAULT 0", "INSTANCE VI_1 FAULT 100"]);
    a.ip("link", "set", "trk0", "up");
    await take("both BACKUP again", ["GROUP G1 BACKUP 0", "INSTANCE VI_1 BACKUP 100"]);
    await killB(run);
    await pb2.exited;
  } finally {
    pa.kill("SIGTERM");
    await pa.exited;
  }
  // With every instance in FAULT nothing is scheduled: the VRRP child must still stay up.
  // Only the run counts: at the stop the child's exit is logged (as keepalived logs it).
  expect(readFileSync(join(run, "a.log"), "utf8").split(": Stopping\n")[0]).not.toMatch(/VRRP child process\(\d+\) exited/);
  return steps;
}

describe("vrrp_sync_group next to keepalived 2.2.7", () => {
  test("our group moves and notifies exactly as keepalived's", async () => {
    const ours = await scenario("ours");
    const theirs = await scenario("keepalived");
    expect(ours).toEqual(theirs);
    expect(ours[1]).toEqual([
      "GROUP G1 MASTER 0",
      "INSTANCE VI_1 MASTER 100",
      'fifo GROUP "G1" MASTER 0',
      'fifo INSTANCE "VI_1" MASTER 100',
      'fifo INSTANCE "VI_2" MASTER 100',
      "group-master-script",
    ]);
  }, 180_000);
});
