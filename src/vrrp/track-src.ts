/**
 * `track_src_ip` (keepalived.conf(5): "if the configured src_ip doesn't exist or is removed put the
 * instance into fault state"): an instance with a configured source address (`unicast_src_ip`, else
 * `mcast_src_ip`) is FAULT while no interface holds that address, and leaves FAULT when it is back.
 * keepalived 2.2.7, run in a namespace, was seen not to do this: deleting the configured source address
 * (even the interface's last IPv4 address) left it MASTER, and an instance started without the address
 * is FAULT ("src address not configured") with or without track_src_ip and stays FAULT after the address
 * is added. We follow the manual; docs/vrrp.md lists the difference.
 */
import type { VrrpInstance } from "../config/model.ts";
import { bytesToIpv6, ipv6ToBytes } from "../proto/ipv6.ts";
import type { AddrInfo } from "./netkernel.ts";

const canon = (a: string): string => {
  const v6 = a.includes(":") ? ipv6ToBytes(a) : undefined;
  return v6 ? bytesToIpv6(v6) : a;
};

/** The FAULT reason for `cfg` when it tracks a source address no interface holds, else undefined. */
export function missingSrc(cfg: Pick<VrrpInstance, "trackSrcIp" | "unicastSrcIp" | "mcastSrcIp">, addrs: readonly AddrInfo[]): string | undefined {
  const src = cfg.trackSrcIp ? cfg.unicastSrcIp ?? cfg.mcastSrcIp : null;
  if (!src) return undefined;
  const want = canon(src);
  if (addrs.some((a) => canon(a.address) === want)) return undefined;
  return `source address ${src} is not configured (track_src_ip)`;
}
