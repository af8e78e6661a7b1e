/**
 * `garp_extra_if [all] SECS` (per instance) and its global default `vrrp_garp_extra_if [all] SECS`
 * (keepalived.conf(5)): while MASTER, every SECS one gratuitous ARP / unsolicited NA per VIP on an
 * interface other than the instance's own, so switches keep those interfaces' MACs in their caches.
 * keepalived 2.2.7, run in a namespace with tcpdump on the peer: with `all`, a VIP on eth1 of an
 * instance on eth0 (or on its VMAC) was announced every SECS, one frame, from eth1's own MAC, the first
 * SECS after the MASTER transition; the instance's own interface got only the usual rounds. Without
 * `all` only VMAC interfaces other than the instance's qualify: the VMACs of addresses (use_vmac on
 * the address, use_vmac_addr).
 */
import type { IpAddressSpec, VrrpInstance } from "../config/model.ts";
import { addrDev } from "./addr-dev.ts";

/** The VIPs that get periodic announcements: those on another interface than `ownIfindex`, with `all`. */
export function extraIfVips(
  cfg: Pick<VrrpInstance, "garpExtraIf" | "virtualIpaddresses">,
  ownIfindex: number,
  ifindex: (name: string) => number,
): IpAddressSpec[] {
  const x = cfg.garpExtraIf;
  if (!x || x.delayMs <= 0) return [];
  return cfg.virtualIpaddresses.filter((v) => {
    const dev = addrDev(v);
    const i = dev ? ifindex(dev) : 0;
    return i > 0 && i !== ownIfindex && (x.all || v.vmacName !== null && v.useVmac);
  });
}
