/**
 * use_vmac (keepalived.conf(5), RFC 5798 §7.3 virtual router MAC): a macvlan in private mode named
 * `vrrp.<VRID>` (or the name given; prefix from vmac_prefix) on the instance's interface, with MAC
 * 00:00:5e:00:01:<VRID> (00:00:5e:00:02:<VRID> for IPv6) unless one is given, brought up. Sysctls as
 * keepalived 2.2.7 sets them (read back from /proc/sys in namespaces): on the VMAC arp_ignore=1,
 * accept_local=1, rp_filter=0, promote_secondaries=1 and, for an IPv4 instance, IPv6 disabled (for an
 * IPv6 one addr_gen_mode=1, "addrgenmode none", and the base's link-local address copied onto it
 * with nodad and preferred_lft 0, as keepalived does; adverts are sent from it); on the base
 * interface arp_ignore=1 and arp_filter=1; net.ipv4.conf.all.rp_filter is cleared if set.
 * Difference: we restore the base interface's values when its last VMAC goes (keepalived 2.2.7 was seen
 * to leave them set after exit). The VMAC is deleted when its instance stops.
 */
import type { Family } from "../core/inet.ts";
import type { Logger } from "../core/log.ts";
import { vmacAddress } from "../proto/rtnl-link.ts";
import { MACVLAN_MODE } from "../proto/rtnl-link.ts";
import type { LinkInfo, NetKernel } from "./netkernel.ts";
import { confPath, type SysctlJournal } from "./sysctl.ts";

/** What an instance asks for. */
export interface VmacRequest {
  vrid: number;
  family: Family;
  /** Interface name; null = `${prefix}.${vrid}`. */
  name: string | null;
  /** MAC; null = the RFC 5798 virtual router MAC. */
  mac: string | null;
  base: LinkInfo;
}

/** Creates, reuses and removes VMAC interfaces. */
export class VmacManager {
  /** VMAC name -> base ifindex, for the ones we created. */
  readonly #ours = new Map<string, LinkInfo>();

  constructor(readonly kernel: NetKernel, readonly sysctl: SysctlJournal, readonly log: Logger, readonly prefix = "vrrp") {}

  /** The interface name a request gets. */
  nameOf(r: Pick<VmacRequest, "vrid" | "name">): string {
    return r.name ?? `${this.prefix}.${r.vrid}`;
  }

  /** Makes sure the VMAC exists and is up; returns it, or a reason it cannot be. */
  ensure(r: VmacRequest): LinkInfo | string {
    const name = this.nameOf(r);
    const mac = (r.mac ?? vmacAddress(r.vrid, r.family === "ipv6" ? 10 : 2)).toLowerCase();
    let link = this.kernel.dumpLinks().find((l) => l.name === name);
    if (link && (link.kind !== "macvlan" || link.link !== r.base.index)) {
      return `${name} exists and is not a macvlan on ${r.base.name}`;
    }
    if (!link) {
      try {
        this.kernel.addMacvlan({ name, parentIndex: r.base.index, mac, mode: MACVLAN_MODE.PRIVATE });
      } catch (e) {
        return `cannot create ${name}: ${(e as Error).message}`;
      }
      link = this.kernel.dumpLinks().find((l) => l.name === name);
      if (!link) return `${name} vanished after creation`;
      this.log.info(`VMAC ${name} created on ${r.base.name} with MAC ${mac}`);
    }
    this.#ours.set(name, r.base);
    this.#tune(name, r);
    try {
      this.kernel.setLinkUp(link.index, true);
    } catch (e) {
      return `cannot bring ${name} up: ${(e as Error).message}`;
    }
    return { ...link, mac: link.mac || mac };
  }

  #tune(name: string, r: VmacRequest): void {
    const s = this.sysctl;
    s.set(confPath("ipv4", name, "arp_ignore"), "1");
    s.set(confPath("ipv4", name, "accept_local"), "1");
    s.set(confPath("ipv4", name, "rp_filter"), "0");
    s.set(confPath("ipv4", name, "promote_secondaries"), "1");
    if (r.family === "ipv4") s.set(confPath("ipv6", name, "disable_ipv6"), "1");
    // IPv6: no kernel-generated link-local (addrgenmode none); the runtime gives the VMAC a copy of the
    // base's link-local address instead, as keepalived does, so adverts keep their source address.
    else s.set(confPath("ipv6", name, "addr_gen_mode"), "1");
    s.set(confPath("ipv4", r.base.name, "arp_ignore"), "1");
    s.set(confPath("ipv4", r.base.name, "arp_filter"), "1");
    if (s.sys.read(confPath("ipv4", "all", "rp_filter")) !== "0") s.set(confPath("ipv4", "all", "rp_filter"), "0");
  }

  /** Deletes a VMAC we created; restores its base's settings when it was the base's last one. */
  release(name: string): void {
    const base = this.#ours.get(name);
    if (!base) return;
    this.#ours.delete(name);
    const link = this.kernel.dumpLinks().find((l) => l.name === name);
    if (link) {
      try {
        this.kernel.delLink(link.index);
        this.log.info(`VMAC ${name} removed`);
      } catch (e) {
        this.log.warn(`cannot remove VMAC ${name}: ${(e as Error).message}`);
      }
    }
    this.sysctl.forget(`net/ipv4/conf/${name}/`);
    this.sysctl.forget(`net/ipv6/conf/${name}/`);
    if (![...this.#ours.values()].some((b) => b.index === base.index)) {
      this.sysctl.restore(`net/ipv4/conf/${base.name}/`);
    }
    if (this.#ours.size === 0) this.sysctl.restore("net/ipv4/conf/all/");
  }

  /** Removes every VMAC we created (daemon stop). */
  releaseAll(): void {
    for (const name of [...this.#ours.keys()]) this.release(name);
  }
}
