/**
 * Parsing of the VRRP keywords of issue 15's VRRP slice (vrrp_min_garp, entry options, VMAC naming,
 * BFD routing, linkbeat types...): what each puts in the model, as keepalived 2.2.7 reads it.
 */
import { describe, expect, test } from "bun:test";
import { diagLines, instance, loadText } from "../../support/config/helpers.ts";

const first = (text: string) => loadText(text + instance("")).config.vrrp.instances[0]!;

describe("vrrp_min_garp", () => {
  test("one GARP round, no second round, no refresh repeat; instance values follow", () => {
    const r = loadText(`global_defs {\n vrrp_min_garp\n}\n${instance("")}`);
    expect(diagLines(r)).toEqual([]);
    expect(r.config.global).toMatchObject({ vrrpGarpMasterRepeat: 1, vrrpGarpMasterDelayMs: 0, vrrpGarpMasterRefreshRepeat: 0, vrrpGarpMasterRefreshMs: 0 });
    expect(r.config.vrrp.instances[0]!).toMatchObject({ garpMasterRepeat: 1, garpMasterDelayMs: 0, garpLowerPrioRepeat: 1, garpLowerPrioDelayMs: 0 });
  });
  test("false changes nothing", () => {
    expect(first("global_defs {\n vrrp_min_garp false\n}\n")).toMatchObject({ garpMasterRepeat: 5, garpMasterDelayMs: 5000 });
  });
  test("acts in file order: a value set before it and not the default stays, one set after wins", () => {
    const g = loadText("global_defs {\n vrrp_garp_master_repeat 3\n vrrp_min_garp\n vrrp_garp_master_delay 2\n}\n").config.global;
    expect(g).toMatchObject({ vrrpGarpMasterRepeat: 3, vrrpGarpMasterDelayMs: 2000, vrrpGarpMasterRefreshRepeat: 0 });
  });
  test("an instance's own garp_master_repeat is kept", () => {
    expect(loadText(`global_defs {\n vrrp_min_garp\n}\n${instance(" garp_master_repeat 4")}`).config.vrrp.instances[0]!.garpMasterRepeat).toBe(4);
  });
});

describe("address VMACs (use_vmac on an address, use_vmac_addr, vmac_addr_prefix)", () => {
  const vi = (body: string, g = "") => loadText(`${g}vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 61\n${body}\n}\n`).config.vrrp.instances[0]!;
  const names = (i: ReturnType<typeof vi>) => [...i.virtualIpaddresses, ...i.virtualIpaddressesExcluded].map((v) => v.useVmac ? v.vmacName : null);
  test("named as keepalived 2.2.7 names them: prefix, 6 for IPv6, a count from the second, .VRID", () => {
    const i = vi(
      " virtual_ipaddress {\n  192.0.2.1/24 use_vmac\n  192.0.2.2/24 dev eth1 use_vmac\n  192.0.2.3/24 dev eth2 use_vmac\n  192.0.2.4/24 dev eth1 use_vmac\n  192.0.2.5/24\n }",
      "global_defs {\n vmac_prefix kvp\n}\n",
    );
    expect(names(i)).toEqual(["kvp.61", "kvp1.61", "kvp2.61", "kvp1.61", null]);
  });
  test("use_vmac_addr: addresses on another interface and excluded ones of the other family; vmac_addr_prefix wins", () => {
    const i = vi(
      " use_vmac_addr\n virtual_ipaddress {\n  192.0.2.1/24\n  192.0.2.2/24 dev eth4\n }\n virtual_ipaddress_excluded {\n  2001:db8:4b::6/64\n  192.0.2.9/24\n }",
      "global_defs {\n vmac_prefix kvp\n vmac_addr_prefix kva\n}\n",
    );
    expect(names(i)).toEqual([null, "kva.61", "kva6.61", null]);
  });
  test("use_vmac on an address takes no name (keepalived 2.2.7: the next word is an unknown option)", () => {
    const r = loadText(`vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 61\n virtual_ipaddress {\n  192.0.2.1/24 dev eth1 use_vmac foo\n }\n}\n`);
    expect(diagLines(r)).toEqual(["5: error: unknown address option 'foo' ignored"]);
    expect(r.config.vrrp.instances[0]!.virtualIpaddresses[0]!.vmacName).toBe("vrrp.61");
  });
  test("an address without dev on a use_vmac instance is on the instance's VMAC already", () => {
    expect(names(vi(" use_vmac\n virtual_ipaddress {\n  192.0.2.1/24 use_vmac\n }"))).toEqual([null]);
  });
});

describe("native_ipv6", () => {
  const vi = (body: string) => loadText(`vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 61\n${body}\n}\n`);
  test("before the VIPs: the instance is IPv6 and an IPv4 VIP is dropped with keepalived's words", () => {
    const r = vi(" native_ipv6\n virtual_ipaddress {\n  192.0.2.1/24\n  2001:db8::7/64\n }");
    expect(r.config.vrrp.instances[0]!).toMatchObject({ family: "ipv6", version: 3 });
    expect(r.config.vrrp.instances[0]!.virtualIpaddresses.map((v) => v.address)).toEqual(["2001:db8::7"]);
    expect(diagLines(r)).toContain("6: error: (VI_1): address family must match VRRP instance [192.0.2.1/24] - ignoring");
  });
  test("after IPv4 VIPs it is refused and the instance stays IPv4", () => {
    const r = vi(" virtual_ipaddress {\n  192.0.2.1/24\n }\n native_ipv6");
    expect(r.config.vrrp.instances[0]!.family).toBe("ipv4");
    expect(diagLines(r)).toContain("7: error: (VI_1) Cannot specify native_ipv6 with IPv4 addresses");
  });
});

describe("debug and lvs_sync_daemon_interface (vrrp_instance)", () => {
  const vi = (body: string, g = "") =>
    loadText(`${g}vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 61\n${body}\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n`);
  test("debug takes a level 0-4, as keepalived 2.2.7 (which refuses it without one)", () => {
    expect(vi(" debug 3").config.vrrp.instances[0]!.debugLevel).toBe(3);
    // keepalived 2.2.7 -t on the same line: the same words.
    expect(diagLines(vi(" debug"))[0]).toBe(
      "4: config-fatal: *** Configuration line starting `debug` is missing a parameter after keyword `debug` at word position 2",
    );
    expect(vi(" debug 5").exitCode).not.toBe(0);
  });
  test("lvs_sync_daemon_interface sets the global sync daemon for this instance", () => {
    const r = vi(" lvs_sync_daemon_interface eth1");
    expect(r.config.global.lvsSyncDaemon).toMatchObject({ interface: "eth1", vrrpInstance: "VI_1" });
    expect(diagLines(r)).toContain("4: warning: (VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon");
  });
  test("a global lvs_sync_daemon wins", () => {
    const r = vi(" lvs_sync_daemon_interface eth1", "global_defs {\n lvs_sync_daemon eth2 VI_1\n}\n");
    expect(r.config.global.lvsSyncDaemon).toMatchObject({ interface: "eth2" });
    expect(diagLines(r).some((l) => l.includes("lvs_sync_daemon_interface has already been specified as eth2 - ignoring"))).toBe(true);
  });
});
