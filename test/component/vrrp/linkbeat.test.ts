/**
 * Linkbeat polling (src/vrrp/linkbeat.ts) on the harness: polled interfaces take their state from the
 * poller once a second and netlink's up/down for them is not used; other interfaces follow netlink.
 */
import { describe, expect, test } from "bun:test";
import { linkbeatNames } from "../../../src/vrrp/linkbeat.ts";
import { loadText } from "../../support/config/helpers.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const inst = (name: string, vrid: number, ifname: string, extra = "") =>
  `vrrp_instance ${name} {\n  interface ${ifname}\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n${extra}` +
  `  virtual_ipaddress {\n    192.0.2.${vrid}/24\n  }\n}\n`;

describe("linkbeat", () => {
  test("which interfaces: linkbeat_interfaces; per-instance linkbeat_use_polling; global linkbeat_use_polling = all used", () => {
    const names = (text: string) => [...linkbeatNames(loadText(text, {}, {}, ["eth0", "eth1", "eth2"]).config)].sort();
    expect(names(`linkbeat_interfaces {\n  eth2\n  eth1 ETHTOOL\n}\n${inst("VI_1", 51, "eth0")}`)).toEqual(["eth1", "eth2"]);
    expect(names(inst("VI_1", 51, "eth0", "  linkbeat_use_polling\n") + inst("VI_2", 52, "eth1"))).toEqual(["eth0"]);
    expect(names(`linkbeat_use_polling\n${inst("VI_1", 51, "eth0", "  track_interface {\n    eth2\n  }\n")}`)).toEqual(["eth0", "eth2"]);
    expect(names(inst("VI_1", 51, "eth0"))).toEqual([]);
  });

  test("a polled interface: the poll decides, netlink does not", () => {
    const h = new Harness();
    h.polledLinks.set("eth0", true);
    h.start(`linkbeat_interfaces {\n  eth0\n}\n${inst("VI_1", 51, "eth0")}${inst("VI_2", 52, "eth1")}`);
    h.sched.advance(4000);
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    // netlink says eth0 is down: ignored for a polled interface.
    h.kernel.setLink("eth0", false);
    expect(h.states().VI_1).toBe("MASTER");
    // The poll sees it down within a second.
    h.polledLinks.set("eth0", false);
    h.sched.advance(1000);
    expect(h.states().VI_1).toBe("FAULT");
    h.polledLinks.set("eth0", true);
    h.sched.advance(1000);
    expect(h.states().VI_1).toBe("BACKUP");
    // eth1 is not polled: netlink decides.
    h.kernel.setLink("eth1", false);
    expect(h.states().VI_2).toBe("FAULT");
  });

  test("the first reading counts at start: a polled link down at start is FAULT", () => {
    const h = new Harness();
    h.polledLinks.set("eth0", false);
    h.start(`linkbeat_interfaces {\n  eth0\n}\n${inst("VI_1", 51, "eth0")}`);
    expect(h.states().VI_1).toBe("FAULT");
  });
});
