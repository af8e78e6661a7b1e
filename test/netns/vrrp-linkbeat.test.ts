/**
 * linkbeat_interfaces beside keepalived 2.2.7 (prefix hk15-b): both daemons, each MASTER alone in its
 * namespace on veth0, which is polled. The peer end going down is reported by the poll on both sides
 * ("Linkbeat reports veth0 down", FAULT), not by netlink; back up, both return to MASTER.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { Netns, waitFor } from "../support/netns.ts";

const dir = mkdtempSync("/tmp/hk15-b-");
const tag = process.pid % 10000;
const spaces: Netns[] = [];
afterAll(async () => {
  for (const n of spaces) await n.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `linkbeat_interfaces {\n  veth0\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 61\n` +
  `  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

describe("linkbeat_interfaces beside keepalived 2.2.7", () => {
  test("link changes of a polled interface come from the poll: FAULT and back", async () => {
    const bin = await ensureBinary();
    const run = (exe: string, name: string) => {
      const n = new Netns(`hk15-b${name}${tag}`);
      spaces.push(n);
      n.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
      n.ip("link", "set", "veth1", "up");
      n.ip("link", "set", "veth0", "up");
      n.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
      writeFileSync(join(dir, `${name}.conf`), conf);
      const f = (x: string) => join(dir, `${name}${x}`);
      const bfd = exe === "/usr/sbin/keepalived" ? "" : ` -b ${f("b.pid")}`;
      n.spawn(["sh", "-c", `exec ${exe} -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")}${bfd} > ${f(".log")} 2>&1`]);
      return { n, log: () => readFileSync(f(".log"), "utf8") };
    };
    const sides = [run("/usr/sbin/keepalived", "k"), run(bin, "o")];
    for (const s of sides) await waitFor("MASTER", () => /Entering MASTER STATE/.test(s.log()), 30_000);
    for (const s of sides) expect(s.log()).toContain("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
    for (const s of sides) s.n.ip("link", "set", "veth1", "down");
    for (const s of sides) await waitFor("linkbeat down", () => /Linkbeat reports veth0 down/.test(s.log()), 15_000);
    for (const s of sides) await waitFor("FAULT", () => /Entering FAULT STATE/.test(s.log()), 15_000);
    for (const s of sides) s.n.ip("link", "set", "veth1", "up");
    for (const s of sides) await waitFor("linkbeat up", () => /Linkbeat reports veth0 up/.test(s.log()), 15_000);
    for (const s of sides) {
      await waitFor("MASTER again", () => (s.log().match(/Entering MASTER STATE/g) ?? []).length >= 2, 20_000);
      expect(s.log()).not.toMatch(/Netlink reports veth0 (down|up)/);
    }
  }, 120_000);
});
