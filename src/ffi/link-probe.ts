/**
 * Link state read by ioctl, for linkbeat polling (keepalived.conf(5) "Linkbeat interfaces"): MII
 * (SIOCGMIIPHY, then SIOCGMIIREG of the PHY's basic mode status register, BMSR_LSTATUS; linux/mii.h),
 * ETHTOOL (SIOCETHTOOL ETHTOOL_GLINK; linux/ethtool.h) or IOCTL (SIOCGIFFLAGS: IFF_UP and IFF_RUNNING;
 * netdevice(7)). `read` skips a type the driver does not support for the next one, MII -> ETHTOOL ->
 * IOCTL; `probe` reads one type (linkbeat chooses it, src/vrrp/linkbeat.ts). One AF_INET datagram socket is opened for the calls, in the caller's namespace.
 */
import { addressOf, check, cstr, libc } from "./libc.ts";

const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913, SIOCETHTOOL = 0x8946, SIOCGMIIPHY = 0x8947, SIOCGMIIREG = 0x8948;
const ETHTOOL_GLINK = 0x0000000a;
const MII_BMSR = 1, BMSR_LSTATUS = 0x0004;
const IFF_UP = 0x1, IFF_RUNNING = 0x40;
/** sizeof(struct ifreq) on 64-bit Linux. */
const IFREQ = 40;
const IFNAMSIZ = 16;

/** The ways of reading a link's state, in keepalived's order of preference. */
export type LinkbeatKind = "MII" | "ETHTOOL" | "IOCTL";
/** Every kind, preferred first. */
export const LINKBEAT_KINDS: readonly LinkbeatKind[] = ["MII", "ETHTOOL", "IOCTL"];

/** One reading: the link's state and the kind that gave it. */
export interface LinkReading {
  up: boolean;
  kind: LinkbeatKind;
}

/** Reads link states by ioctl. */
export class LinkProbe {
  readonly #fd: number;
  #open = true;

  constructor() {
    this.#fd = check("socket AF_INET (linkbeat)", libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }

  /** The state of `name` by the first kind from `prefer` on that works; undefined when none does (no such interface). */
  read(name: string, prefer: LinkbeatKind = "MII"): LinkReading | undefined {
    if (!this.#open || name.length === 0 || name.length >= IFNAMSIZ) return undefined;
    for (const kind of LINKBEAT_KINDS.slice(LINKBEAT_KINDS.indexOf(prefer))) {
      const up = kind === "MII" ? this.#mii(name) : kind === "ETHTOOL" ? this.#ethtool(name) : this.#flags(name);
      if (up !== undefined) return { up, kind };
    }
    return undefined;
  }

  /**
   * The state of `name` by exactly `kind`, undefined when that kind does not work there (or no such
   * interface). As keepalived 2.2.7 polls: MII and ETHTOOL report up only when SIOCGIFFLAGS does too.
   */
  probe(name: string, kind: LinkbeatKind): boolean | undefined {
    if (!this.#open || name.length === 0 || name.length >= IFNAMSIZ) return undefined;
    const link = kind === "MII" ? this.#mii(name) : kind === "ETHTOOL" ? this.#ethtool(name) : true;
    if (link === undefined) return undefined;
    const flags = this.#flags(name);
    return flags === undefined ? undefined : link && flags;
  }

  #ifreq(name: string): Uint8Array {
    const ifr = new Uint8Array(IFREQ);
    ifr.set(cstr(name).subarray(0, name.length), 0);
    return ifr;
  }

  #mii(name: string): boolean | undefined {
    const ifr = this.#ifreq(name);
    if (Number(libc.ioctl(this.#fd, SIOCGMIIPHY, ifr)) < 0) return undefined;
    const v = new DataView(ifr.buffer);
    v.setUint16(18, MII_BMSR, true); // struct mii_ioctl_data { phy_id, reg_num, val_in, val_out } at 16
    // The link status bit latches low: the first read reports a past failure, the second the present.
    if (Number(libc.ioctl(this.#fd, SIOCGMIIREG, ifr)) < 0) return undefined;
    if (Number(libc.ioctl(this.#fd, SIOCGMIIREG, ifr)) < 0) return undefined;
    return (v.getUint16(22, true) & BMSR_LSTATUS) !== 0;
  }

  #ethtool(name: string): boolean | undefined {
    const ifr = this.#ifreq(name);
    const ev = new Uint8Array(8); // struct ethtool_value { u32 cmd; u32 data }
    const e = new DataView(ev.buffer);
    e.setUint32(0, ETHTOOL_GLINK, true);
    new DataView(ifr.buffer).setBigUint64(16, BigInt(addressOf(ev)), true); // ifr_data
    if (Number(libc.ioctl(this.#fd, SIOCETHTOOL, ifr)) < 0) return undefined;
    return e.getUint32(4, true) !== 0;
  }

  #flags(name: string): boolean | undefined {
    const ifr = this.#ifreq(name);
    if (Number(libc.ioctl(this.#fd, SIOCGIFFLAGS, ifr)) < 0) return undefined;
    const f = new DataView(ifr.buffer).getUint16(16, true);
    return (f & IFF_UP) !== 0 && (f & IFF_RUNNING) !== 0;
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    libc.close(this.#fd);
  }
}
