/**
 * A linkbeat_interfaces entry's type beside keepalived 2.2.7 (namespaces kvrl*): `veth0 MII` on a veth
 * (no MII PHY) makes both daemons say the same ("(veth0): Configured linkbeat type MII not supported,
 * using ETHTOOL"); polling by ETHTOOL then sees the peer go down (FAULT) for both.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { ensureBinary } from "../support/binary.ts";
import { waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvrl-");
afterAll(async () => {
  await destroyAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `linkbeat_interfaces {\n  veth0 MII\n}\nvrrp_instance VI_1 {\n  interface veth0\n  virtual_router_id 61\n  priority 100\n` +
  `  advert_int 1\n  virtual_ipaddress {\n    198.51.100.140/25\n  }\n}\n`;
const said = (log: string) => /\(veth0\): Configured linkbeat type MII not supported, using ETHTOOL/.exec(log)?.[0];

describe("linkbeat_interfaces type beside keepalived 2.2.7", () => {
  test("MII on a veth: the same fallback line, and ETHTOOL polling sees the link go down", async () => {
    const bin = await ensureBinary();
    const sides = [await beside("kvrl", dir, KEEPALIVED, conf, ["vrrp"]), await beside("kvrl", dir, bin, conf, ["vrrp"])];
    for (const s of sides) await waitFor("the fallback line", () => said(s.log()), 30_000);
    expect(said(sides[1]!.log())).toBe(said(sides[0]!.log())!);
    for (const s of sides) await waitFor("MASTER", () => /Entering MASTER STATE/.test(s.log()), 30_000);
    for (const s of sides) s.ns.ip("link", "set", "veth1", "down");
    for (const s of sides) await waitFor("FAULT from polling", () => /Entering FAULT STATE/.test(s.log()), 15_000);
    expect(sides[1]!.log()).toMatch(/Linkbeat reports veth0 down/);
  }, 90_000);
});
