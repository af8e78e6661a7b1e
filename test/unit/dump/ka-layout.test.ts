/**
 * src/dump/: keepalived 2.2.7's dump layout from a configuration, checked against lines keepalived 2.2.7
 * printed for the same configuration (measured with test/support/dump/dump-capture.ts; the whole files are
 * compared in test/netns/dumps-keepalived.test.ts), and read back with mehdy/keepalived-exporter's rules.
 */
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import type { KeepalivedConfig } from "../../../src/config/model.ts";
import { globalSection } from "../../../src/dump/ka-global.ts";
import { type InstanceLive, kaTime, masterDownUs } from "../../../src/dump/ka-vrrp.ts";
import { type VrrpLive, vrrpText } from "../../../src/dump/ka-vrrp-misc.ts";
import { confText } from "../../../src/dump/ka-conf.ts";
import { parseScripts, parseVrrpData } from "../../support/dump/mehdy-parser.ts";

const load = (text: string): KeepalivedConfig => loadConfig("/k.conf", { configId: "x", readFile: () => text, interfaceExists: () => true }).config;

const CONF = `global_defs {
  router_id R1
}
vrrp_script chk {
  script "/bin/true"
  interval 2
  weight -20
}
vrrp_instance VI_1 {
  state MASTER
  interface veth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.99.0.100/24
  }
  track_script {
    chk
  }
}
`;

const host = { ifindex: () => 3, address: () => "10.99.0.1" };

function live(state: InstanceLive["state"]): VrrpLive {
  const i: InstanceLive = {
    state,
    ifname: "veth0",
    ifindex: 3,
    src: "10.99.0.1",
    effectivePriority: 150,
    faults: 0,
    lastTransitionMs: Date.UTC(2026, 11, 2, 23, 51, 8, 787),
    master: undefined,
    socketFault: undefined,
  };
  return {
    instances: new Map([["VI_1", i]]),
    groups: new Map(),
    scripts: new Map([["chk", { up: true, running: false }]]),
    files: new Map(),
    processes: new Map(),
    sockets: [],
    bfds: new Map(),
  };
}

describe("keepalived 2.2.7 dump layout", () => {
  test("Global definitions: keepalived's fields in its order, per process", () => {
    const g = load(CONF).global;
    const vrrp = globalSection(g, "vrrp");
    expect(vrrp.slice(0, 4)).toEqual([
      "------< Global definitions >------",
      " Network namespace = (default)",
      " Network namespace ipvs = (main namespace)",
      " Router ID = R1",
    ]);
    for (const l of [" Default interface = eth0", " Gratuitous ARP lower priority delay = 5", " Gratuitous ARP interval = 0.000000", " umask = 0177"]) {
      expect(vrrp).toContain(l);
    }
    const parent = globalSection(g, "parent");
    expect(parent).toContain(" Gratuitous ARP lower priority delay = 4294967295");
    expect(parent.some((l) => l.startsWith(" Default interface"))).toBe(false);
  });

  test("VRRP Topology: configuration (-d) and data dump blocks", () => {
    const c = load(CONF);
    const conf = vrrpText(c, undefined, 0, host);
    const at = conf.indexOf(" VRRP Instance = VI_1");
    expect(conf.slice(at, at + 8)).toEqual([
      " VRRP Instance = VI_1",
      "   VRRP Version = 2",
      "   Flags: none",
      "   Wantstate = MASTER",
      "   Number of config faults = 0",
      "   Interface = veth0",
      "   Using src_ip = 10.99.0.1",
      "   Multicast address 224.0.0.18",
    ]);
    for (
      const l of ["   Authentication type = SIMPLE_PASSWORD", "   Password = secret", "     10.99.0.100/24 dev veth0 scope global", "   No sockets allocated"]
    ) {
      expect(conf).toContain(l);
    }
    const data = vrrpText(c, live("MASTER"), Date.UTC(2026, 11, 2, 23, 51, 9), host);
    for (
      const l of [
        "   State = MASTER",
        "   Effective priority = 150",
        "   Master down timer = 3414062 usecs",
        "     10.99.0.100/24 dev veth0 scope global set",
        "   Status = GOOD",
        "   State = idle",
      ]
    ) {
      expect(data).toContain(l);
    }
  });

  test("Master_Down_Interval as keepalived prints it (v2 whole-second skew, v3 scaled)", () => {
    const c = load(CONF).vrrp.instances[0]!;
    expect(masterDownUs(c, 150)).toBe(3414062);
    expect(masterDownUs({ ...c, advertIntMs: 2000 }, 100)).toBe(6609375);
    expect(masterDownUs({ ...c, version: 3, advertIntMs: 500 }, 200)).toBe(1609375);
  });

  test("timestamps: seconds.micros and the local time with micros", () => {
    expect(kaTime(1796255468787.74)).toMatch(/^1796255468\.787740 \(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d\.787740 2026\)$/);
  });

  test("what mehdy/keepalived-exporter reads parses from our data dump", () => {
    const text = vrrpText(load(CONF), live("MASTER"), Date.now(), host).join("\n");
    expect(parseVrrpData(text)).toEqual({
      VI_1: { state: 2, wantState: 2, intf: "veth0", garpDelay: 5, vrid: 51, vips: [{ address: "10.99.0.100/24", dev: "veth0" }] },
    });
    expect(parseScripts(text)).toEqual([{ name: "chk", status: "GOOD", state: "idle" }]);
  });

  test("-d with no child to run is the parent's Global definitions", () => {
    const t = confText(load("global_defs {\n router_id P\n}\n"));
    expect(t.startsWith("------< Global definitions >------\n")).toBe(true);
    expect(t).toContain(" Gratuitous ARP lower priority repeat = 4294967295\n");
  });
});
