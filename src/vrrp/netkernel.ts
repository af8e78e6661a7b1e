/**
 * The VRRP child's only writer of addresses and links (VIPs, VMAC interfaces), and its source of link
 * and address events: rtnetlink requests over one socket, RTMGRP_LINK / IPV4_IFADDR / IPV6_IFADDR events
 * over another (watched by the reactor). Messages are encoded and decoded by src/proto/rtnl-*.ts.
 * Tests use a fake implementing NetKernel.
 */
import type { Family } from "../core/inet.ts";
import { rtGuard } from "../core/rt-guard.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { NETLINK_ROUTE, NetlinkSocket } from "../ffi/netlink.ts";
import { type AddrRequest, encodeAddrAdd, encodeAddrDel, encodeAddrDump, parseAddrMessage } from "../proto/rtnl-addr.ts";
import { encodeLinkDel, encodeLinkDump, encodeLinkSet, encodeMacvlanAdd, linkIsUp, type MacvlanRequest, parseLinkMessage } from "../proto/rtnl-link.ts";
import { RTM, RTMGRP, RTNLGRP } from "../proto/rtnl-const.ts";
import { encodeIpvlanAdd, type IpvlanRequest } from "../proto/rtnl-ipvlan.ts";
import { encodeRouteAdd, encodeRouteDel, parseRouteMessage, type RouteRequest } from "../proto/rtnl-route.ts";
import { encodeRuleAdd, encodeRuleDel, type RuleRequest } from "../proto/rtnl-rule.ts";
import type { NlMessage } from "../proto/netlink.ts";
import type { RcvBuf } from "../config/model.ts";
import { netlinkRcvBuf, type RcvBufSetting } from "../config/rx-bufs.ts";
import { readFileSync } from "node:fs";

/** Our event socket's receive buffer unless vrrp_netlink_monitor_rcv_bufs says otherwise: 1 MiB, forced. */
const MONITOR_RCVBUF: RcvBufSetting = { bytes: 1 << 20, force: true };

/** The kernel's default receive buffer (what the command socket has with no vrrp_netlink_cmd_rcv_bufs). */
function kernelDefaultRcvBuf(): RcvBufSetting | undefined {
  try {
    return { bytes: Number(readFileSync("/proc/sys/net/core/rmem_default", "utf8").trim()), force: false };
  } catch {
    return undefined;
  }
}

/** An interface as we track it. */
export interface LinkInfo {
  index: number;
  name: string;
  /** Link-layer address; "" when none (loopback, tunnels). */
  mac: string;
  /** IFF_UP and IFF_RUNNING. */
  up: boolean;
  kind?: string;
  /** Lower device for macvlan. */
  link?: number;
  /** Bytes (IFLA_MTU), for vrrp_rx_bufs_policy MTU. */
  mtu?: number;
}

/** An address as we track it. */
export interface AddrInfo {
  index: number;
  family: Family;
  address: string;
  prefixLen: number;
  scope: number;
  flags: number;
  label?: string;
}

/** A route the kernel removed (only deletions are delivered: ours are put back). */
export interface RouteGone {
  family: Family;
  dst: string;
  dstLen: number;
  table: number;
}

/** A link or address change from the kernel, or a route deletion (while routes are watched). */
export type NetEvent =
  | { kind: "link"; op: "new" | "del"; link: LinkInfo }
  | { kind: "addr"; op: "new" | "del"; addr: AddrInfo }
  | { kind: "route"; op: "del"; route: RouteGone };

/** One method per kernel operation the VRRP child performs. */
export interface NetKernel {
  dumpLinks(): LinkInfo[];
  dumpAddrs(): AddrInfo[];
  /** Adds an address; true if added, false if it was already there. */
  addAddr(r: AddrRequest): boolean;
  /** Deletes an address; true if deleted, false if it was not there. */
  delAddr(r: AddrRequest): boolean;
  addMacvlan(r: MacvlanRequest): void;
  /** Creates an ipvlan (use_ipvlan); absent on fakes without it. */
  addIpvlan?(r: IpvlanRequest): void;
  setLinkUp(index: number, up: boolean): void;
  delLink(index: number): void;
  /** Adds a route; true if added, false if it existed. */
  addRoute(r: RouteRequest): boolean;
  /** Deletes a route; true if deleted, false if it was not there. */
  delRoute(r: RouteRequest): boolean;
  /** Adds a policy rule; true if added, false if it existed. */
  addRule(r: RuleRequest): boolean;
  /** Deletes a policy rule; true if deleted, false if it was not there. */
  delRule(r: RuleRequest): boolean;
  /** Starts delivering events. */
  subscribe(onEvent: (e: NetEvent) => void): void;
  /**
   * Route deletions are delivered while `on` (only when routes of ours are configured: a router with a
   * full BGP table changes routes all the time).
   */
  watchRoutes?(on: boolean): void;
  close(): void;
}

function toLink(m: NlMessage): LinkInfo | undefined {
  const r = parseLinkMessage(m);
  if (!r.ok || r.value.name === undefined) return undefined;
  const l = r.value;
  return { index: l.index, name: l.name!, mac: l.address ?? "", up: linkIsUp(l), kind: l.kind, link: l.link, mtu: l.mtu };
}

function toAddr(m: NlMessage): AddrInfo | undefined {
  const r = parseAddrMessage(m);
  if (!r.ok) return undefined;
  const a = r.value;
  const address = a.local ?? a.address;
  if (!address || (a.family !== 2 && a.family !== 10)) return undefined;
  return {
    index: a.index,
    family: a.family === 2 ? "ipv4" : "ipv6",
    address,
    prefixLen: a.prefixLen,
    scope: a.scope,
    flags: a.flags,
    label: a.label,
  };
}

function toRouteGone(m: NlMessage): RouteGone | undefined {
  const r = parseRouteMessage(m);
  if (!r.ok || (r.value.family !== 2 && r.value.family !== 10)) return undefined;
  const v = r.value;
  const dst = v.dst ?? (v.family === 2 ? "0.0.0.0" : "::");
  return { family: v.family === 2 ? "ipv4" : "ipv6", dst, dstLen: v.dstLen, table: v.table };
}

/** The real kernel, over NETLINK_ROUTE. */
export class RtnlKernel implements NetKernel {
  readonly #req = new NetlinkSocket(NETLINK_ROUTE);
  #events: NetlinkSocket | undefined;
  #routes = false;
  #monitorBuf: RcvBufSetting = MONITOR_RCVBUF;
  #cmdBufSet = false;

  constructor(readonly watcher: FdWatcher) {}

  /**
   * vrrp_netlink_cmd_rcv_bufs[_force] and vrrp_netlink_monitor_rcv_bufs[_force]: the command socket's and
   * the event socket's receive buffers, at start and at each reload (as keepalived does). A keyword that
   * a reload removed gives the socket its default back. Throws SysError when the kernel refuses.
   */
  setRcvBufs(cmd: RcvBuf, monitor: RcvBuf): void {
    const c = netlinkRcvBuf(cmd, undefined);
    if (c || this.#cmdBufSet) {
      const s = c ?? kernelDefaultRcvBuf();
      if (s) this.#req.setRcvBuf(s.bytes, s.force);
      this.#cmdBufSet = c !== undefined;
    }
    this.#monitorBuf = netlinkRcvBuf(monitor, MONITOR_RCVBUF) ?? MONITOR_RCVBUF;
    this.#events?.setRcvBuf(this.#monitorBuf.bytes, this.#monitorBuf.force);
  }

  dumpLinks(): LinkInfo[] {
    const seq = this.#req.nextSeq();
    return this.#req.request(encodeLinkDump(seq), seq, "RTM_GETLINK").map(toLink).filter((l) => l !== undefined);
  }
  dumpAddrs(): AddrInfo[] {
    const seq = this.#req.nextSeq();
    return this.#req.request(encodeAddrDump(seq), seq, "RTM_GETADDR").map(toAddr).filter((a) => a !== undefined);
  }
  addAddr(r: AddrRequest): boolean {
    const seq = this.#req.nextSeq();
    try {
      this.#req.request(encodeAddrAdd(r, seq), seq, `add address ${r.address}/${r.prefixLen}`);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === "EEXIST") return false;
      throw e;
    }
  }
  delAddr(r: AddrRequest): boolean {
    const seq = this.#req.nextSeq();
    try {
      this.#req.request(encodeAddrDel(r, seq), seq, `delete address ${r.address}/${r.prefixLen}`);
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EADDRNOTAVAIL" || code === "ENODEV" || code === "ENOENT") return false;
      throw e;
    }
  }
  addMacvlan(r: MacvlanRequest): void {
    const seq = this.#req.nextSeq();
    this.#req.request(encodeMacvlanAdd(r, seq), seq, `create macvlan ${r.name}`);
  }
  addIpvlan(r: IpvlanRequest): void {
    const seq = this.#req.nextSeq();
    this.#req.request(encodeIpvlanAdd(r, seq), seq, `create ipvlan ${r.name}`);
  }
  setLinkUp(index: number, up: boolean): void {
    const seq = this.#req.nextSeq();
    this.#req.request(encodeLinkSet({ index, up }, seq), seq, `set link ${index} ${up ? "up" : "down"}`);
  }
  delLink(index: number): void {
    const seq = this.#req.nextSeq();
    this.#req.request(encodeLinkDel(index, seq), seq, `delete link ${index}`);
  }
  addRoute(r: RouteRequest): boolean {
    return this.#add(encodeRouteAdd(r, this.#req.nextSeq()), `add route ${r.dst}/${r.dstLen}`);
  }
  delRoute(r: RouteRequest): boolean {
    return this.#del(encodeRouteDel(r, this.#req.nextSeq()), `delete route ${r.dst}/${r.dstLen}`);
  }
  addRule(r: RuleRequest): boolean {
    return this.#add(encodeRuleAdd(r, this.#req.nextSeq()), `add rule ${r.priority ?? ""}`);
  }
  delRule(r: RuleRequest): boolean {
    return this.#del(encodeRuleDel(r, this.#req.nextSeq()), `delete rule ${r.priority ?? ""}`);
  }
  #seqOf(msg: Uint8Array): number {
    return new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
  }
  #add(msg: Uint8Array, what: string): boolean {
    try {
      this.#req.request(msg, this.#seqOf(msg), what);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === "EEXIST") return false;
      throw e;
    }
  }
  #del(msg: Uint8Array, what: string): boolean {
    try {
      this.#req.request(msg, this.#seqOf(msg), what);
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ESRCH" || code === "ENOENT" || code === "EADDRNOTAVAIL" || code === "ENODEV") return false;
      throw e;
    }
  }
  subscribe(onEvent: (e: NetEvent) => void): void {
    const s = new NetlinkSocket(NETLINK_ROUTE, RTMGRP.LINK | RTMGRP.IPV4_IFADDR | RTMGRP.IPV6_IFADDR);
    s.setRcvBuf(this.#monitorBuf.bytes, this.#monitorBuf.force);
    this.#events = s;
    this.watcher.add(s.fd, () => {
      for (const m of s.drain()) {
        const t = m.header.type;
        if (t === RTM.NEWLINK || t === RTM.DELLINK) {
          const link = toLink(m);
          if (link) onEvent({ kind: "link", op: t === RTM.NEWLINK ? "new" : "del", link });
        } else if (t === RTM.NEWADDR || t === RTM.DELADDR) {
          const addr = toAddr(m);
          if (addr) onEvent({ kind: "addr", op: t === RTM.NEWADDR ? "new" : "del", addr });
        } else if (t === RTM.DELROUTE && this.#routes) {
          const route = toRouteGone(m);
          if (route) onEvent({ kind: "route", op: "del", route });
        }
        rtGuard.checkpoint();
      }
    });
  }
  watchRoutes(on: boolean): void {
    if (!this.#events || on === this.#routes) return;
    for (const g of [RTNLGRP.IPV4_ROUTE, RTNLGRP.IPV6_ROUTE]) {
      if (on) this.#events.joinGroup(g);
      else this.#events.leaveGroup(g);
    }
    this.#routes = on;
  }
  close(): void {
    if (this.#events) {
      this.watcher.remove(this.#events.fd);
      this.#events.close();
    }
    this.#req.close();
  }
}
