/** Tests for VRRP keywords and validation (src/config/kw-vrrp*.ts, validate-vrrp.ts, validate-side.ts). */
import { describe, expect, test } from "bun:test";
import { diagLines, instance, loadText } from "../../support/config/helpers.ts";

const vi = (extra: string, text = ""): ReturnType<typeof loadText> => loadText(text + instance(extra));

describe("vrrp_instance defaults and ranges", () => {
  test("defaults", () => {
    const r = vi("");
    expect(r.exitCode).toBe(0);
    const v = r.config.vrrp.instances[0]!;
    expect(v).toMatchObject({
      name: "VI_1",
      initialState: "BACKUP",
      priority: 100,
      advertIntMs: 1000,
      version: 2,
      family: "ipv4",
      vrid: 51,
      accept: true,
      nopreempt: false,
      garpMasterDelayMs: 5000,
      garpMasterRepeat: 5,
      garpLowerPrioDelayMs: 5000,
      downTimerAdverts: 3,
      unicastTtl: 255,
    });
    expect(v.virtualIpaddresses[0]).toMatchObject({
      address: "192.0.2.10",
      prefixLen: 24,
      family: "ipv4",
      dev: null,
    });
  });
  test("priority out of range is reported with its line and the default kept", () => {
    const r = vi(" priority 300");
    expect(r.exitCode).toBe(5);
    expect(diagLines(r)[0]).toMatch(/^4: error: priority: 300 is outside 1\.\.255/);
    expect(r.config.vrrp.instances[0]!.priority).toBe(100);
  });
  test("VRID out of range drops the instance", () => {
    const r = loadText(
      "vrrp_instance X {\n interface eth0\n virtual_router_id 0\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n",
    );
    expect(r.config.vrrp.instances).toHaveLength(0);
    expect(diagLines(r)[0]).toMatch(/^3: error: virtual_router_id: 0 is outside 1\.\.255/);
  });
  test("priority 255 makes the instance start as MASTER", () => {
    expect(vi(" priority 255").config.vrrp.instances[0]!.initialState).toBe("MASTER");
  });
});

describe("advert_int rounding by version", () => {
  test("v2 rounds to whole seconds with a warning", () => {
    const r = vi(" advert_int 1.4");
    expect(r.config.vrrp.instances[0]!.advertIntMs).toBe(1000);
    expect(r.diagnostics[0]!.severity).toBe("warning");
  });
  test("v3 keeps centiseconds and rounds finer values", () => {
    expect(vi(" version 3\n advert_int 0.25").config.vrrp.instances[0]!.advertIntMs).toBe(250);
    const r = vi(" version 3\n advert_int 0.123");
    expect(r.config.vrrp.instances[0]!.advertIntMs).toBe(120);
    expect(r.exitCode).toBe(5);
  });
  test("global vrrp_version applies", () => {
    expect(vi(" advert_int 0.5", "global_defs {\n vrrp_version 3\n}\n").config.vrrp.instances[0]!.advertIntMs)
      .toBe(500);
  });
});

describe("address families", () => {
  test("IPv6 VIPs force version 3", () => {
    const r = loadText(
      "vrrp_instance V6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  2001:db8::10/64\n }\n}\n",
    );
    const v = r.config.vrrp.instances[0]!;
    expect(v.version).toBe(3);
    expect(v.family).toBe("ipv6");
    expect(v.virtualIpaddresses[0]!.address).toBe("2001:db8::10");
  });
  test("mixed families in virtual_ipaddress are rejected per entry, excluded may mix", () => {
    const r = vi(" virtual_ipaddress_excluded {\n  2001:db8::1\n }\n virtual_ipaddress {\n  2001:db8::2\n }");
    const v = r.config.vrrp.instances[0]!;
    expect(v.virtualIpaddresses.map((a) => a.address)).toEqual(["2001:db8::2"]);
    expect(v.virtualIpaddressesExcluded.map((a) => a.address)).toEqual(["2001:db8::1"]);
    expect(diagLines(r)[0]).toMatch(/^11: error: \(VI_1\) VIP 192.0.2.10 is not the same family/);
  });
  test("address options become typed fields", () => {
    const r = vi(
      " virtual_ipaddress {\n  192.0.2.11/24 brd 192.0.2.255 dev eth1 scope link label eth1:1 no_track -nodad noprefixroute\n }",
    );
    expect(r.config.vrrp.instances[0]!.virtualIpaddresses[0]).toMatchObject({
      address: "192.0.2.11",
      prefixLen: 24,
      broadcast: "192.0.2.255",
      dev: "eth1",
      scope: "link",
      label: "eth1:1",
      noTrack: true,
      noDad: true,
      noPrefixRoute: true,
    });
  });
  test("an invalid address is skipped with file:line", () => {
    const r = vi(" virtual_ipaddress {\n  192.168.100./24\n }");
    expect(diagLines(r)).toEqual(["5: error: invalid IP address '192.168.100./24'; entry skipped"]);
  });
});

describe("authentication and strict mode", () => {
  test("PASS auth is kept and truncated to 8 characters", () => {
    const r = vi(" authentication {\n  auth_type PASS\n  auth_pass 123456789\n }");
    expect(r.config.vrrp.instances[0]!.auth).toEqual({ type: "PASS", password: "12345678" });
  });
  test("AH with state MASTER below priority 255 is rejected: starts as BACKUP", () => {
    const r = vi(" state MASTER\n priority 100\n authentication {\n  auth_type AH\n  auth_pass x\n }");
    expect(r.config.vrrp.instances[0]!.initialState).toBe("BACKUP");
    expect(r.exitCode).toBe(5);
  });
  test("state MASTER without a priority makes the address owner (255), so AH is accepted", () => {
    const r = vi(" state MASTER\n authentication {\n  auth_type AH\n  auth_pass x\n }");
    expect(r.config.vrrp.instances[0]).toMatchObject({
      initialState: "MASTER",
      priority: 255,
      auth: { type: "AH" },
    });
    expect(r.exitCode).toBe(0);
  });
  test("auth is dropped for v3 and in strict mode", () => {
    expect(
      vi(" version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }").config.vrrp.instances[0]!.auth,
    ).toBeNull();
    const r = vi(
      " authentication {\n  auth_type PASS\n  auth_pass x\n }",
      "global_defs {\n vrrp_strict\n}\n",
    );
    expect(r.config.vrrp.instances[0]!.auth).toBeNull();
    expect(r.config.vrrp.instances[0]!.accept).toBe(false);
  });
  test("strict mode: MASTER only with priority 255", () => {
    const r = vi(" state MASTER\n priority 100", "global_defs {\n vrrp_strict\n}\n");
    expect(r.config.vrrp.instances[0]!.initialState).toBe("BACKUP");
    expect(r.exitCode).toBe(5);
  });
  test("nopreempt needs BACKUP", () => {
    const r = vi(" state MASTER\n nopreempt");
    expect(r.config.vrrp.instances[0]!.nopreempt).toBe(false);
    expect(diagLines(r)[0]).toMatch(/nopreempt needs state BACKUP/);
    expect(vi(" nopreempt").config.vrrp.instances[0]!.nopreempt).toBe(true);
  });
});

describe("interfaces and tracking", () => {
  test("a missing interface is an error (exit 5) unless dynamic_interfaces", () => {
    const text = instance("").replace("interface eth0", "interface nope0");
    expect(loadText(text).exitCode).toBe(5);
    expect(loadText("global_defs {\n dynamic_interfaces\n}\n" + text).exitCode).toBe(0);
  });
  test("track_script references and weights", () => {
    const text = 'vrrp_script chk {\n script "/bin/true"\n interval 2\n weight -20 reverse\n fall 3\n}\n' +
      instance(" track_script {\n  chk weight 10\n  nope\n }\n track_interface {\n  eth1 weight -5\n }");
    const r = loadText(text);
    expect(r.config.vrrp.scripts[0]).toMatchObject({
      name: "chk",
      intervalMs: 2000,
      weight: -20,
      weightReverse: true,
      fall: 3,
      rise: 1,
    });
    expect(r.config.vrrp.scripts[0]!.script!.argv).toEqual(["/bin/true"]);
    const v = r.config.vrrp.instances[0]!;
    expect(v.trackScripts.map((t) => [t.name, t.weight])).toEqual([["chk", 10]]);
    expect(v.trackInterfaces).toMatchObject([{ name: "eth1", weight: -5, reverse: false }]);
    expect(diagLines(r)).toEqual(["12: error: (VI_1) track script 'nope' is not defined; ignored"]);
  });
  test("vrrp_script without script is removed", () => {
    const r = loadText("vrrp_script s {\n interval 1\n}\n");
    expect(r.config.vrrp.scripts).toHaveLength(0);
    expect(diagLines(r)[0]).toMatch(/^3: error: vrrp_script s has no script/);
  });
  test("sync group members get tracker weights zeroed unless sync_group_tracking_weight", () => {
    const base = instance(" track_interface {\n  eth1 weight 10\n }") +
      instance("", "VI_2").replace("virtual_router_id 51", "virtual_router_id 52");
    const r = loadText(
      base + 'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n notify_master "/bin/x a"\n}\n',
    );
    expect(r.config.vrrp.syncGroups[0]!.members).toEqual(["VI_1", "VI_2"]);
    expect(r.config.vrrp.instances[0]!.trackInterfaces[0]!.weight).toBe(0);
    expect(r.config.vrrp.instances[0]!.syncGroup).toBe("G");
    expect(r.config.vrrp.syncGroups[0]!.notify.master!.argv).toEqual(["/bin/x", "a"]);
    const keep = loadText(
      base + "vrrp_sync_group G {\n group {\n  VI_1\n }\n sync_group_tracking_weight\n}\n",
    );
    expect(keep.config.vrrp.instances[0]!.trackInterfaces[0]!.weight).toBe(10);
  });
  test("a sync group without group{} is removed and its names are unknown keywords", () => {
    const r = loadText(instance("") + "vrrp_sync_group G {\n VI_1\n}\n");
    expect(r.config.vrrp.syncGroups).toHaveLength(0);
    expect(diagLines(r)).toEqual([
      "10: error: unknown keyword 'VI_1' ignored",
      "9: error: sync group G has no vrrp instances; removed",
    ]);
  });
  test("duplicate VRID on one interface drops the later instance", () => {
    const r = loadText(instance("") + instance("", "VI_2"));
    expect(r.config.vrrp.instances.map((v) => v.name)).toEqual(["VI_1"]);
  });
});

describe("side blocks", () => {
  test("track_file, vrrp_track_process, garp_group, static and linkbeat blocks", () => {
    const text = [
      "track_file tf {\n file /run/x\n weight -3\n init_file 5 overwrite\n}",
      "vrrp_track_process p {\n process nginx -g x\n param_match partial\n quorum 2\n delay 1.5\n}",
      "garp_group {\n garp_interval 0.5\n interfaces {\n  eth0\n  eth1\n }\n}",
      "static_ipaddress {\n 192.0.2.5/24 dev eth1\n}",
      "static_routes {\n 198.51.100.0/24 via 192.0.2.1 dev eth0 table main metric 5\n}",
      "static_rules {\n from 192.0.2.0/24 table 100 priority 10\n}",
      "linkbeat_interfaces {\n eth0\n eth1 ETHTOOL\n}",
      "interface_up_down_delays {\n eth0 1 2\n}",
    ].join("\n") + "\n";
    const r = loadText(text);
    expect(r.diagnostics.filter((d) => d.severity !== "unsupported")).toEqual([]);
    const v = r.config.vrrp;
    expect(v.trackFiles[0]).toMatchObject({
      name: "tf",
      path: "/run/x",
      weight: -3,
      initFile: { value: 5, overwrite: true },
    });
    expect(v.trackProcesses[0]).toMatchObject({
      process: "nginx",
      params: ["-g", "x"],
      paramMatch: "partial",
      quorum: 2,
      forkDelayMs: 1500,
      terminateDelayMs: 1500,
    });
    expect(v.garpGroups[0]).toMatchObject({ garpIntervalMs: 500, interfaces: ["eth0", "eth1"] });
    expect(v.staticRoutes[0]).toMatchObject({
      dest: "198.51.100.0/24",
      via: "192.0.2.1",
      dev: "eth0",
      table: 254,
      metric: 5,
    });
    expect(v.staticRules[0]).toMatchObject({ from: "192.0.2.0/24", table: 100, preference: 10 });
    expect(v.linkbeatInterfaces).toEqual(["eth0", "eth1"]);
    expect(v.interfaceUpDownDelays).toEqual([{ ifname: "eth0", downDelayMs: 1000, upDelayMs: 2000 }]);
  });
  test("virtual_routes: deprecated gw/or and untrackable routes are reported", () => {
    const r = vi(
      " virtual_routes {\n  0.0.0.0/0 gw 192.0.2.1 table 100\n  blackhole 198.51.100.0/24 dev eth0\n }",
    );
    const v = r.config.vrrp.instances[0]!;
    expect(v.virtualRoutes[0]).toMatchObject({
      dest: "0.0.0.0/0",
      via: "192.0.2.1",
      table: 100,
      type: "unicast",
    });
    expect(v.virtualRoutes[1]).toMatchObject({ type: "blackhole", dev: "eth0" });
    expect(diagLines(r).map((l) => l.split(":")[0])).toEqual(["5", "5"]);
  });
});
