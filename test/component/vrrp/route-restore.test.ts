/**
 * Routes deleted by someone else are put back from the kernel's route events: a virtual route while
 * MASTER (not in BACKUP), a static route always; route events are watched only while routes of ours are
 * configured.
 */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (routes: string, statics: string) =>
  `${statics}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
${routes}
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const has = (h: Harness, dst: string, table = 254) => h.kernel.routes.some((r) => r.dst === dst && (r.table ?? 254) === table);
const gone = (h: Harness, dst: string, dstLen: number, table = 254) => {
  h.kernel.delRoute({ dst, dstLen, table });
  h.kernel.emit({ kind: "route", op: "del", route: { family: "ipv4", dst, dstLen, table } });
};

describe("route deletion events", () => {
  test("a deleted virtual route comes back while MASTER; a deleted static route always", () => {
    const h = new Harness();
    h.start(conf("  virtual_routes {\n    198.51.100.0/24 dev eth1 table 100\n  }", "static_routes {\n  203.0.113.128/25 dev eth1\n}"));
    expect(h.kernel.watchingRoutes).toBe(true);
    gone(h, "203.0.113.128", 25);
    expect(has(h, "203.0.113.128")).toBe(true);
    h.sched.advance(5000);
    expect(h.states().VI_1).toBe("MASTER");
    gone(h, "198.51.100.0", 24, 100);
    expect(has(h, "198.51.100.0", 100)).toBe(true);
    // Another table's route of the same prefix is not ours.
    h.kernel.addRoute({ dst: "198.51.100.0", dstLen: 24, table: 7 });
    gone(h, "198.51.100.0", 24, 7);
    expect(has(h, "198.51.100.0", 7)).toBe(false);
    // BACKUP: our virtual route went with the VIPs and stays away.
    h.advert("eth0", 51, 200, "192.0.2.9", ["192.0.2.100"], 2);
    expect(h.states().VI_1).toBe("BACKUP");
    expect(has(h, "198.51.100.0", 100)).toBe(false);
    h.kernel.emit({ kind: "route", op: "del", route: { family: "ipv4", dst: "198.51.100.0", dstLen: 24, table: 100 } });
    expect(has(h, "198.51.100.0", 100)).toBe(false);
  });

  test("no route of ours configured: route events are not watched", () => {
    const h = new Harness();
    h.start(conf("", ""));
    expect(h.kernel.watchingRoutes).toBe(false);
  });
});
