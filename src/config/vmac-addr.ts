/**
 * VMACs for addresses (keepalived.conf(5) `use_vmac` on a virtual_ipaddress / _excluded entry, and the
 * instance's `use_vmac_addr`): such an address goes on a macvlan with the virtual router MAC made on its
 * own interface (its `dev`, else the instance's). use_vmac_addr gives one to every address whose `dev` is
 * another interface than the instance's, and to every excluded address of the other family. Names, as
 * keepalived 2.2.7 gives them (seen in namespaces): `vmac_addr_prefix` (default: vmac_prefix), then `6`
 * for IPv6, then a number counting the family's earlier VMACs of the instance (none for the first), then
 * `.VRID` — vrrp.51, vrrp1.51, vrrp6.51. Addresses of one family on one interface share a VMAC.
 */
import type { Family } from "../core/inet.ts";
import type { IpAddressSpec } from "./model.ts";

/** What the naming needs of the instance. */
export interface AddrVmacContext {
  readonly vrid: number;
  /** The instance's interface. */
  readonly interface: string | null;
  readonly family: Family | null;
  /** The instance itself is on a VMAC (use_vmac): its addresses without `dev` are there already. */
  readonly instanceVmac: boolean;
  readonly useVmacAddr: boolean;
  readonly prefix: string;
}

/** The entries with `useVmac` and `vmacName` set where they get a VMAC. */
export function withAddrVmacs(
  vips: readonly IpAddressSpec[],
  evips: readonly IpAddressSpec[],
  c: AddrVmacContext,
): { vips: IpAddressSpec[]; evips: IpAddressSpec[] } {
  const names = new Map<string, string>();
  const count: Record<Family, number> = { ipv4: 0, ipv6: 0 };
  const place = (v: IpAddressSpec, excluded: boolean): IpAddressSpec => {
    const base = v.dev ?? c.interface;
    const other = (v.dev !== null && v.dev !== c.interface) || (excluded && c.family !== null && v.family !== c.family);
    const wanted = v.useVmac ? v.dev !== null || !c.instanceVmac : c.useVmacAddr && other;
    if (!wanted || base === null) return v.useVmac ? { ...v, useVmac: false } : v;
    const key = `${v.family}|${base}`;
    let name = v.vmacName ?? names.get(key);
    if (!name) {
      const n = count[v.family]++;
      name = `${c.prefix}${v.family === "ipv6" ? "6" : ""}${n ? n : ""}.${c.vrid}`;
      names.set(key, name);
    }
    return { ...v, useVmac: true, vmacName: name };
  };
  return { vips: vips.map((v) => place(v, false)), evips: evips.map((v) => place(v, true)) };
}
