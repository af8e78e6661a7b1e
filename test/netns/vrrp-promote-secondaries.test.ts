/**
 * `promote_secondaries` (keepalived.conf(5) vrrp_instance) beside Debian's keepalived 2.2.7 (prefix
 * kcd-): each daemon alone in a namespace; net.ipv4.conf.veth0.promote_secondaries must be 1 while it
 * runs and back to 0 after it stops, for both.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { Netns, waitFor } from "../support/netns.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const id = process.pid % 10000;
const dir = mkdtempSync("/tmp/kcd-ps-");
const spaces: Netns[] = [];
afterAll(async () => {
  for (const ns of spaces.reverse()) await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const CONF = `vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 92
  priority 100
  promote_secondaries
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

describe("promote_secondaries beside keepalived 2.2.7", () => {
  test("on while running, put back after", async () => {
    const bin = await ensureBinary();
    for (const [tag, b] of [["ka", KEEPALIVED], ["us", bin]] as const) {
      const ns = new Netns(`kcd-ps${tag}${id}`);
      spaces.push(ns);
      ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
      ns.ip("link", "set", "veth0", "up");
      ns.ip("link", "set", "veth1", "up"); // a carrier, so the instance can go MASTER
      ns.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
      const value = () => ns.exec(["sysctl", "-n", "net.ipv4.conf.veth0.promote_secondaries"]).trim();
      expect(value()).toBe("0");
      writeFileSync(join(dir, `${tag}.conf`), CONF);
      const f = (s: string) => join(dir, `${tag}-${s}`);
      const p = ns.spawn([b, "-n", "-l", "-D", "-f", join(dir, `${tag}.conf`), "-p", f("k"), "-r", f("v"), "-c", f("c"), "-b", f("b")]);
      await waitFor(`${tag}: promote_secondaries on`, () => value() === "1", 20_000);
      // Stop a settled daemon: keepalived 2.2.7 stopped within its start-up left the sysctl at 1 once in CI.
      await waitFor(`${tag}: MASTER with its VIP`, () => ns.exec(["ip", "-4", "addr", "show", "dev", "veth0"]).includes("192.0.2.100/24"), 20_000);
      p.kill("SIGTERM");
      await p.exited;
      expect(`${tag} after stop: ${value()}`).toBe(`${tag} after stop: 0`);
    }
  }, 60_000);
});
