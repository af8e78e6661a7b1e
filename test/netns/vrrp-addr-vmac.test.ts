/**
 * VMACs of addresses beside keepalived 2.2.7 (namespaces kvrv*): `use_vmac` on virtual addresses (with
 * and without `dev`), the instance's `use_vmac_addr` and `vmac_addr_prefix`. Both daemons, MASTER alone,
 * make the same macvlans (name, parent, MAC) and put the same addresses on them (an IPv6 one also a copy
 * of its parent's link-local address); at stop they go.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { type Beside, beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvrv-");
afterAll(async () => {
  await destroyAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `global_defs {
  vmac_prefix kvp
  vmac_addr_prefix kva
}
vrrp_instance VI_1 {
  state MASTER
  interface veth0
  virtual_router_id 61
  priority 200
  advert_int 1
  virtual_ipaddress {
    198.51.100.140/25 use_vmac
    198.51.100.200/25 dev veth2 use_vmac
    198.51.100.210/25 dev veth4 use_vmac
    198.51.100.211/25 dev veth4 use_vmac
    198.51.100.141/25
  }
}
vrrp_instance VI_2 {
  state MASTER
  interface veth0
  use_vmac_addr
  virtual_router_id 62
  priority 200
  advert_int 1
  virtual_ipaddress {
    198.51.100.142/25
    198.51.100.220/25 dev veth4
  }
  virtual_ipaddress_excluded {
    2001:db8:4b::6/64
  }
}
`;

const setup = (ns: Netns) => {
  for (const p of [2, 4]) {
    ns.ip("link", "add", `veth${p}`, "type", "veth", "peer", "name", `veth${p + 1}`);
    ns.ip("link", "set", `veth${p}`, "up");
    ns.ip("link", "set", `veth${p + 1}`, "up");
  }
};

/** Each macvlan as "name@parent mac: addresses" (a link-local one shown as "LL-of-PARENT" when it is the parent's). */
function vmacs(s: Beside): string[] {
  const links = JSON.parse(s.ns.ip("-j", "-d", "link", "show", "type", "macvlan")) as { ifname: string; link: string; address: string }[];
  const addrs = JSON.parse(s.ns.ip("-j", "addr", "show")) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[];
  const ll = (ifname: string) => addrs.find((x) => x.ifname === ifname)?.addr_info.find((i) => i.local.startsWith("fe80"))?.local;
  return links.map((l) => {
    const name = (i: { local: string; prefixlen: number }) => i.local === ll(l.link) ? `LL-of-${l.link}` : `${i.local}/${i.prefixlen}`;
    const a = addrs.find((x) => x.ifname === l.ifname)?.addr_info.map(name) ?? [];
    return `${l.ifname}@${l.link} ${l.address}: ${a.sort().join(" ")}`;
  }).sort();
}

describe("address VMACs beside keepalived 2.2.7", () => {
  test("the same macvlans with the same addresses; gone at stop", async () => {
    const bin = await ensureBinary();
    const sides = [await beside("kvrv", dir, KEEPALIVED, conf, ["vrrp"], setup), await beside("kvrv", dir, bin, conf, ["vrrp"], setup)];
    for (const s of sides) {
      await waitFor(
        "both MASTER with every address",
        () => vmacs(s).join("\n").includes("2001:db8:4b::6/64") && vmacs(s).join("\n").includes("198.51.100.211"),
        30_000,
      );
    }
    const theirs = vmacs(sides[0]!);
    expect(theirs).toEqual([
      "kva.61@veth0 00:00:5e:00:01:3d: 198.51.100.140/25",
      "kva.62@veth4 00:00:5e:00:01:3e: 198.51.100.220/25",
      "kva1.61@veth2 00:00:5e:00:01:3d: 198.51.100.200/25",
      "kva2.61@veth4 00:00:5e:00:01:3d: 198.51.100.210/25 198.51.100.211/25",
      "kva6.62@veth0 00:00:5e:00:02:3e: 2001:db8:4b::6/64 LL-of-veth0",
    ]);
    expect(vmacs(sides[1]!)).toEqual(theirs);
    for (const s of sides) expect(s.ns.ip("-br", "addr", "show", "dev", "veth0")).toContain("198.51.100.142/25");
    sides[1]!.ns.procs.at(-1)!.kill("SIGTERM");
    await waitFor("our VMACs removed at stop", () => vmacs(sides[1]!).length === 0, 15_000);
  }, 120_000);
});
