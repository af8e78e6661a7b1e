/**
 * KEEPALIVED-MIB, VRRP-MIB and VRRPv3-MIB rows (src/snmp/mib-*.ts) and the traps (src/snmp/traps.ts)
 * from a configuration and a live view fed with child messages, as the parent builds them.
 */
import { describe, expect, test } from "bun:test";
import { loadText } from "../../support/config/helpers.ts";
import { VrrpLive } from "../../../src/snmp/live.ts";
import { globalRows, type MibEnv, vrrpRows } from "../../../src/snmp/mib-keepalived.ts";
import { rfc2787Rows, rfc6527Rows } from "../../../src/snmp/mib-rfc.ts";
import { MibView, type Varbind } from "../../../src/snmp/oid.ts";
import { TrapBuilder } from "../../../src/snmp/traps.ts";
import { snmpPlan } from "../../../src/snmp/service.ts";
import type { MetricSample } from "../../../src/core/ipc.ts";

const CONF = `global_defs {
  router_id r1
  enable_snmp_vrrp
  enable_snmp_rfc
  enable_traps
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/32
  }
  virtual_ipaddress_excluded {
    192.0.2.200
  }
}
vrrp_instance VI_6 {
  version 3
  interface eth1
  virtual_router_id 61
  advert_int 0.5
  virtual_ipaddress {
    2001:db8::100
  }
}
`;
const cfg = loadText(CONF).config;
const live = new VrrpLive(() => 1_000_000);
const env: MibEnv = { cfg, live: (n) => live.get(n), ifindex: (n) => (n === "eth0" ? 2 : n === "eth1" ? 3 : 0), hostname: "h", version: "v" };
const info = (instance: string, ifindex: number, address: string, master = ""): MetricSample => ({
  name: "keepalived_vrrp_instance_info",
  help: "",
  type: "gauge",
  value: 1,
  labels: { instance, interface: "eth0", ifindex: String(ifindex), mac: "02:00:00:00:00:01", address, master },
});
const K = "1.3.6.1.4.1.9586.100.5";
const find = (rows: Varbind[], oid: string) => rows.find((r) => r.oid.join(".") === oid)?.value;

describe("MIB rows", () => {
  live.onMessage("vrrp", {
    type: "metrics",
    role: "vrrp",
    samples: [
      info("VI_1", 2, "10.0.0.1"),
      info("VI_6", 3, "fe80::1", "fe80::2"),
      { name: "keepalived_vrrp_became_master_total", help: "", type: "counter", value: 4, labels: { instance: "VI_1" } },
      { name: "keepalived_vrrp_receive_errors_total", help: "", type: "counter", value: 7, labels: { instance: "VI_1", kind: "ip_ttl" } },
      { name: "keepalived_vrrp_receive_errors_total", help: "", type: "counter", value: 5, labels: { instance: "VI_1", kind: "auth_type_mismatch" } },
    ],
  });
  live.onMessage("vrrp", { type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 150, effectivePriority: 150 });
  live.onMessage("vrrp", { type: "vrrpState", instance: "VI_6", state: "BACKUP", priority: 100, effectivePriority: 90 });

  test("the global scalars and the instance table", () => {
    const g = globalRows(env);
    expect(find(g, `${K}.1.2.0`)).toBe("r1");
    expect(find(g, `${K}.1.4.0`)).toBe(1);
    const v = vrrpRows(env);
    expect(find(v, `${K}.2.1.1.2.1`)).toBe("G1");
    expect(find(v, `${K}.2.2.1.2.1.1`)).toBe("VI_1");
    expect(find(v, `${K}.2.3.1.4.1`)).toBe(2);
    expect(find(v, `${K}.2.3.1.4.2`)).toBe(1);
    expect(find(v, `${K}.2.3.1.8.2`)).toBe(90);
    expect(find(v, `${K}.2.3.1.12.2`)).toBe(50); // VRRPv3 advert interval in centiseconds
    expect(find(v, `${K}.2.3.1.18.1`)).toBe("G1");
    expect(find(v, `${K}.2.3.1.18.2`)).toBeUndefined();
    expect(find(v, `${K}.2.6.1.3.1.1`)).toEqual(Uint8Array.from([192, 0, 2, 100]));
    expect(find(v, `${K}.2.6.1.11.1.2`)).toBe(2); // excluded: not advertised
    expect(find(v, `${K}.2.6.1.10.1.1`)).toBe(1); // set while MASTER
    expect(() => new MibView(v)).not.toThrow();
  });

  test("VRRP-MIB for the VRRPv2 IPv4 instance, VRRPv3-MIB for both, indexed by ifIndex and VRID", () => {
    const v2 = rfc2787Rows(env, 0);
    expect(find(v2, "1.3.6.1.2.1.68.1.3.1.3.2.51")).toBe(3);
    expect(find(v2, "1.3.6.1.2.1.68.1.3.1.8.2.51")).toEqual(Uint8Array.from([10, 0, 0, 1]));
    expect(find(v2, "1.3.6.1.2.1.68.1.3.1.3.3.61")).toBeUndefined();
    expect(find(v2, "1.3.6.1.2.1.68.1.4.1.2.2.51.192.0.2.100")).toBe(1);
    expect(find(v2, "1.3.6.1.2.1.68.2.4.1.1.2.51")).toBe(4);
    expect(find(v2, "1.3.6.1.2.1.68.2.4.1.5.2.51")).toBe(7);
    expect(find(v2, "1.3.6.1.2.1.68.2.4.1.11.2.51")).toBe(5); // vrrpStatsAuthTypeMismatch (RFC 2787)
    const v3 = rfc6527Rows(env, 0);
    expect(find(v3, "1.3.6.1.2.1.207.1.1.1.1.6.3.61.2")).toBe(2);
    expect((find(v3, "1.3.6.1.2.1.207.1.1.1.1.3.3.61.2") as Uint8Array)[15]).toBe(2); // the master's address
    expect(find(v3, "1.3.6.1.2.1.207.1.2.5.1.5.2.51.1")).toBe(7n);
  });

  test("-x turns every MIB on; no keyword and no -x is off", () => {
    expect(snmpPlan(cfg, { snmp: false })).toMatchObject({ vrrp: true, rfcv2: true, rfcv3: true, checker: false, traps: true });
    expect(snmpPlan(cfg, { snmp: false, snmpSocket: "tcp:localhost:705" })?.socket).toBe("tcp:localhost:705");
    const plain = loadText("vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n").config;
    expect(snmpPlan(plain, { snmp: false })).toBeNull();
    expect(snmpPlan(plain, { snmp: true })).toMatchObject({
      vrrp: true,
      checker: true,
      rfcv2: true,
      rfcv3: true,
      traps: false,
      socket: "unix:/var/agentx/master",
    });
  });
});

describe("traps", () => {
  test("instance state change, new master (RFC 2787 and 6527), then the sync group's change once", () => {
    const l = new VrrpLive();
    const e: MibEnv = { ...env, live: (n) => l.get(n) };
    l.onMessage("vrrp", { type: "metrics", role: "vrrp", samples: [info("VI_1", 2, "10.0.0.1")] });
    const tb = new TrapBuilder();
    const on = { keepalived: true, rfcv2: true, rfcv3: true };
    const step = (state: "BACKUP" | "MASTER") =>
      tb.build(l.onMessage("vrrp", { type: "vrrpState", instance: "VI_1", state, priority: 150, effectivePriority: 150 })!, e, on);
    const t1 = step("BACKUP");
    expect(t1.map((t) => t.oid.join("."))).toEqual([`${K}.2.10.0.2`, `${K}.2.10.0.1`]);
    expect(t1[0]!.varbinds.map((v) => v.value)).toEqual(["VI_1", 1, 1, "r1"]);
    const t2 = step("MASTER");
    expect(t2.map((t) => t.oid.join("."))).toEqual([`${K}.2.10.0.2`, "1.3.6.1.2.1.68.0.1", "1.3.6.1.2.1.207.0.1", `${K}.2.10.0.1`]);
    expect(t2[1]!.varbinds[0]).toEqual({ oid: [1, 3, 6, 1, 2, 1, 68, 1, 3, 1, 7, 2, 51], type: "ip", value: Uint8Array.from([10, 0, 0, 1]) });
    expect(l.onMessage("vrrp", { type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 150, effectivePriority: 140 })).toBeUndefined();
  });
});
