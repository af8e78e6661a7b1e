/**
 * vrrp_min_garp beside keepalived 2.2.7 (namespaces kvrg*): a router alone becomes MASTER and sends one
 * gratuitous ARP for its VIP, and no second round after the 5 s vrrp_garp_master_delay it replaces.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvrg-");
afterAll(async () => {
  await destroyAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `global_defs {\n  vrrp_min_garp\n}\nvrrp_instance VI_1 {\n  state MASTER\n  interface veth0\n  virtual_router_id 61\n  priority 200\n` +
  `  advert_int 1\n  virtual_ipaddress {\n    198.51.100.140/25\n  }\n}\n`;

describe("vrrp_min_garp beside keepalived 2.2.7", () => {
  test("one GARP at the transition, none 5 s later", async () => {
    const bin = await ensureBinary();
    const sides = [await beside("kvrg", dir, KEEPALIVED, conf, ["arp"]), await beside("kvrg", dir, bin, conf, ["arp"])];
    const garps = (s: (typeof sides)[0]) => s.frames().filter((l) => l.includes("tell 198.51.100.140"));
    for (const s of sides) await waitFor("the transition's GARP", () => garps(s).length >= 1, 30_000);
    // keepalived's default would send 5 now and 5 more after vrrp_garp_master_delay (5 s).
    await holdsFor("one GARP only", () => sides.every((s) => garps(s).length === 1), 8_000);
    expect(sides.map((s) => garps(s).length)).toEqual([1, 1]);
  }, 90_000);
});
