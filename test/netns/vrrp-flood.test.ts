/**
 * A flood must not hide the real master (prefix kvx-fl): keepalived 2.2.7 is MASTER (priority 150,
 * VRRPv3 at 0.1 s adverts), ours BACKUP (100). For 10 s, 5,000 large VRRP datagrams a second (1,400
 * bytes, multicast to 224.0.0.18 as adverts are) arrive on our interface: with our own VRID, so every one
 * is read, decoded and dropped as malformed. Ours never becomes MASTER and never takes the VIP while the
 * master is up; the data dump shows the socket's kernel drops and overflows.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary, ROOT } from "../support/binary.ts";
import { waitFor } from "../support/netns.ts";
import { KEEPALIVED, VrrpLab } from "../support/vrrp-lab.ts";
import { VipMonitor } from "../support/vip-monitor.ts";

const VIP = "192.0.2.100";
const conf = (prio: number, rid: string, extra = "") =>
  `global_defs {
  router_id ${rid}
  vrrp_version 3
${extra}
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 91
  priority ${prio}
  advert_int 0.1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe("VRRP receive path under a flood, beside keepalived 2.2.7", () => {
  test("5,000 large packets/s for 10 s: the BACKUP never becomes MASTER while the master is up", async () => {
    const bin = process.env.KVX_BIN ?? await ensureBinary();
    const lab = new VrrpLab("kvx-fl");
    cleanups.push(() => lab.destroy());
    const { a, b, dir } = lab;
    const ka = lab.daemon(b, KEEPALIVED, "ka", conf(150, "kvx_fl_ka"), { args: ["-D"] });
    await waitFor("keepalived MASTER", () => /Entering MASTER STATE/.test(ka.log()), 30_000);
    const ours = lab.daemon(a, bin, "o", conf(100, "kvx_fl_ours", `  state_dump_file ${dir}/data`), { args: ["-D", "-G"] });
    await waitFor("ours BACKUP", () => /Entering BACKUP STATE/.test(ours.log()), 30_000);
    await Bun.sleep(1000);
    const onA = new VipMonitor(a, `${VIP}/24`, false);
    cleanups.push(() => onA.stop());
    const mastersBefore = (ours.log().match(/Entering MASTER STATE/g) ?? []).length;
    const junk = "315b640100" + "0a0000" + "c0000264"; // VRRPv3, VRID 91 (ours), one address, zero padding: malformed
    const flood = b.spawn([process.execPath, join(ROOT, "test/support/raw-flood.ts"), "112", "224.0.0.18", "veth0", "1400", "5000", "10", junk], {
      stdout: "pipe",
    });
    await flood.exited;
    const sent = JSON.parse(await new Response(flood.stdout as ReadableStream).text());
    await Bun.sleep(500);
    const falseMasters = (ours.log().match(/Entering MASTER STATE/g) ?? []).length - mastersBefore;
    const vipTaken = onA.changes.filter((c) => c.held).length;
    const vrrpPid = Number(readFileSync(ours.pidFile("v"), "utf8"));
    if (existsSync(join(dir, "data"))) unlinkSync(join(dir, "data"));
    process.kill(vrrpPid, "SIGUSR1");
    await waitFor("data dump", () => existsSync(join(dir, "data")), 10_000);
    const sockets = readFileSync(join(dir, "data"), "utf8").split("------< VRRP Sockets >------")[1]?.trim() ?? "(no socket section)";
    console.log(
      `flood: ${sent.sent} sent (${sent.failed} refused by the sender's queue); ours became MASTER ${falseMasters} times, took the VIP ${vipTaken} times; ${sockets}`,
    );
    if (falseMasters) console.log(ours.log().slice(-4000));
    expect(sent.sent).toBeGreaterThan(20_000);
    expect(falseMasters).toBe(0);
    expect(vipTaken).toBe(0);
    expect(/Entering MASTER STATE/.test(ka.log()) && !/Entering BACKUP STATE/.test(ka.log().split(/Entering MASTER STATE/).slice(1).join(""))).toBe(true);
    ours.proc.kill("SIGTERM");
    await ours.proc.exited;
    ka.proc.kill("SIGTERM");
    await ka.proc.exited;
  }, 180_000);
});
