/**
 * track_group on static addresses and routes beside keepalived 2.2.7 (prefix hk15-g): both daemons,
 * each MASTER alone in its namespace, with a static address and a static route on dum0 in track group
 * G1 {VI_1}. dum0 going down puts VI_1 into FAULT on both sides; dum0 coming back makes both MASTER
 * again, with the static address still there.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { Netns, waitFor } from "../support/netns.ts";

const dir = mkdtempSync("/tmp/hk15-g-");
const tag = process.pid % 10000;
const spaces: Netns[] = [];
afterAll(async () => {
  for (const n of spaces) await n.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `track_group G1 {\n  group {\n    VI_1\n  }\n}\n` +
  `static_ipaddress {\n  198.51.100.5/24 dev dum0 track_group G1\n}\n` +
  `static_routes {\n  203.0.113.0/24 via 198.51.100.1 dev dum0 track_group G1\n}\n` +
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 61\n  priority 100\n  advert_int 1\n` +
  `  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

describe("track_group on static entries beside keepalived 2.2.7", () => {
  test("the static entries' link down is FAULT for the group's instance, up again is MASTER", async () => {
    const bin = await ensureBinary();
    const run = (exe: string, name: string) => {
      const n = new Netns(`hk15-g${name}${tag}`);
      spaces.push(n);
      for (const [a, b] of [["veth0", "veth1"], ["dum0", "dum1"]]) {
        n.ip("link", "add", a!, "type", "veth", "peer", "name", b!);
        n.ip("link", "set", b!, "up");
        n.ip("link", "set", a!, "up");
      }
      n.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
      writeFileSync(join(dir, `${name}.conf`), conf);
      const f = (x: string) => join(dir, `${name}${x}`);
      const bfd = exe === "/usr/sbin/keepalived" ? "" : ` -b ${f("b.pid")}`;
      n.spawn(["sh", "-c", `exec ${exe} -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")}${bfd} > ${f(".log")} 2>&1`]);
      const log = () => readFileSync(f(".log"), "utf8");
      return { n, log };
    };
    const sides = [run("/usr/sbin/keepalived", "k"), run(bin, "o")];
    const count = (s: (typeof sides)[number], re: RegExp) => (s.log().match(re) ?? []).length;
    for (const s of sides) await waitFor("MASTER", () => /Entering MASTER STATE/.test(s.log()), 30_000);
    for (const s of sides) await waitFor("static route", () => s.n.ip("route").includes("203.0.113.0/24"), 10_000);
    for (const s of sides) s.n.ip("link", "set", "dum0", "down");
    for (const s of sides) await waitFor("FAULT", () => /Entering FAULT STATE/.test(s.log()), 15_000);
    for (const s of sides) s.n.ip("link", "set", "dum0", "up");
    for (const s of sides) await waitFor("MASTER again", () => count(s, /Entering MASTER STATE/g) >= 2, 20_000);
    for (const s of sides) expect(s.n.ip("addr", "show", "dum0")).toContain("198.51.100.5/24");
  }, 120_000);
});
