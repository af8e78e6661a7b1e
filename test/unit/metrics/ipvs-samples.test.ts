/** IPVS counters on /metrics: our names per virtual and real server, and gen2brain's keepalived_lvs_*. */
import { describe, expect, test } from "bun:test";
import { renderExposition } from "../../../src/metrics/exposition.ts";
import { ipvsSamples, serviceName } from "../../../src/metrics/ipvs-samples.ts";
import type { IpvsDest, IpvsStats } from "../../../src/proto/ipvs.ts";
import type { IpvsStatsEntry } from "../../../src/metrics/ipvs-samples.ts";
import { parseExposition, valueOf } from "../../support/metrics/prom-strict.ts";

const st = (n: number): IpvsStats => ({
  conns: n,
  inPkts: 10 * n,
  outPkts: 9 * n,
  inBytes: 1000 * n,
  outBytes: 900 * n,
  cps: 1,
  inPps: 2,
  outPps: 3,
  inBps: 4,
  outBps: 5,
});
const dest = (addr: string, weight: number, stats: IpvsStats): IpvsDest => ({ addr, port: 8080, fwd: "masq", weight, uThresh: 0, lThresh: 0, stats });
const table: IpvsStatsEntry[] = [
  {
    service: { af: 2, protocol: 6, addr: "192.0.2.10", port: 80, sched: "rr", flags: 0, timeout: 0, netmask: 0xffffffff, stats: st(3) },
    dests: [dest("127.0.0.2", 3, st(2)), dest("127.0.0.3", 1, st(1))],
  },
  { service: { af: 2, fwmark: 7, sched: "wlc", flags: 0, timeout: 0, netmask: 0xffffffff, stats: st(0) }, dests: [] },
];

describe("IPVS samples", () => {
  test("our names: counters and rates per virtual server (with protocol) and real server", () => {
    const f = parseExposition(renderExposition([ipvsSamples(table)]));
    const vs = { virtual_server: "[192.0.2.10]:80", protocol: "TCP" };
    expect(valueOf(f, "keepalived_ipvs_virtual_server_connections_total", vs)).toBe(3);
    expect(valueOf(f, "keepalived_ipvs_virtual_server_in_bytes_total", vs)).toBe(3000);
    expect(valueOf(f, "keepalived_ipvs_virtual_server_out_packets_per_second", vs)).toBe(3);
    expect(valueOf(f, "keepalived_ipvs_real_server_in_packets_total", { virtual_server: "[192.0.2.10]:80", real_server: "[127.0.0.3]:8080" })).toBe(10);
    expect(valueOf(f, "keepalived_ipvs_virtual_server_connections_total", { virtual_server: "FWM 7", protocol: "FWM" })).toBe(0);
    expect(f.find((x) => x.name === "keepalived_ipvs_virtual_server_connections_total")!.type).toBe("counter");
    expect(f.find((x) => x.name === "keepalived_ipvs_virtual_server_connections_per_second")!.type).toBe("gauge");
    expect(f.some((x) => x.name.startsWith("keepalived_lvs_"))).toBe(false);
  });

  test("gen2brain: keepalived_lvs_vip_* {addr,proto} and keepalived_lvs_rs_* {vip,addr,proto}", () => {
    const f = parseExposition(renderExposition([ipvsSamples(table, ["gen2brain"])]));
    expect(valueOf(f, "keepalived_lvs_vip_conn", { addr: "192.0.2.10:80", proto: "6" })).toBe(3);
    expect(valueOf(f, "keepalived_lvs_vip_out_bytes", { addr: "192.0.2.10:80", proto: "6" })).toBe(2700);
    expect(valueOf(f, "keepalived_lvs_rs_in_packets", { vip: "192.0.2.10:80", addr: "127.0.0.2:8080", proto: "6" })).toBe(20);
    expect(f.find((x) => x.name === "keepalived_lvs_rs_conn")!.type).toBe("counter");
  });

  test("service names", () => {
    expect(serviceName({ af: 10, protocol: 6, addr: "2001:db8::1", port: 443, sched: "rr", flags: 0, timeout: 0, netmask: 128 })).toBe("[2001:db8::1]:443");
  });
});
