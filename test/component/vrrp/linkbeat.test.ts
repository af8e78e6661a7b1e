/**
 * Linkbeat polling (src/vrrp/linkbeat.ts) on the harness: polled interfaces take their state from the
 * poller once a second and netlink's up/down for them is not used; other interfaces follow netlink.
 */
import { describe, expect, test } from "bun:test";
import { Logger } from "../../../src/core/log.ts";
import { linkbeatNames } from "../../../src/vrrp/linkbeat.ts";
import { loadText } from "../../support/config/helpers.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const inst = (name: string, vrid: number, ifname: string, extra = "") =>
  `vrrp_instance ${name} {\n  interface ${ifname}\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n${extra}` +
  `  virtual_ipaddress {\n    192.0.2.${vrid}/24\n  }\n}\n`;

describe("linkbeat", () => {
  test("which interfaces: linkbeat_interfaces; per-instance linkbeat_use_polling; global linkbeat_use_polling = all used", () => {
    const names = (text: string) => [...linkbeatNames(loadText(text, {}, {}, ["eth0", "eth1", "eth2"]).config).keys()].sort();
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

  test("an entry's type is chosen as keepalived 2.2.7 chooses it, once, and used from then on", () => {
    const lines: string[] = [];
    const log = new Logger({ ident: "t", console: false, syslog: true, facility: 3, detail: false, syslogSend: (l) => void lines.push(l) });
    const h = new Harness(log);
    for (const n of ["eth0", "eth1", "eth2"]) h.polledLinks.set(n, true);
    h.polledKinds.set("eth2", ["MII", "ETHTOOL", "IOCTL"]);
    const lb = "linkbeat_interfaces {\n  eth0 MII\n  eth1 IOCTL\n  eth2\n}\n";
    expect(linkbeatNames(loadText(lb, {}, {}, ["eth0", "eth1", "eth2"]).config)).toEqual(new Map([["eth0", "MII"], ["eth1", "IOCTL"], ["eth2", null]]));
    h.start(`${lb}${inst("VI_1", 51, "eth0")}`);
    // eth0: MII given and unsupported (a veth): ETHTOOL, logged; eth1: IOCTL only; eth2: MII works.
    expect(h.pollReads).toEqual(["eth0 MII", "eth0 ETHTOOL", "eth1 IOCTL", "eth2 MII"]);
    expect(lines.some((l) => l.includes("(eth0): Configured linkbeat type MII not supported, using ETHTOOL"))).toBe(true);
    h.pollReads.length = 0;
    h.sched.advance(1000);
    expect(h.pollReads).toEqual(["eth0 ETHTOOL", "eth1 IOCTL", "eth2 MII"]);
  });

  test("ETHTOOL given and unsupported falls back to MII, then IOCTL", () => {
    const h = new Harness();
    h.polledLinks.set("eth0", true);
    h.polledKinds.set("eth0", ["IOCTL"]);
    h.start(`linkbeat_interfaces {\n  eth0 ETHTOOL\n}\n${inst("VI_1", 51, "eth0")}`);
    expect(h.pollReads).toEqual(["eth0 ETHTOOL", "eth0 MII", "eth0 IOCTL"]);
  });
});
