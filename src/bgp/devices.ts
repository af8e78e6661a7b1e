/**
 * The parent's only writer for BGP announcements: non-persistent TUN devices (src/ffi/tun.ts) carrying
 * the announced prefixes as addresses, which FRR's zebra reports to bgpd as connected routes
 * (`redistribute connected route-map ...`, docs/bgp.md). Addresses are added with IFA_F_NOPREFIXROUTE so
 * the kernel installs no forwarding route through the device, and IFA_F_NODAD; their IFA_RT_PRIORITY
 * is the metric that zebra passes to bgpd (the MED). Tests use a fake implementing BgpNet.
 */
import { NETLINK_ROUTE, NetlinkSocket } from "../ffi/netlink.ts";
import { ifNameToIndex } from "../ffi/libc.ts";
import { openTun, type TunDevice } from "../ffi/tun.ts";
import { type AddrRequest, encodeAddrAdd, encodeAddrDel, IFA_F } from "../proto/rtnl-addr.ts";
import { encodeLinkSet } from "../proto/rtnl-link.ts";
import type { BgpPrefix } from "../config/model.ts";

/** One method per kernel operation of the announcer. */
export interface BgpNet {
  /** Creates the TUN device `name`, sets it up and returns its ifindex. */
  openDevice(name: string): number;
  /** Closes the device: the kernel deletes it and every address on it at once. */
  closeDevice(name: string): void;
  /** Adds the address, or with `replace` changes the metric of the existing one. */
  putAddr(index: number, p: BgpPrefix, metric: number, replace: boolean): void;
  /** Deletes the address; a missing one is not an error. */
  delAddr(index: number, p: BgpPrefix): void;
  /** Closes every device and the netlink socket. */
  close(): void;
}

function request(index: number, p: BgpPrefix, metric: number): AddrRequest {
  return {
    index,
    address: p.address,
    prefixLen: p.prefixLen,
    flags: IFA_F.NOPREFIXROUTE | IFA_F.NODAD,
    routePriority: metric,
  };
}

/** The real kernel: TUN devices and rtnetlink. */
export class TunBgpNet implements BgpNet {
  readonly #devices = new Map<string, TunDevice>();
  #nl: NetlinkSocket | undefined;

  #sock(): NetlinkSocket {
    return (this.#nl ??= new NetlinkSocket(NETLINK_ROUTE));
  }

  openDevice(name: string): number {
    const dev = openTun(name);
    try {
      const index = ifNameToIndex(name);
      const nl = this.#sock();
      const seq = nl.nextSeq();
      nl.request(encodeLinkSet({ index, up: true }, seq), seq, `set ${name} up`);
      this.#devices.set(name, dev);
      return index;
    } catch (e) {
      dev.close();
      throw e;
    }
  }

  closeDevice(name: string): void {
    this.#devices.get(name)?.close();
    this.#devices.delete(name);
  }

  putAddr(index: number, p: BgpPrefix, metric: number, replace: boolean): void {
    const nl = this.#sock();
    const seq = nl.nextSeq();
    const what = `${replace ? "change" : "add"} ${p.address}/${p.prefixLen} metric ${metric}`;
    try {
      nl.request(encodeAddrAdd(request(index, p, metric), seq, { replace }), seq, what);
    } catch (e) {
      if (replace || (e as { code?: string }).code !== "EEXIST") throw e;
      this.putAddr(index, p, metric, true);
    }
  }

  delAddr(index: number, p: BgpPrefix): void {
    const nl = this.#sock();
    const seq = nl.nextSeq();
    try {
      nl.request(encodeAddrDel(request(index, p, 0), seq), seq, `delete ${p.address}/${p.prefixLen}`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== "EADDRNOTAVAIL" && code !== "ENODEV" && code !== "ENOENT") throw e;
    }
  }

  close(): void {
    for (const name of [...this.#devices.keys()]) this.closeDevice(name);
    this.#nl?.close();
    this.#nl = undefined;
  }
}
