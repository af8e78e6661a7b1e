/**
 * vrrp_garp_extra_if all 2 beside keepalived 2.2.7 (prefix hk15-e): each daemon is MASTER on eth0 with a
 * second VIP on eth1; tcpdump on the peer's eth1 sees, for both, the transition's GARPs and then more,
 * one per period, all from eth1's own MAC.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { collectOutput, Netns, vethPair, waitFor } from "../support/netns.ts";

const dir = mkdtempSync("/tmp/hk15-e-");
const tag = process.pid % 10000;
const spaces: Netns[] = [];
afterAll(async () => {
  for (const n of spaces) await n.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `global_defs {\n  vrrp_garp_extra_if all 2\n  vrrp_garp_master_delay 0\n}\n` +
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 63\n  priority 100\n  advert_int 1\n` +
  `  virtual_ipaddress {\n    192.0.2.100/24\n    198.51.100.100/24 dev eth1\n  }\n}\n`;

describe("garp_extra_if beside keepalived 2.2.7", () => {
  test("periodic GARPs for the VIP on the other interface, from that interface's MAC", async () => {
    const bin = await ensureBinary();
    const run = async (exe: string, name: string) => {
      const a = new Netns(`hk15-e${name}a${tag}`);
      const b = new Netns(`hk15-e${name}b${tag}`);
      spaces.push(a, b);
      vethPair(a, "eth0", b, "eth0");
      vethPair(a, "eth1", b, "eth1");
      a.ip("addr", "add", "192.0.2.1/24", "dev", "eth0");
      a.ip("addr", "add", "198.51.100.1/24", "dev", "eth1");
      const mac = /link\/ether (\S+)/.exec(a.ip("link", "show", "eth1"))![1]!;
      let cap = "";
      const dump = b.spawn(["tcpdump", "-l", "-n", "-e", "-i", "eth1", "arp"], { stdout: "pipe", stderr: "pipe" });
      collectOutput(dump, (t) => void (cap += t));
      await waitFor("tcpdump", () => /listening/.test(cap), 10_000);
      const f = (x: string) => join(dir, `${name}${x}`);
      writeFileSync(f(".conf"), conf);
      const bfd = exe === "/usr/sbin/keepalived" ? "" : ` -b ${f("b.pid")}`;
      a.spawn(["sh", "-c", `exec ${exe} -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")}${bfd} > ${f(".log")} 2>&1`]);
      return { mac, frames: () => cap.split("\n").filter((l) => l.includes("tell 198.51.100.100")) };
    };
    const sides = [await run("/usr/sbin/keepalived", "k"), await run(bin, "o")];
    // 5 frames at the transition (garp_master_repeat), then one every 2 s: wait for 3 periodic ones.
    for (const s of sides) await waitFor("periodic GARPs", () => s.frames().length >= 8, 30_000);
    for (const s of sides) {
      expect(s.frames().every((l) => l.startsWith(`${s.mac} >`) || l.includes(` ${s.mac} > `))).toBe(true);
    }
  }, 120_000);
});
