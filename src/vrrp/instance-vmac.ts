/**
 * use_vmac wiring for the instances (the links themselves: src/vrrp/vmac.ts): an instance gets its VMAC
 * when it starts (added to the interface view and to the firewall's VMAC rules), an IPv6 one the base's
 * link-local address to send adverts from, and the VMAC goes when the instance stops. use_ipvlan makes an
 * L2 ipvlan instead (src/vrrp/ipvlan.ts).
 */
import type { VrrpInstance } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { IFA_F } from "../proto/rtnl-addr.ts";
import type { NftFirewall } from "./firewall.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import type { LinkInfo, NetKernel } from "./netkernel.ts";
import { procSysctl, type Sysctl, SysctlJournal } from "./sysctl.ts";
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
}

/** The instances' VMACs. */
export class InstanceVmacs {
  #vmacs: VmacManager | undefined;
  #ipvlans: IpvlanManager | undefined;

  constructor(readonly d: InstanceVmacDeps) {}

  /** The instance's VMAC (created if needed), undefined without use_vmac, or why it cannot be made. */
  ensure(
    cfg: VrrpInstance,
    prefix: string,
    base: LinkInfo,
    family: "ipv4" | "ipv6",
  ): LinkInfo | string | undefined {
    if (!cfg.vmac) return undefined;
    if (cfg.vmac.ipvlan) return this.#ipvlan(cfg, prefix, base, family);
    this.#vmacs ??= new VmacManager(
      this.d.kernel,
      new SysctlJournal(this.d.sysctl ?? procSysctl, this.d.log),
      this.d.log,
      prefix,
    );
    const r = this.#vmacs.ensure({ vrid: cfg.vrid, family, name: cfg.vmac.name, mac: cfg.vmac.mac, base });
    if (typeof r !== "string") {
      this.d.links.set(r.index, r);
      this.d.firewall.addVmac(cfg.name, family, r.index, base.index);
    }
    return r;
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
    this.d.firewall.removeVmac(r.cfg.name);
  }

  /** Every VMAC we made goes (child stop). */
  releaseAll(): void {
    this.#vmacs?.releaseAll();
    this.#ipvlans?.releaseAll();
  }
}
