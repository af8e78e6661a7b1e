/**
 * virtual_routes / virtual_rules / static_* in namespaces (prefix kvf-r): our MASTER installs its VIP,
 * virtual routes and rules as `ip route` / `ip rule` show them (protocol keepalived); static ones are
 * there in any state; a VIP or a static address deleted with `ip addr del` comes back; when
 * keepalived 2.2.7 in B takes over with a higher priority, the virtual ones go and the static ones stay;
 * on SIGTERM everything we added is removed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { VrrpLab } from "../support/vrrp-lab.ts";

let bin = "", dir = "";
let lab: VrrpLab | undefined, a: Netns, b: Netns;
let ours: Subprocess | undefined;

const CONF_A = `global_defs {
  router_id kvf_ra
  vrrp_version 3
}
static_ipaddress {
  203.0.113.9/32 dev dum0
}
static_routes {
  203.0.113.128/25 dev dum0
}
static_rules {
  to 203.0.113.128/25 table 200 priority 200
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 52
  priority 150
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
  virtual_routes {
    198.51.100.0/24 via 192.0.2.254 dev veth0
    src 192.0.2.100 203.0.113.0/26 dev veth0 table 100
  }
  virtual_rules {
    from 192.0.2.100 table 100 priority 100
  }
}
`;
const CONF_B = `global_defs {
  router_id kvf_rb
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 52
  priority 200
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

beforeAll(async () => {
  bin = await ensureBinary();
  lab = new VrrpLab("kvf-r");
  ({ a, b, dir } = lab);
  // No dummy driver in this kernel: a veth pair stands in for the static interface.
  a.ip("link", "add", "dum0", "type", "veth", "peer", "name", "dum1");
  a.ip("link", "set", "dum0", "up");
  a.ip("link", "set", "dum1", "up");
  writeFileSync(join(dir, "a.conf"), CONF_A);
  writeFileSync(join(dir, "b.conf"), CONF_B);
});

afterAll(async () => {
  ours?.kill("SIGKILL");
  await lab?.destroy();
});

const route = (...args: string[]) => a.ip("route", "show", ...args);
const rules = () => a.ip("rule", "show");
const addrs = (dev: string) => a.ip("-4", "addr", "show", "dev", dev);

describe("virtual and static routes, rules and addresses", () => {
  test("installed while MASTER, restored when deleted, removed on takeover and stop", async () => {
    ours = a.spawn([
      "sh",
      "-c",
      `exec ${bin} -n -l -D -f ${dir}/a.conf -p ${dir}/a.pid -r ${dir}/av.pid -c ${dir}/ac.pid -b ${dir}/ab.pid > ${dir}/a.log 2>&1`,
    ]);
    await waitFor("static items", () => addrs("dum0").includes("203.0.113.9/32") && route().includes("203.0.113.128/25") && rules().includes("200:"));
    await waitFor("MASTER with routes", () => addrs("veth0").includes("192.0.2.100/24") && route().includes("198.51.100.0/24"));
    expect(route()).toMatch(/198\.51\.100\.0\/24 via 192\.0\.2\.254 dev veth0 proto keepalived/);
    expect(route("table", "100")).toMatch(/203\.0\.113\.0\/26 dev veth0 proto keepalived scope link src 192\.0\.2\.100/);
    expect(rules()).toMatch(/100:\s+from 192\.0\.2\.100 lookup 100 proto keepalived/);
    expect(rules()).toMatch(/200:\s+from all to 203\.0\.113\.128\/25 lookup 200 proto keepalived/);

    a.ip("addr", "del", "192.0.2.100/24", "dev", "veth0");
    a.ip("addr", "del", "203.0.113.9/32", "dev", "dum0");
    await waitFor("VIP and static address restored", () => addrs("veth0").includes("192.0.2.100/24") && addrs("dum0").includes("203.0.113.9/32"));
    // Routes deleted on their own (the address stays): put back from the kernel's route events.
    await waitFor("virtual routes back with the VIP", () => route().includes("198.51.100.0/24") && route("table", "100").includes("203.0.113.0/26"));
    a.ip("route", "del", "198.51.100.0/24", "via", "192.0.2.254", "dev", "veth0");
    a.ip("route", "del", "203.0.113.0/26", "dev", "veth0", "table", "100");
    a.ip("route", "del", "203.0.113.128/25", "dev", "dum0");
    await waitFor(
      "virtual and static routes restored",
      () => route().includes("198.51.100.0/24") && route("table", "100").includes("203.0.113.0/26") && route().includes("203.0.113.128/25"),
    );
    expect(readFileSync(join(dir, "a.log"), "utf8")).toMatch(/virtual route 198\.51\.100\.0\/24 was removed by someone else; restoring it/);

    const ka = b.spawn([
      "sh",
      "-c",
      `exec /usr/sbin/keepalived -n -l -D -f ${dir}/b.conf -p ${dir}/b.pid -r ${dir}/bv.pid -c ${dir}/bc.pid > ${dir}/b.log 2>&1`,
    ]);
    await waitFor(
      "keepalived takes over; virtual routes and rules go",
      () => !addrs("veth0").includes("192.0.2.100/24") && !route().includes("198.51.100.0/24") && !rules().includes("100:"),
    );
    expect(route("table", "100")).not.toContain("203.0.113.0/26");
    expect(route()).toContain("203.0.113.128/25");
    expect(rules()).toContain("200:");
    expect(addrs("dum0")).toContain("203.0.113.9/32");
    ka.kill("SIGTERM");
    await ka.exited;
    await waitFor("ours MASTER again", () => route().includes("198.51.100.0/24") && rules().includes("100:"));

    ours.kill("SIGTERM");
    await ours.exited;
    ours = undefined;
    expect(route()).not.toContain("198.51.100.0/24");
    expect(route()).not.toContain("203.0.113.128/25");
    expect(rules()).not.toMatch(/^(100|200):/m);
    expect(addrs("dum0")).not.toContain("203.0.113.9");
  }, 90_000);
});
