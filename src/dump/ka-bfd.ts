/** The configuration part of a `bfd_instance` block in keepalived 2.2.7's layout (`-d` and keepalived_bfd.data). */
import type { BfdInstance } from "../config/model.ts";

const yes = (b: boolean) => (b ? "Yes" : "No");

/** The configuration part of a `bfd_instance` block, as keepalived 2.2.7 writes it (also `-d`). */
export function bfdConfigLines(i: BfdInstance): string[] {
  return [
    ` BFD Instance = ${i.name}`,
    `   Neighbor IP = ${i.neighborIp ?? "(none)"}`,
    ...(i.sourceIp ? [`   Source IP = ${i.sourceIp}`] : []),
    `   Required min RX interval = ${Math.round(i.minRxMs * 1000)} us`,
    `   Desired min TX interval = ${Math.round(i.minTxMs * 1000)} us`,
    `   Desired idle TX interval = ${Math.round(i.idleTxMs * 1000)} us`,
    `   Detection multiplier = ${i.multiplier}`,
    `   TTL = ${i.ttl}`,
    `   max_hops = ${i.maxHops}`,
    `   passive = ${i.passive}`,
    `   send event to VRRP process = ${yes(i.toVrrp)}`,
    `   send event to checker process = ${yes(i.toChecker)}`,
  ];
}
