/**
 * use_vmac wiring for the instances (the links themselves: src/vrrp/vmac.ts): an instance gets its VMAC
 * when it starts (added to the interface view and to the firewall's VMAC rules), an IPv6 one the base's
 * link-local address to send adverts from, and the VMAC goes when the instance stops; so do the VMACs
 * of its addresses (use_vmac on an address, use_vmac_addr). use_ipvlan makes an
 * L2 ipvlan instead (src/vrrp/ipvlan.ts).
 */
import type { VrrpInstance } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { IFA_F } from "../proto/rtnl-addr.ts";
import type { NftFirewall } from "./firewall.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import type { LinkInfo, NetKernel } from "./netkernel.ts";
import { IGMP_REPORTS, IGMP_SAVED_ENV, procSysctl, type Sysctl, SysctlJournal } from "./sysctl.ts";
import { VmacManager } from "./vmac.ts";
import { IpvlanManager } from "./ipvlan.ts";

/** What the wiring works with. */
export interface InstanceVmacDeps {
  kernel: NetKernel;
  log: Logger;
  firewall: NftFirewall;
  /** The interface view, where a new VMAC is added. */
  links: Map<number, LinkInfo>;
  /** /proc/sys access. @default /proc/sys */
  sysctl?: Sysctl;
  /** IGMP_REPORTS before any VRRP child set it. @default from the parent (IGMP_SAVED_ENV), else the value found */
  igmpSaved?: string;
}

/** The instances' VMACs. */
export class InstanceVmacs {
  #vmacs: VmacManager | undefined;
  #ipvlans: IpvlanManager | undefined;
  #igmp: SysctlJournal | undefined;

  constructor(readonly d: InstanceVmacDeps) {}

  /** The instance's VMAC (created if needed), undefined without use_vmac, or why it cannot be made. */
  ensure(
    cfg: VrrpInstance,
    prefix: string,
    base: LinkInfo,
    family: "ipv4" | "ipv6",
  ): LinkInfo | string | undefined {
    this.#addrVmacs(cfg, prefix, base);
    if (!cfg.vmac) return undefined;
    if (cfg.vmac.ipvlan) return this.#ipvlan(cfg, prefix, base, family);
    const r = this.#manager(prefix).ensure({ vrid: cfg.vrid, family, name: cfg.vmac.name, mac: cfg.vmac.mac, base });
    if (typeof r !== "string") {
      this.d.links.set(r.index, r);
      this.d.firewall.addVmac(cfg.name, family, r.index, base.index);
    }
    return r;
  }

  #manager(prefix: string): VmacManager {
    this.#vmacs ??= new VmacManager(this.d.kernel, new SysctlJournal(this.d.sysctl ?? procSysctl, this.d.log), this.d.log, prefix);
    return this.#vmacs;
  }

  /**
   * The VMACs of the instance's addresses (use_vmac on an address, use_vmac_addr; names from the
   * configuration, src/config/vmac-addr.ts): each on its address's `dev`, else on the instance's interface.
   * One that cannot be made is logged; its address then fails to go on as the kernel says.
   */
  #addrVmacs(cfg: VrrpInstance, prefix: string, base: LinkInfo): void {
    const made = new Set<string>();
    for (const v of [...cfg.virtualIpaddresses, ...cfg.virtualIpaddressesExcluded]) {
      if (!v.useVmac || !v.vmacName || made.has(v.vmacName)) continue;
      made.add(v.vmacName);
      const on = v.dev ? [...this.d.links.values()].find((l) => l.name === v.dev) : base;
      if (!on) {
        this.d.log.error(`(${cfg.name}) use_vmac for ${v.address}: interface ${v.dev} does not exist`);
        continue;
      }
      const r = this.#manager(prefix).ensure({ vrid: cfg.vrid, family: v.family, name: v.vmacName, mac: null, base: on });
      if (typeof r === "string") this.d.log.error(`(${cfg.name}) use_vmac for ${v.address}: ${r}`);
      else {
        this.d.log.info(`(${cfg.name}) VMAC ${r.name} for its addresses on ${on.name}`);
        this.d.links.set(r.index, r);
        // As keepalived 2.2.7: an IPv6 one carries a copy of its base's link-local address.
        const ll = v.family === "ipv6" ? this.d.kernel.dumpAddrs().find((a) => a.index === on.index && /^fe80:/i.test(a.address)) : undefined;
        if (ll) this.copyLinkLocal(cfg, r, ll.address);
      }
    }
  }

  #ipvlan(cfg: VrrpInstance, prefix: string, base: LinkInfo, family: "ipv4" | "ipv6"): LinkInfo | string {
    const v = cfg.vmac!;
    this.#ipvlans ??= new IpvlanManager(this.d.kernel, new SysctlJournal(this.d.sysctl ?? procSysctl, this.d.log), this.d.log, prefix);
    const mode = v.ipvlanMode === "private" || v.ipvlanMode === "vepa" ? v.ipvlanMode : "bridge";
    const r = this.#ipvlans.ensure({ instance: cfg.name, vrid: cfg.vrid, family, name: v.name, address: v.ipvlanAddress, flags: mode, base });
    if (typeof r !== "string") this.d.links.set(r.index, r);
    return r;
  }

  /** An IPv6 VMAC gets the base's link-local address (nodad, deprecated) to send adverts from. */
  copyLinkLocal(cfg: VrrpInstance, vmac: LinkInfo, src: string): void {
    if (!src.toLowerCase().startsWith("fe80:")) return;
    try {
      this.d.kernel.addAddr({
        index: vmac.index,
        address: src,
        prefixLen: 64,
        scope: 253,
        flags: IFA_F.NODAD,
        preferredLft: 0,
      });
    } catch (e) {
      this.d.log.error(`(${cfg.name}) cannot add ${src} to ${vmac.name}: ${(e as Error).message}`);
    }
  }

  /** A stopped instance's VMAC goes, with its firewall rules. */
  release(r: VrrpInstanceRunner): void {
    if (r.cfg.vmac?.ipvlan) this.#ipvlans?.release(r.place.ifname);
    else if (r.cfg.vmac && this.#vmacs) this.#vmacs.release(r.place.ifname);
    for (const v of [...r.cfg.virtualIpaddresses, ...r.cfg.virtualIpaddressesExcluded]) {
      if (v.useVmac && v.vmacName) this.#vmacs?.release(v.vmacName);
    }
    this.d.firewall.removeVmac(r.cfg.name);
  }

  /**
   * disable_local_igmp: net.ipv4.igmp_link_local_mcast_reports=0 while the configuration asks for it (no
   * IGMP reports for 224.0.0.0/24 groups, the VRRP group among them, from the VMACs or anything else), the
   * old value put back when it no longer does and at stop — as keepalived 2.2.7 does, VMACs or not. The
   * old value is the one the parent saw before any child set it: a child restarted after a SIGKILL finds 0
   * (keepalived 2.2.7 then takes 0 for the old value and leaves reports off for good; we do not).
   */
  localIgmp(disable: boolean): void {
    this.#igmp ??= new SysctlJournal(this.d.sysctl ?? procSysctl, this.d.log);
    if (disable) this.#igmp.set(IGMP_REPORTS, "0", this.d.igmpSaved ?? process.env[IGMP_SAVED_ENV]);
    else this.#igmp.restore();
  }

  /** Every VMAC we made goes (child stop), and the IGMP setting comes back. */
  releaseAll(): void {
    this.#igmp?.restore();
    this.#vmacs?.releaseAll();
    this.#ipvlans?.releaseAll();
  }
}
