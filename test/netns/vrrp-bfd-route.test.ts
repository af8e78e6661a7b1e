/**
 * bfd_instance `vrrp` / `checker` beside keepalived 2.2.7 (namespaces kvrb*): a lone router tracks a BFD
 * session whose neighbour never answers (the session stays Down). With the session reporting to the VRRP
 * process (`vrrp`) the instance is FAULT, no VIP; reporting only to the checker (`checker`) the VRRP
 * process does not know it ("track bfd ... not found" in keepalived), so the instance goes MASTER.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { type Beside, beside, destroyAll } from "../support/vrrp/beside.ts";

const dirs: string[] = [];
afterAll(async () => {
  await destroyAll();
  if (!process.env.KEEP) { for (const d of dirs) rmSync(d, { recursive: true, force: true }); }
});

const conf = (to: "vrrp" | "checker") =>
  `bfd_instance peer1 {\n  neighbor_ip 198.51.100.131\n  min_rx 100\n  min_tx 100\n  multiplier 3\n  ${to}\n}\n` +
  `vrrp_instance VI_1 {\n  interface veth0\n  virtual_router_id 61\n  priority 100\n  advert_int 1\n  track_bfd {\n    peer1\n  }\n` +
  `  virtual_ipaddress {\n    198.51.100.140/25\n  }\n}\n`;
const vip = (s: Beside) => s.ns.ip("-br", "addr", "show", "dev", "veth0").includes("198.51.100.140/25");

async function both(to: "vrrp" | "checker", prefix: string): Promise<Beside[]> {
  const bin = await ensureBinary();
  const dir = mkdtempSync(`/tmp/${prefix}-`);
  dirs.push(dir);
  return [await beside(prefix, dir, KEEPALIVED, conf(to), ["vrrp"]), await beside(prefix, dir, bin, conf(to), ["vrrp"])];
}

describe("bfd_instance vrrp / checker beside keepalived 2.2.7", () => {
  test("checker only: the VRRP side does not track it and goes MASTER", async () => {
    const sides = await both("checker", "kvrbc");
    for (const s of sides) await waitFor("MASTER with the VIP", () => vip(s), 30_000);
    await destroyAll();
  }, 90_000);
  test("vrrp: the Down session keeps the instance FAULT", async () => {
    const sides = await both("vrrp", "kvrbv");
    for (const s of sides) await waitFor("started", () => /FAULT/.test(s.log()), 30_000);
    await holdsFor("no VIP while the session is Down", () => sides.every((s) => !vip(s)), 6_000);
    expect(sides.map(vip)).toEqual([false, false]);
  }, 90_000);
});
