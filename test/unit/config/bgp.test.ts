/** bgp_announce parsing and validation (src/config/kw-bgp.ts, validate-bgp.ts): defaults, references, file:line errors. */
import { describe, expect, test } from "bun:test";
import { diagLines, loadText } from "../../support/config/helpers.ts";

const BASE = `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress {
    192.0.2.10/24
  }
  virtual_ipaddress_excluded {
    2001:db8::10/64
  }
}
vrrp_instance VI_2 {
  interface eth1
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    192.0.2.30/32
  }
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
}
virtual_server 198.51.100.1 80 {
  real_server 10.0.0.1 80 {
  }
}
`;

describe("bgp_announce", () => {
  test("defaults: the followed instances' VIPs as host prefixes, ka-bgp, metric 0", () => {
    const r = loadText(`${BASE}
bgp_announce WEB {
  follow_instance VI_1
}
bgp_announce GRP {
  follow_sync_group G
  follow_virtual_server 198.51.100.1 80
  interface ka-grp
  metric 20
  announce_backup
  prefix {
    203.0.113.0/24
  }
}
bgp_announce VS {
  follow_virtual_server 198.51.100.1 80
  interface ka-vs
}`);
    expect(diagLines(r).filter((l) => l.includes("error"))).toEqual([]);
    const [web, grp, vs] = r.config.bgp.announces;
    expect(web).toMatchObject({
      name: "WEB",
      instances: ["VI_1"],
      device: "ka-bgp",
      metric: 0,
      announceBackup: false,
      prefixes: [
        { family: "ipv4", address: "192.0.2.10", prefixLen: 32 },
        { family: "ipv6", address: "2001:db8::10", prefixLen: 128 },
      ],
    });
    expect(grp).toMatchObject({
      syncGroups: ["G"],
      virtualServers: ["[198.51.100.1]:80"],
      device: "ka-grp",
      metric: 20,
      announceBackup: true,
      prefixes: [{ family: "ipv4", address: "203.0.113.0", prefixLen: 24 }],
    });
    expect(vs?.prefixes).toEqual([{ family: "ipv4", address: "198.51.100.1", prefixLen: 32 }]);
  });

  test("errors carry file:line and remove the block", () => {
    const r = loadText(`${BASE}
bgp_announce A {
  follow_instance NOPE
}
bgp_announce B {
  metric 5
}
bgp_announce C {
  follow_virtual_server 198.51.100.1 81
}
bgp_announce D {
  follow_virtual_server 198.51.100.1 80
  announce_backup
}
bgp_announce E {
  follow_instance VI_1
  interface this-name-is-far-too-long
  metric -1
  prefix {
    192.0.2.300/32
  }
}
bgp_announce F {
  follow_instance VI_1
}
bgp_announce F2 {
  follow_instance VI_1
}`);
    const errors = diagLines(r).filter((l) => l.includes("error"));
    expect(errors).toEqual([
      "47: error: bgp_announce interface: 'this-name-is-far-too-long' is not an interface name of 1..15 letters, digits, '_', '.', '-'",
      "48: error: metric: -1 is outside 0..2147483391; ignored",
      "50: error: bgp_announce prefix: '192.0.2.300/32' is not ADDRESS[/LENGTH]; ignored",
      "32: error: bgp_announce A: follow_instance: vrrp_instance 'NOPE' is not defined (or was removed); announcement removed",
      "35: error: bgp_announce B follows nothing (no follow_instance, follow_sync_group or follow_virtual_server); removed",
      "38: error: bgp_announce C: follow_virtual_server: virtual_server '[198.51.100.1]:81' is not defined (or was removed); announcement removed",
      "41: error: bgp_announce D: announce_backup needs a follow_instance or follow_sync_group; removed",
      "45: error: bgp_announce E has no prefix (none given and nothing it follows has an address); removed",
      "56: error: bgp_announce F2: prefix 192.0.2.10/32 is already announced by bgp_announce F; removed",
    ]);
    expect(r.config.bgp.announces.map((a) => a.name)).toEqual(["F"]);
  });

  test("children get no announcements except the VRRP child (for the VIP metric)", async () => {
    const { sliceFor } = await import("../../../src/config/index.ts");
    const r = loadText(`${BASE}\nbgp_announce WEB {\n  follow_instance VI_1\n}`);
    expect(sliceFor(r.config, "vrrp").bgp.announces.length).toBe(1);
    expect("bgp" in sliceFor(r.config, "check")).toBe(false);
    expect("bgp" in sliceFor(r.config, "bfd")).toBe(false);
  });
});
