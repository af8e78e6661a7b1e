/**
 * IPVS traffic counters for /metrics, read from the kernel's statistics (the 64-bit IPVS_*_ATTR_STATS64
 * block where the kernel has it, else the 32-bit one; src/proto/ipvs-parse.ts): per virtual and real
 * server, connections, packets and bytes in and out (counters) and their rates (gauges), under our names,
 * and with `metrics_compat gen2brain` under gen2brain/keepalived_exporter's `keepalived_lvs_*` names.
 * The check child reads the table when it reports (every 5 s while /metrics is served), never on a
 * checker's path.
 */
import type { MetricsCompat } from "../config/model.ts";
import type { MetricSample } from "../core/ipc.ts";
import type { IpvsDest, IpvsService, IpvsStats } from "../proto/ipvs.ts";
import { counter, gauge } from "./exposition.ts";

/** A service with its destinations as read from the kernel. */
export interface IpvsStatsEntry {
  readonly service: IpvsService;
  readonly dests: readonly IpvsDest[];
}

const PROTO: Readonly<Record<number, string>> = { 6: "TCP", 17: "UDP", 132: "SCTP" };

/** Our display name of a kernel service: `[ADDR]:PORT` or `FWM N` (as src/alert/names.ts names them). */
export function serviceName(s: IpvsService): string {
  return s.fwmark ? `FWM ${s.fwmark}` : `[${s.addr ?? ""}]:${s.port ?? 0}`;
}

const COUNTERS: readonly [keyof IpvsStats, string, string][] = [
  ["conns", "connections_total", "Connections scheduled"],
  ["inPkts", "in_packets_total", "Packets in"],
  ["outPkts", "out_packets_total", "Packets out"],
  ["inBytes", "in_bytes_total", "Bytes in"],
  ["outBytes", "out_bytes_total", "Bytes out"],
];
const RATES: readonly [keyof IpvsStats, string, string][] = [
  ["cps", "connections_per_second", "Connection rate (kernel estimate)"],
  ["inPps", "in_packets_per_second", "Packet rate in (kernel estimate)"],
  ["outPps", "out_packets_per_second", "Packet rate out (kernel estimate)"],
  ["inBps", "in_bytes_per_second", "Byte rate in (kernel estimate)"],
  ["outBps", "out_bytes_per_second", "Byte rate out (kernel estimate)"],
];

function own(prefix: string, what: string, l: Record<string, string>, st: IpvsStats, out: MetricSample[]): void {
  for (const [k, n, h] of COUNTERS) out.push(counter(`${prefix}_${n}`, `${h} (${what})`, l, st[k]));
  for (const [k, n, h] of RATES) out.push(gauge(`${prefix}_${n}`, `${h} (${what})`, l, st[k]));
}

/** gen2brain's address label: `ADDR:PORT` as Go prints it (IPv6 unbracketed), `FWM N` for a fwmark service. */
function g2bAddr(addr: string | undefined, port: number | undefined, fwmark?: number): string {
  return fwmark ? `FWM ${fwmark}` : `${addr ?? ""}:${port ?? 0}`;
}

function g2b(kind: "vip" | "rs", l: Record<string, string>, st: IpvsStats, out: MetricSample[]): void {
  const what = kind === "vip" ? "VIP" : "RS";
  out.push(
    counter(`keepalived_lvs_${kind}_in_packets`, `${what} in packets`, l, st.inPkts),
    counter(`keepalived_lvs_${kind}_out_packets`, `${what} out packets`, l, st.outPkts),
    counter(`keepalived_lvs_${kind}_in_bytes`, `${what} in bytes`, l, st.inBytes),
    counter(`keepalived_lvs_${kind}_out_bytes`, `${what} out bytes`, l, st.outBytes),
    counter(`keepalived_lvs_${kind}_conn`, `${what} connections`, l, st.conns),
  );
}

/** The samples for a table read from the kernel. */
export function ipvsSamples(table: readonly IpvsStatsEntry[], compat: readonly MetricsCompat[] = []): MetricSample[] {
  const out: MetricSample[] = [];
  for (const { service: s, dests } of table) {
    const vs = serviceName(s);
    const protocol = s.fwmark ? "FWM" : PROTO[s.protocol ?? 0] ?? String(s.protocol ?? 0);
    if (s.stats) own("keepalived_ipvs_virtual_server", "virtual server", { virtual_server: vs, protocol }, s.stats, out);
    const vip = g2bAddr(s.addr, s.port, s.fwmark);
    const proto = String(s.fwmark ? 0 : s.protocol ?? 0);
    if (s.stats && compat.includes("gen2brain")) g2b("vip", { addr: vip, proto }, s.stats, out);
    for (const d of dests) {
      if (!d.stats) continue;
      const rs = `[${d.addr}]:${d.port}`;
      own("keepalived_ipvs_real_server", "real server", { virtual_server: vs, real_server: rs }, d.stats, out);
      if (compat.includes("gen2brain")) g2b("rs", { vip, addr: g2bAddr(d.addr, d.port), proto }, d.stats, out);
    }
  }
  return out;
}
