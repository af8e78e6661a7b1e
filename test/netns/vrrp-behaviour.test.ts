/**
 * Behaviour of our VRRP child next to a keepalived 2.2.7 peer (prefix kvb-), VRRPv3 at 0.1 s:
 * notify scripts and the notify FIFO get keepalived's arguments and lines; 20 HUPs in a row while MASTER
 * cause no transition on either side; malformed adverts (bad checksum, TTL 254, wrong version, truncated,
 * bad address count) are counted and dropped while we stay MASTER; a failing vrrp_script lowers our
 * priority so the peer takes over, and recovery takes it back; a tracked interface going down is FAULT.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary, ROOT } from "../support/binary.ts";
import { holdsFor, type Netns, waitFor } from "../support/netns.ts";
import { KEEPALIVED, type LabDaemon, VrrpLab } from "../support/vrrp-lab.ts";
import { encodeVrrp } from "../../src/proto/vrrp.ts";

let bin = "", dir = "";
let lab: VrrpLab, a: Netns, b: Netns;
let ours: LabDaemon | undefined, ka: LabDaemon | undefined;
const VIP = "192.0.2.100";
const logs = {
  get ours() {
    return ours?.log() ?? "";
  },
  get ka() {
    return ka?.log() ?? "";
  },
};
const hasVip = (ns: Netns) => ns.ip("-4", "addr", "show", "dev", "veth0").includes(`${VIP}/24`);
const lastKaTransition = () => logs.ka.match(/\(VI_1\) Entering (MASTER|BACKUP|FAULT) STATE/g)?.at(-1) ?? "";
const kaTransitions = () => (logs.ka.match(/\(VI_1\) Entering (MASTER|BACKUP|FAULT) STATE/g) ?? []).length;
const oursState = () => [...logs.ours.matchAll(/\(VI_1\) Entering (\w+) STATE/g)].at(-1)?.[1];

beforeAll(async () => {
  bin = await ensureBinary();
  lab = new VrrpLab("kvb-");
  ({ a, b, dir } = lab);
  a.ip("link", "add", "trk0", "type", "veth", "peer", "name", "trk1");
  a.ip("link", "set", "trk0", "up");
  a.ip("link", "set", "trk1", "up");
  writeFileSync(join(dir, "notify.sh"), `#!/bin/sh\necho "$@" >> ${dir}/notify.out\n`);
  chmodSync(join(dir, "notify.sh"), 0o755);
  // vrrp_notify_fifo_script: started with the FIFO path as its last argument, reads it for good.
  writeFileSync(join(dir, "reader.sh"), `#!/bin/sh\nexec cat "$1" >> ${dir}/reader.out\n`);
  chmodSync(join(dir, "reader.sh"), 0o755);
  const aConf = `global_defs {
  router_id kvb_a
  vrrp_version 3
  notify_fifo ${dir}/fifo
  vrrp_notify_fifo ${dir}/vfifo
  vrrp_notify_fifo_script ${dir}/reader.sh
  stats_dump_file ${dir}/stats
  json_dump_file ${dir}/json
}
vrrp_script chk {
  script "/bin/sh -c 'test ! -e ${dir}/fail'"
  interval 1
  fall 1
  rise 1
  weight -100
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 71
  priority 150
  advert_int 0.1
  track_script {
    chk
  }
  track_interface {
    trk0
  }
  notify_master "/bin/sh -c 'echo became-master >> ${dir}/master.out'"
  notify ${dir}/notify.sh
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
  const bConf = `global_defs {
  router_id kvb_b
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 71
  priority 100
  advert_int 0.1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
  ka = lab.daemon(b, KEEPALIVED, "b", bConf, { args: ["-D"] });
  ours = lab.daemon(a, bin, "a", aConf, { args: ["-D", "-G"] });
  await waitFor("ours MASTER", () => hasVip(a) && oursState() === "MASTER");
  await waitFor("keepalived BACKUP", () => /Entering BACKUP STATE/.test(logs.ka) && !hasVip(b));
});

afterAll(async () => {
  ours?.proc.kill("SIGTERM");
  await ours?.proc.exited;
  await lab?.destroy();
});

describe("VRRP behaviour next to keepalived", () => {
  test("notify scripts and the FIFO get keepalived's arguments and lines", async () => {
    // The scripts' files exist before their lines are written: wait for the lines themselves.
    const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
    await waitFor("notify outputs", () => read("master.out").includes("became-master") && read("notify.out").includes("INSTANCE VI_1 MASTER"));
    expect(read("master.out")).toContain("became-master");
    const n = read("notify.out");
    expect(n).toContain("INSTANCE VI_1 BACKUP 150");
    expect(n).toContain("INSTANCE VI_1 MASTER 150");
  }, 60_000);

  test("20 HUPs in a row while MASTER: no transition on either side", async () => {
    // keepalived may still be leaving a MASTER moment of its start (before it heard our first advert).
    await waitFor("keepalived BACKUP, the VIP on ours only", () => /Entering BACKUP STATE\s*$/.test(lastKaTransition()) && hasVip(a) && !hasVip(b));
    const before = kaTransitions();
    const oursBefore = logs.ours.match(/\(VI_1\) Entering/g)?.length;
    const parent = Number(readFileSync(join(dir, "a.pid"), "utf8"));
    for (let i = 0; i < 20; i++) {
      process.kill(parent, "SIGHUP");
      await waitFor(`reload ${i + 1}`, () => (logs.ours.match(/Reload finished/g) ?? []).length >= i + 1, 10_000, 10);
    }
    // Each part of the condition says which one broke (a transient right after the last reload included).
    await holdsFor("no transition on either side, the VIP on ours only", () => {
      if (kaTransitions() !== before) {
        throw new Error(`keepalived transitioned (${kaTransitions()} vs ${before}):\n${logs.ka.split("\n").slice(-12).join("\n")}`);
      }
      if (!hasVip(a)) throw new Error("the VIP is not on ours");
      if (hasVip(b)) throw new Error("the VIP is on keepalived");
      const n = logs.ours.match(/\(VI_1\) Entering/g)?.length;
      if (n !== oursBefore) throw new Error(`ours transitioned (${n} vs ${oursBefore})`);
      return true;
    }, 500);
  }, 60_000);

  test("malformed adverts are counted and dropped; we stay MASTER", async () => {
    const good = encodeVrrp({
      version: 3,
      family: "ipv4",
      vrid: 71,
      priority: 200,
      advertIntervalCs: 10,
      addresses: [VIP],
      src: "192.0.2.2",
      dst: "224.0.0.18",
    });
    const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
    const badSum = good.slice();
    badSum[7]! ^= 0xff;
    const v2 = good.slice();
    v2[0] = 0x21;
    const truncated = good.slice(0, 6);
    const badCount = good.slice();
    badCount[3] = 3;
    const send = (ttl: number, ...pkts: Uint8Array[]) =>
      b.exec([process.execPath, join(ROOT, "test/support/raw-send.ts"), "112", "224.0.0.18", String(ttl), "veth0", ...pkts.map(hex)]);
    send(255, badSum, v2, truncated, badCount);
    send(254, good);
    await holdsFor("ours stays MASTER", () => oursState() === "MASTER", 300);
    process.kill(Number(readFileSync(join(dir, "av.pid"), "utf8")), "SIGUSR2");
    await waitFor("stats dump", () => existsSync(join(dir, "stats")));
    const stats = readFileSync(join(dir, "stats"), "utf8");
    const n = (label: string) => Number(new RegExp(`${label}: (\\d+)`).exec(stats)?.[1]);
    if (!(n("Length") >= 2)) console.log(stats, logs.ours.slice(-3000));
    expect(n("Length")).toBeGreaterThanOrEqual(2); // truncated + bad address count
    expect(n("TTL")).toBe(1);
    expect(n("Invalid Type")).toBe(0); // a wrong version is not an invalid type (keepalived 2.2.7, RFC 2787)
    expect(n("Other")).toBeGreaterThanOrEqual(2); // checksum, wrong version
    expect(logs.ours).toMatch(/dropped advert from 192.0.2.2: checksum/);
    expect(hasVip(a)).toBe(true);
    process.kill(Number(readFileSync(join(dir, "av.pid"), "utf8")), "SIGWINCH"); // JSON dump
    await waitFor("json dump", () => existsSync(join(dir, "json")));
    const j = JSON.parse(readFileSync(join(dir, "json"), "utf8"));
    expect(j[0].data.iname).toBe("VI_1");
    expect(j[0].data.state).toBe(2);
    expect(j[0].stats.ip_ttl_err).toBe(1);
  }, 60_000);

  test("a failing vrrp_script lowers priority: the peer takes over, recovery takes it back", async () => {
    writeFileSync(join(dir, "fail"), "");
    await waitFor("keepalived MASTER", () => hasVip(b) && oursState() === "BACKUP", 15_000);
    const n = readFileSync(join(dir, "notify.out"), "utf8");
    expect(n).toContain("INSTANCE VI_1 BACKUP 50");
    unlinkSync(join(dir, "fail"));
    await waitFor("ours MASTER again", () => hasVip(a) && !hasVip(b) && oursState() === "MASTER", 15_000);
  }, 60_000);

  test("a tracked interface going down puts the instance in FAULT; up brings it back", async () => {
    a.ip("link", "set", "trk0", "down");
    await waitFor("FAULT", () => oursState() === "FAULT" && hasVip(b), 15_000);
    expect(hasVip(a)).toBe(false);
    a.ip("link", "set", "trk0", "up");
    await waitFor("back to MASTER", () => oursState() === "MASTER" && hasVip(a), 15_000);
    // Everything written so far waits in the FIFO (we hold it open read-write, so no reader was needed).
    const fifo = Bun.spawnSync(["sh", "-c", `timeout 1 cat ${dir}/fifo; true`]).stdout.toString();
    expect(fifo).toContain(`INSTANCE "VI_1" MASTER 150\n`);
    expect(fifo).toContain(`INSTANCE "VI_1" BACKUP 50\n`);
    expect(fifo).toContain(`INSTANCE "VI_1" FAULT 150\n`);
    // The reader script got the same lines from vrrp_notify_fifo as they happened.
    await waitFor(
      "reader script output",
      () => existsSync(join(dir, "reader.out")) && readFileSync(join(dir, "reader.out"), "utf8").includes(`INSTANCE "VI_1" FAULT 150\n`),
      5_000,
    );
    const read = readFileSync(join(dir, "reader.out"), "utf8");
    expect(read).toContain(`INSTANCE "VI_1" MASTER 150\n`);
    expect(read).toContain(`INSTANCE "VI_1" BACKUP 50\n`);
  });
});
