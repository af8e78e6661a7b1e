/**
 * The `no_track` and `autojoin` entry options beside keepalived 2.2.7 (namespaces kvrn*): a lone MASTER
 * with a static and a virtual address marked no_track, and one of each without. Deleted by hand, the
 * no_track ones stay gone (and the instance stays MASTER with its other VIP), the others come back.
 * A static multicast address with `autojoin` carries IFA_F_MCAUTOJOIN and the group is joined.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { type Beside, beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvrn-");
afterAll(async () => {
  await destroyAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `static_ipaddress {
  198.51.100.150/25 dev veth0 no_track
  198.51.100.151/25 dev veth0
  239.1.2.3/32 dev veth0 autojoin
}
vrrp_instance VI_1 {
  state MASTER
  interface veth0
  virtual_router_id 61
  priority 200
  advert_int 1
  virtual_ipaddress {
    198.51.100.140/25
    198.51.100.141/25 no_track
  }
}
`;

const addrs = (s: Beside) => s.ns.ip("-br", "addr", "show", "dev", "veth0");
const has = (s: Beside, a: string) => addrs(s).includes(` ${a}/`);

describe("no_track and autojoin beside keepalived 2.2.7", () => {
  test("a deleted no_track entry stays gone, a tracked one is put back; autojoin joins the group", async () => {
    const bin = await ensureBinary();
    const sides = [await beside("kvrn", dir, KEEPALIVED, conf, ["vrrp"]), await beside("kvrn", dir, bin, conf, ["vrrp"])];
    for (const s of sides) await waitFor("MASTER with both VIPs", () => has(s, "198.51.100.140") && has(s, "198.51.100.141"), 30_000);
    for (const s of sides) {
      expect(s.ns.ip("addr", "show", "dev", "veth0")).toMatch(/inet 239\.1\.2\.3\/32 scope global autojoin/);
      expect(s.ns.ip("maddr", "show", "dev", "veth0")).toContain("239.1.2.3");
    }
    for (const s of sides) for (const a of ["198.51.100.141/25", "198.51.100.150/25"]) s.ns.ip("addr", "del", a, "dev", "veth0");
    await holdsFor(
      "no_track entries stay gone, the instance stays MASTER",
      () => sides.every((s) => !has(s, "198.51.100.141") && !has(s, "198.51.100.150") && has(s, "198.51.100.140")),
      4_000,
    );
    for (const s of sides) s.ns.ip("addr", "del", "198.51.100.151/25", "dev", "veth0");
    for (const s of sides) await waitFor("the tracked static address is put back", () => has(s, "198.51.100.151"), 10_000);
    for (const s of sides) s.ns.ip("addr", "del", "198.51.100.140/25", "dev", "veth0");
    for (const s of sides) await waitFor("the tracked VIP is put back", () => has(s, "198.51.100.140"), 10_000);
  }, 120_000);
});
