/**
 * interface_up_down_delays beside keepalived 2.2.7 (prefix knf-d): both daemons, each MASTER alone in
 * its namespace with `veth0 2 1`. A link flap shorter than the down delay leaves both MASTER for the
 * whole window (polled); a long outage takes both to FAULT and back.
 */
import { afterAll, describe, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, type Netns, waitFor } from "../support/netns.ts";
import { loneRouter } from "../support/vrrp-lab.ts";

const dir = mkdtempSync("/tmp/knf-d-");
const tag = process.pid % 10000;
const spaces: Netns[] = [];
afterAll(async () => {
  for (const n of spaces) await n.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `interface_up_down_delays {\n  veth0 2 1\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 61\n` +
  `  priority 100\n  advert_int 0.5\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

describe("interface_up_down_delays beside keepalived 2.2.7", () => {
  test("a short flap changes nothing; a long outage is FAULT after the delay, then back", async () => {
    const bin = await ensureBinary();
    const run = (exe: string, name: string) => {
      const n = loneRouter(`knf-d${name}${tag}`);
      spaces.push(n);
      writeFileSync(join(dir, `${name}.conf`), conf);
      const f = (x: string) => join(dir, `${name}${x}`);
      const bfd = exe === "/usr/sbin/keepalived" ? "" : ` -b ${f("b.pid")}`;
      n.spawn(["sh", "-c", `exec ${exe} -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")}${bfd} > ${f(".log")} 2>&1`]);
      const log = () => readFileSync(f(".log"), "utf8");
      return { n, log };
    };
    const sides = [run("/usr/sbin/keepalived", "k"), run(bin, "o")];
    const faults = (s: (typeof sides)[number]) => (s.log().match(/FAULT/g) ?? []).length;
    for (const s of sides) await waitFor("MASTER", () => /Entering MASTER STATE/.test(s.log()), 30_000);
    const f0 = sides.map(faults);
    // A flap of ~0.5 s, shorter than the 2 s down delay: no FAULT on either side for the whole window.
    for (const s of sides) s.n.ip("link", "set", "veth1", "down");
    const noNewFault = () => sides.every((s, i) => faults(s) === f0[i]);
    await holdsFor("no FAULT while the link is down", noNewFault, 500);
    for (const s of sides) s.n.ip("link", "set", "veth1", "up");
    await holdsFor("no FAULT after the link is back", noNewFault, 4000, 50);
    // A long outage: both go FAULT (after their delay) and come back when the link returns.
    for (const s of sides) s.n.ip("link", "set", "veth1", "down");
    for (const s of sides) await waitFor("FAULT", () => faults(s) > f0[sides.indexOf(s)]!, 15_000);
    for (const s of sides) s.n.ip("link", "set", "veth1", "up");
    for (const s of sides) {
      await waitFor("MASTER again", () => (s.log().match(/Entering MASTER STATE/g) ?? []).length >= 2, 20_000);
    }
  }, 120_000);
});
