/**
 * nftables_ipvs planning (src/check/nft-ipvs-rules.ts) and the desired IPVS table it leads to
 * (src/check/table.ts), on configurations loaded from text: which groups get a fwmark and in what order
 * (keepalived 2.2.7 in the VM: per group and protocol from start_fwmark, in virtual server order; a group
 * with a fwmark entry gets none), marks kept across reloads and taken from a previous child's maps, both
 * families for a mixed group, DR/tunnel destinations without a port.
 */
import { describe, expect, test } from "bun:test";
import { ipvsNftShape, marksFromKernel, planFwmarks } from "../../../src/check/nft-ipvs-rules.ts";
import { vsTable } from "../../../src/check/table.ts";
import { rsKey, type VsStatus } from "../../../src/check/topology.ts";
import type { KeepalivedConfig } from "../../../src/config/model.ts";
import { loadText } from "../../support/config/helpers.ts";

const group = (name: string, lines: string[]) => `virtual_server_group ${name} {\n${lines.map((l) => `  ${l}`).join("\n")}\n}\n`;
const vs = (g: string, proto: string, kind: string, rs: string) =>
  `virtual_server group ${g} {\n  protocol ${proto}\n  lb_kind ${kind}\n  real_server ${rs} {\n  }\n}\n`;

function load(text: string): KeepalivedConfig {
  const r = loadText(text);
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.config;
}

const CONF = `global_defs {\n  nftables_ipvs\n}\n` +
  group("g4", ["192.0.2.20-22 80", "192.0.2.30 8080"]) +
  group("g6", ["2001:db8::10 80"]) +
  group("gf", ["192.0.2.40 80", "fwmark 7"]) +
  group("g46", ["192.0.2.50-51 80", "2001:db8::50 80"]) +
  vs("g4", "TCP", "NAT", "127.0.0.2 8080") + vs("g4", "UDP", "DR", "127.0.0.3 53") + vs("g6", "TCP", "NAT", "::1 8080") +
  vs("gf", "TCP", "DR", "127.0.0.4 80") + vs("g46", "TCP", "TUN", "127.0.0.5 80");

describe("fwmark plan", () => {
  test("one fwmark per group and protocol in virtual server order; a group with a fwmark entry has none", () => {
    const c = load(CONF);
    expect(ipvsNftShape(c.global.nftables)).toEqual({ table: "keepalived_ipvs", priority: -1, counters: false });
    const p = planFwmarks(c.check.virtualServers, c.check.virtualServerGroups, new Map(), c.global.nftables.ipvsStartFwmark);
    expect([...p.marks]).toEqual([["g4|TCP", 1000], ["g4|UDP", 1001], ["g6|TCP", 1002], ["g46|TCP", 1003]]);
    expect(p.next).toBe(1004);
    expect(p.elems.map((e) => `${e.protocol} ${e.first}-${e.last} ${e.port} ${e.fwmark}`)).toEqual([
      "TCP 192.0.2.20-192.0.2.22 80 1000",
      "TCP 192.0.2.30-192.0.2.30 8080 1000",
      "UDP 192.0.2.20-192.0.2.22 80 1001",
      "UDP 192.0.2.30-192.0.2.30 8080 1001",
      "TCP 2001:db8::10-2001:db8::10 80 1002",
      "TCP 192.0.2.50-192.0.2.51 80 1003",
      "TCP 2001:db8::50-2001:db8::50 80 1003",
    ]);
  });

  test("a reload keeps the marks given; a new group takes the next one, skipping marks in use", () => {
    const c = load(CONF);
    const { virtualServers: vss, virtualServerGroups: groups } = c.check;
    const p = planFwmarks(vss, groups, new Map([["g6|TCP", 1004], ["g4|TCP", 1000]]), 1001);
    expect([...p.marks]).toEqual([["g4|TCP", 1000], ["g4|UDP", 1001], ["g6|TCP", 1004], ["g46|TCP", 1002]]);
    expect(p.next).toBe(1003);
  });

  test("a previous child's maps give a group the mark of its first entry", () => {
    const c = load(CONF);
    const { virtualServers: vss, virtualServerGroups: groups } = c.check;
    const found = [{ family: "ipv4" as const, protocol: "TCP" as const, first: "192.0.2.20", last: "192.0.2.22", port: 80, fwmark: 1007 }];
    expect([...marksFromKernel(vss, groups, found)]).toEqual([["g4|TCP", 1007]]);
  });

  test("the table: one fwmark service per family of the group, DR and tunnel destinations on port 0, NAT on its own, an IPv4 one in an IPv6 service with its family", () => {
    const c = load(CONF);
    const { virtualServers: vss, virtualServerGroups: groups } = c.check;
    const p = planFwmarks(vss, groups, new Map(), 1000);
    const up = (v: (typeof vss)[number]): VsStatus => ({
      rs: new Map(v.realServers.map((r) => [rsKey(v, r), { alive: true, weight: r.weight }])),
      quorumUp: true,
      liveWeight: 1,
    });
    const rows = vss.flatMap((v) => vsTable(v, groups, up(v), p.marks)).map((s) =>
      `${s.fwmark !== undefined ? `FWM ${s.fwmark} af ${s.af}` : `${s.protocol} ${s.addr}:${s.port}`} -> ${
        s.dests.map((d) => `${d.addr}:${d.port}${d.addrFamily ? `/af${d.addrFamily}` : ""}`).join(",")
      }`
    );
    expect(rows).toEqual([
      "FWM 1000 af 2 -> 127.0.0.2:8080",
      "FWM 1001 af 2 -> 127.0.0.3:0",
      "FWM 1002 af 10 -> ::1:8080",
      "6 192.0.2.40:80 -> 127.0.0.4:80",
      "FWM 7 af 2 -> 127.0.0.4:0",
      "FWM 1003 af 2 -> 127.0.0.5:0",
      "FWM 1003 af 10 -> 127.0.0.5:0/af2",
    ]);
    // Without nftables_ipvs every entry is its own service.
    expect(vsTable(vss[0]!, groups, up(vss[0]!)).map((s) => `${s.addr}:${s.port}`)).toEqual([
      "192.0.2.20:80",
      "192.0.2.21:80",
      "192.0.2.22:80",
      "192.0.2.30:8080",
    ]);
  });
});
