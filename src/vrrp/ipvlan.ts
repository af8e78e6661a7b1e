/**
 * use_ipvlan (keepalived.conf(5): "keepalived will create a mode L2 ipvlan interface on top of the
 * specified interface. For IPv4 instances, an IP address is required"), as keepalived 2.2.7 does it in the
 * VM (test/vm/tests/38-*): an ipvlan named `vrrp.<VRID>` (or the name given) on the instance's interface,
 * mode L2 with the bridge/private/vepa flag given (bridge by default), sharing the parent's MAC, brought
 * up, IPv6 off for an IPv4 instance, with the configured address: adverts leave from the ipvlan with
 * that source, while the VIPs (and their gratuitous ARPs) stay on the base interface, as keepalived
 * 2.2.7 was seen to do. No other sysctl is touched. Deleted when its instance stops ("Success removing VMAC
 * interface vrrp.51", keepalived's words).
 */
import type { Logger } from "../core/log.ts";
import { parsePrefix } from "../config/ip.ts";
import type { IpvlanRequest } from "../proto/rtnl-ipvlan.ts";
import type { LinkInfo, NetKernel } from "./netkernel.ts";
import { confPath, type SysctlJournal } from "./sysctl.ts";

/** What an instance asks for. */
export interface IpvlanSpec {
  instance: string;
  vrid: number;
  family: "ipv4" | "ipv6";
  name: string | null;
  /** "ADDR[/LEN]" (required for IPv4). */
  address: string | null;
  flags: IpvlanRequest["flags"];
  base: LinkInfo;
}

/** Creates and removes the ipvlans of use_ipvlan instances. */
export class IpvlanManager {
  readonly #ours = new Map<string, string>();

  constructor(readonly kernel: NetKernel, readonly sysctl: SysctlJournal, readonly log: Logger, readonly prefix = "vrrp") {}

  /** Makes sure the ipvlan exists, is up and holds its address; returns it, or why it cannot be. */
  ensure(s: IpvlanSpec): LinkInfo | string {
    const name = s.name ?? `${this.prefix}.${s.vrid}`;
    if (!this.kernel.addIpvlan) return "ipvlan interfaces cannot be made here";
    if (s.family === "ipv4" && !s.address) return "use_ipvlan needs an IPv4 address for an IPv4 instance";
    let link = this.kernel.dumpLinks().find((l) => l.name === name);
    if (link && (link.kind !== "ipvlan" || link.link !== s.base.index)) return `${name} exists and is not an ipvlan on ${s.base.name}`;
    if (!link) {
      try {
        this.kernel.addIpvlan({ name, parentIndex: s.base.index, flags: s.flags ?? "bridge" });
      } catch (e) {
        return `cannot create ${name}: ${(e as Error).message}`;
      }
      link = this.kernel.dumpLinks().find((l) => l.name === name);
      if (!link) return `${name} vanished after creation`;
      this.log.info(`(${s.instance}): Success creating ipvlan interface ${name}`);
    }
    this.#ours.set(name, s.instance);
    if (s.family === "ipv4") this.sysctl.set(confPath("ipv6", name, "disable_ipv6"), "1");
    try {
      this.kernel.setLinkUp(link.index, true);
      if (s.address) {
        const p = parsePrefix(s.address);
        if (!p) return `bad use_ipvlan address ${s.address}`;
        this.kernel.addAddr({ index: link.index, address: p.ip.text, prefixLen: p.len });
      }
    } catch (e) {
      return `cannot set up ${name}: ${(e as Error).message}`;
    }
    return { ...link, mac: link.mac || s.base.mac };
  }

  /** Deletes an ipvlan we created. */
  release(name: string): void {
    const instance = this.#ours.get(name);
    if (instance === undefined) return;
    this.#ours.delete(name);
    const link = this.kernel.dumpLinks().find((l) => l.name === name);
    if (link) {
      try {
        this.kernel.delLink(link.index);
        this.log.info(`(${instance}) Success removing VMAC interface ${name}`);
      } catch (e) {
        this.log.warn(`cannot remove ipvlan ${name}: ${(e as Error).message}`);
      }
    }
    this.sysctl.forget(`net/ipv6/conf/${name}/`);
  }

  /** Whether `name` is one of ours. */
  has(name: string): boolean {
    return this.#ours.has(name);
  }

  /** Removes every ipvlan we created (daemon stop). */
  releaseAll(): void {
    for (const name of [...this.#ours.keys()]) this.release(name);
  }
}
