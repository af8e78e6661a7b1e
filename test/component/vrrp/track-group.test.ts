/**
 * track_group on static addresses and routes (src/vrrp/track-group.ts): the listed instances track the
 * entries' interfaces, as keepalived 2.2.7 does (its side is test/netns/vrrp-track-group.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { staticTrackedInterfaces } from "../../../src/vrrp/track-group.ts";
import { loadText } from "../../support/config/helpers.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const inst = (name: string, vrid: number) =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.${vrid}/24\n  }\n}\n`;
const conf = (statics: string) => `track_group G1 {\n  group {\n    VI_1\n  }\n}\n${statics}${inst("VI_1", 51)}${inst("VI_2", 52)}`;

describe("track_group on static entries", () => {
  test("interfaces of static addresses and routes (dev, next hops, default_interface) that name a group listing the instance", () => {
    const text = "global_defs {\n  default_interface eth0\n}\n" + conf(
      "static_ipaddress {\n  198.51.100.5/24 dev eth1 track_group G1\n  198.51.100.6/24 track_group G1\n  198.51.100.7/24 dev eth1\n}\n" +
        "static_routes {\n  203.0.113.0/24 nexthop via 198.51.100.1 dev eth1 nexthop via 192.0.2.254 dev eth0 track_group G1\n}\n",
    );
    const r = loadText(text, {}, {}, ["eth0", "eth1"]);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const src = { ...r.config.vrrp, defaultInterface: r.config.global.defaultInterface };
    expect(staticTrackedInterfaces(src, "VI_1").sort()).toEqual(["eth0", "eth1"]);
    expect(staticTrackedInterfaces(src, "VI_2")).toEqual([]);
  });

  test("the static address's link going down puts the group's instances in FAULT; up again, BACKUP", () => {
    const h = new Harness();
    h.start(conf("static_ipaddress {\n  198.51.100.5/24 dev eth1 track_group G1\n}\n"));
    h.sched.advance(4000);
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    h.kernel.setLink("eth1", false);
    expect(h.states()).toEqual({ VI_1: "FAULT", VI_2: "MASTER" });
    h.kernel.setLink("eth1", true);
    expect(h.states().VI_1).toBe("BACKUP");
  });

  test("without a track_group the static address's link changes nothing", () => {
    const h = new Harness();
    h.start(conf("static_ipaddress {\n  198.51.100.5/24 dev eth1\n}\n"));
    h.sched.advance(4000);
    h.kernel.setLink("eth1", false);
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
  });

  test("track_group on a static rule is reported as having no effect", () => {
    const r = loadText(conf("static_rules {\n  from 198.51.100.0/24 table 100 preference 100 track_group G1\n}\n"), {}, {}, ["eth0", "eth1"]);
    expect(r.diagnostics.map((d) => `${d.severity}: ${d.message}`)).toContain(
      "unsupported: option 'track_group' has no effect on a static rule (keepalived 2.2.7 neither tracks nor restores static rules)",
    );
  });
});
