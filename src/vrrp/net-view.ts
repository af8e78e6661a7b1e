/**
 * The VRRP child's view of the interfaces and addresses (from an rtnetlink dump, then kept current by
 * link, address and route events), and what those events mean to the instances: a link going up or
 * down (after interface_up_down_delays, src/vrrp/link-debounce.ts) or removed changes trackers and
 * FAULT states; a new address may let a failed socket open; a deleted route or static entry is
 * restored by its owner, a deleted VIP makes its MASTER resign and re-elect (src/vrrp/instance.ts). Interfaces in linkbeat_interfaces (and instance interfaces under
 * linkbeat_use_polling) take their up/down from polling (src/vrrp/linkbeat.ts), not from link events.
 */
import type { InterfaceDelay } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler } from "../core/scheduler.ts";
import { IFA_F } from "../proto/rtnl-addr.ts";
import { LinkDebounce } from "./link-debounce.ts";
import { Linkbeat, type LinkRead } from "./linkbeat.ts";
import { type LinkbeatKind, LinkProbe } from "../ffi/link-probe.ts";
import type { AddrInfo, LinkInfo, NetEvent, NetKernel, RouteGone } from "./netkernel.ts";

/** What the runtime does about kernel events. */
export interface NetViewEvents {
  /** A link went up, down or away (as the instances see it): trackers and FAULT states may change. */
  linkChanged(): void;
  /** Something changed that may let a failed socket open (src/vrrp/socket-faults.ts kick). */
  retrySockets(): void;
  /** Someone else deleted a route. */
  routeDeleted(route: RouteGone): void;
  /** An address appeared or changed. */
  addrAdded(a: AddrInfo): void;
  /** Someone else deleted an address. */
  addrDeleted(a: AddrInfo): void;
}

/** Links by ifindex and addresses, as the instances see them. */
export class NetView {
  readonly links = new Map<number, LinkInfo>();
  readonly #addrs: AddrInfo[] = [];
  readonly #debounce: LinkDebounce;
  readonly #linkbeat: Linkbeat;
  #subscribed = false;

  /** @param linkRead reads link states for linkbeat polling (tests pass a fake). @default ioctl (src/ffi/link-probe.ts) */
  constructor(
    readonly kernel: NetKernel,
    sched: Scheduler,
    readonly log: Logger,
    readonly events: NetViewEvents,
    linkRead?: LinkRead,
  ) {
    this.#debounce = new LinkDebounce(sched, log);
    const makeReader = (): LinkRead => {
      if (linkRead) return linkRead;
      const probe = new LinkProbe(); // one socket for the child's life, opened only when linkbeat is used
      return (n, kind) => probe.probe(n, kind);
    };
    this.#linkbeat = new Linkbeat(sched, log, makeReader, (n, up) => this.#linkbeatChanged(n, up));
  }

  /** The addresses on every interface (track_src_ip). */
  get addrs(): readonly AddrInfo[] {
    return this.#addrs;
  }

  /**
   * Re-reads links and addresses (every configuration) and subscribes to events the first time.
   * @param polled interfaces whose state comes from linkbeat polling
   */
  refresh(delays: readonly InterfaceDelay[], polled: ReadonlyMap<string, LinkbeatKind | null> = new Map()): void {
    this.links.clear();
    for (const l of this.kernel.dumpLinks()) this.links.set(l.index, l);
    this.#addrs.length = 0;
    this.#addrs.push(...this.kernel.dumpAddrs());
    this.#debounce.configure(delays);
    this.#linkbeat.configure(polled);
    this.#polledLinks();
    if (this.#subscribed) return;
    this.kernel.subscribe((e) => this.#onEvent(e));
    this.#subscribed = true;
  }

  /** The link called `name`. */
  byName(name: string): LinkInfo | undefined {
    for (const l of this.links.values()) if (l.name === name) return l;
    return undefined;
  }

  /** The address to send adverts from on `ifindex`: IPv4 primary, or an IPv6 link-local one past DAD. */
  primaryAddress(ifindex: number, family: "ipv4" | "ipv6"): string | undefined {
    const own = this.#addrs.filter((a) => a.index === ifindex && a.family === family);
    if (family === "ipv6") {
      // A tentative link-local address (DAD running) cannot be bound yet: prefer one that can.
      const ll = own.filter((a) => a.address.toLowerCase().startsWith("fe80:"));
      return (ll.find((a) => !(a.flags & IFA_F.TENTATIVE)) ?? ll[0] ?? own[0])?.address;
    }
    return own.find((a) => !(a.flags & IFA_F.SECONDARY))?.address ?? own[0]?.address;
  }

  /** Cancels pending interface_up_down_delays (child stop). */
  stop(): void {
    this.#debounce.stop();
    this.#linkbeat.stop();
  }

  /** Linkbeat interfaces take `up` from polling, not from netlink. */
  #polledLinks(): void {
    for (const l of this.links.values()) {
      const up = this.#linkbeat.watches(l.name) ? this.#linkbeat.up(l.name) : undefined;
      if (up !== undefined && up !== l.up) this.links.set(l.index, { ...l, up });
    }
  }

  #linkbeatChanged(name: string, up: boolean): void {
    const l = this.byName(name);
    if (!l || l.up === up) return;
    this.links.set(l.index, { ...l, up });
    this.events.linkChanged();
    this.events.retrySockets();
  }

  #onEvent(e: NetEvent): void {
    if (e.kind === "link") return this.#onLink(e.op, e.link);
    if (e.kind === "route") return this.events.routeDeleted(e.route);
    const a = e.addr;
    const i = this.#addrs.findIndex((x) => x.index === a.index && x.address === a.address);
    if (e.op === "new") {
      if (i < 0) this.#addrs.push(a);
      else this.#addrs[i] = a; // flags change too: a link-local address finishing DAD
      this.events.addrAdded(a);
      this.events.retrySockets();
      return;
    }
    if (i >= 0) this.#addrs.splice(i, 1);
    this.events.addrDeleted(a);
  }

  #onLink(op: "new" | "del", link: LinkInfo): void {
    const before = this.links.get(link.index);
    if (op === "del") {
      this.#debounce.drop(link.index);
      this.links.delete(link.index);
      if (before?.up) this.#linkChanged(link.name, "removed");
      return;
    }
    if (this.#linkbeat.watches(link.name)) {
      this.links.set(link.index, { ...link, up: this.#linkbeat.up(link.name) ?? before?.up ?? link.up });
      return;
    }
    // interface_up_down_delays: the instances may see the old state for a while, then #setLink.
    const up = this.#debounce.offer(link, before?.up, (l) => this.#setLink(l));
    this.links.set(link.index, { ...link, up });
    if (before?.up !== up) this.#linkChanged(link.name, up ? "up" : "down");
    else this.events.retrySockets();
  }

  #setLink(l: LinkInfo): void {
    const before = this.links.get(l.index);
    this.links.set(l.index, l);
    if (before?.up !== l.up) this.#linkChanged(l.name, l.up ? "up" : "down");
  }

  #linkChanged(name: string, how: string): void {
    this.log.info(`Netlink reports ${name} ${how}`);
    this.events.linkChanged();
    this.events.retrySockets();
  }
}
