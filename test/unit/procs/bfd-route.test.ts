/** Which children get a BFD session's state (src/procs/bfd-route.ts), from bfd_instance `vrrp` / `checker`. */
import { describe, expect, test } from "bun:test";
import { bfdRoles } from "../../../src/procs/bfd-route.ts";
import { loadText } from "../../support/config/helpers.ts";

const cfg = loadText(
  "bfd_instance both {\n neighbor_ip 192.0.2.9\n}\nbfd_instance v {\n neighbor_ip 192.0.2.10\n vrrp\n}\n" +
    "bfd_instance c {\n neighbor_ip 192.0.2.11\n checker\n}\nbfd_instance vc {\n neighbor_ip 192.0.2.12\n vrrp\n checker\n}\n",
).config;

describe("bfdRoles", () => {
  test("neither keyword: both children; one: that child; both keywords: both", () => {
    expect(bfdRoles(cfg, "both")).toEqual(["vrrp", "check"]);
    expect(bfdRoles(cfg, "v")).toEqual(["vrrp"]);
    expect(bfdRoles(cfg, "c")).toEqual(["check"]);
    expect(bfdRoles(cfg, "vc")).toEqual(["vrrp", "check"]);
  });
  test("a session the configuration does not have goes nowhere", () => {
    expect(bfdRoles(cfg, "gone")).toEqual([]);
    expect(bfdRoles(undefined, "both")).toEqual([]);
  });
  test("track_bfd of a checker-only session is not known to the VRRP side", () => {
    const r = loadText(
      "bfd_instance c {\n neighbor_ip 192.0.2.11\n checker\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 61\n track_bfd {\n  c\n }\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n",
    );
    expect(r.config.vrrp.instances[0]!.trackBfds).toEqual([]);
  });
});
