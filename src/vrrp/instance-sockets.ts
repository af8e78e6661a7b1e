/**
 * The sockets of the VRRP instances: where each instance sends and receives (its sockets' key in
 * VrrpSockets and its source address: mcast_src_ip / unicast_src_ip, else the interface's primary IPv4 or
 * link-local IPv6 address), sends through them, and the socket FAULT of an instance that cannot open, bind
 * or send (src/vrrp/socket-faults.ts): the reason is kept on the runner, the instance is retried, and its
 * source address is chosen again when it works. Receive buffers follow vrrp_rx_bufs_policy (rx-bufs.ts).
 */
import type { Family } from "../core/inet.ts";
import { VRRP_MCAST_V4, VRRP_MCAST_V6 } from "../core/inet.ts";
import type { VrrpInstance } from "../config/model.ts";
import type { VrrpSlice } from "../config/slice.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import type { LinkInfo } from "./netkernel.ts";
import { socketRxBytes } from "./rx-bufs.ts";
import { SocketFaults, UNUSABLE_SEND_ERRORS } from "./socket-faults.ts";
import type { VrrpSockets } from "./sockets.ts";
import type { Scheduler } from "../core/scheduler.ts";

/** One running instance as the runtime keeps it. */
export interface Running {
  runner: VrrpInstanceRunner;
  /** Its sockets' key in VrrpSockets; "" while it has none (socket FAULT). */
  key: string;
  /** The instance's config as JSON, to tell a changed instance on reload. */
  json: string;
  /** The interface it runs on, and its VMAC. */
  link: LinkInfo;
  vmac: LinkInfo | undefined;
}

/** What the instances' sockets need from the runtime. */
export interface InstanceSocketsHost {
  sched: Scheduler;
  link(index: number): LinkInfo | undefined;
  primaryAddress(ifindex: number, family: Family): string | undefined;
  /** An IPv6 VMAC gets the base's link-local address to send from. */
  copyLinkLocal(cfg: VrrpInstance, vmac: LinkInfo, src: string): void;
  instances(): Iterable<Running>;
  byName(name: string): Running | undefined;
  /** Sockets opened or dropped: close unused ones, reindex by VRID, recompute FAULT states. */
  changed(): void;
}

/** The instances' sockets and their faults. */
export class InstanceSockets {
  readonly faults: SocketFaults;

  constructor(readonly host: InstanceSocketsHost, readonly sockets: VrrpSockets) {
    this.faults = new SocketFaults(host.sched, () => this.retry());
  }

  /** Opens (or shares) the instance's sockets: their key and our source address, or why they cannot be used now. */
  locate(rec: Running, cfg: VrrpInstance): { key: string; src: string } | string {
    const link = this.host.link(rec.link.index) ?? rec.link;
    const family = cfg.family === "ipv6" ? "ipv6" : "ipv4";
    // use_ipvlan: adverts come from the ipvlan's own address (keepalived 2.2.7 in the VM, src/vrrp/ipvlan.ts).
    const ipvlanSrc = cfg.vmac?.ipvlan && cfg.vmac.ipvlanAddress ? cfg.vmac.ipvlanAddress.split("/")[0] : undefined;
    const src = cfg.unicastSrcIp ?? cfg.mcastSrcIp ?? ipvlanSrc ?? this.host.primaryAddress(link.index, family);
    if (!src) return `${link.name} has no ${family} address to send adverts from`;
    const ah = cfg.auth?.type === "AH" && cfg.version === 2;
    // Adverts leave from the VMAC unless vmac_xmit_base.
    if (rec.vmac && family === "ipv6") this.host.copyLinkLocal(cfg, rec.vmac, src);
    const tx = rec.vmac && !cfg.vmacXmitBase ? rec.vmac : link;
    const key = `${link.index}/${tx.index}/${family}/${ah ? "ah" : "vrrp"}/${src}`;
    const why = this.sockets.ensure(key, {
      family,
      ifname: link.name,
      ifindex: link.index,
      src,
      ah,
      unicastTtl: cfg.unicastTtl,
      txIfname: tx.name,
      txIfindex: tx.index,
      group: cfg.unicastPeers.length ? undefined : cfg.mcastDstIp ?? (family === "ipv4" ? VRRP_MCAST_V4 : VRRP_MCAST_V6),
    });
    return why === undefined ? { key, src } : `cannot open VRRP sockets on ${link.name}: ${why}`;
  }

  /** Sends through the instance's sockets (throws while it has none). */
  send(rec: Running, data: Uint8Array, dst: string): void {
    const t = this.sockets.get(rec.key);
    if (!t) throw new Error(this.faults.reason(rec.runner.cfg.name) ?? "no VRRP socket");
    t.send(data, dst);
  }

  /**
   * Queues through the instance's sockets for the one sendmmsg of the running wake (throws while it has
   * none); sends at once on a transport that cannot queue.
   */
  queue(rec: Running, data: Uint8Array, dst: string, onError: (e: Error, dst: string) => void): void {
    const t = this.sockets.get(rec.key);
    if (!t) throw new Error(this.faults.reason(rec.runner.cfg.name) ?? "no VRRP socket");
    if (t.queue) t.queue(data, dst, onError);
    else t.send(data, dst);
  }

  /** A send error that means the sockets are unusable: every instance on them is FAULT until they reopen. */
  sendFailed(rec: Running, e: unknown): void {
    const code = (e as { code?: string }).code;
    if (!code || !UNUSABLE_SEND_ERRORS.has(code) || !rec.key) return;
    const key = rec.key;
    // Not from inside the instance's step: the FAULT is its own event.
    this.host.sched.after(0, () => {
      if (!this.sockets.get(key)) return;
      this.sockets.drop(key);
      for (const r of this.host.instances()) if (r.key === key) this.fault(r, `cannot send adverts on ${r.link.name}: ${(e as Error).message}`);
      this.host.changed();
    });
  }

  /** Marks an instance's sockets faulty (FAULT through the runtime's recompute) and logs a new reason. */
  fault(rec: Running, reason: string): void {
    rec.runner.socketFault = reason;
    if (this.faults.set(rec.runner.cfg.name, reason) && rec.runner.fsm.fault) rec.runner.log.warn(`still FAULT: ${reason}`);
  }

  /** Tries the faulty instances' sockets again (timer, address and link events). */
  retry(): void {
    let fixed = false;
    for (const name of this.faults.names()) {
      const rec = this.host.byName(name);
      if (!rec) {
        this.faults.clear(name);
        continue;
      }
      const loc = this.locate(rec, rec.runner.cfg);
      if (typeof loc === "string") {
        this.fault(rec, loc);
        continue;
      }
      rec.key = loc.key;
      rec.runner.moveTo({ ...rec.runner.place, src: loc.src });
      rec.runner.socketFault = undefined;
      this.faults.clear(name);
      rec.runner.log.info(`VRRP sockets on ${rec.link.name} open (source ${loc.src}); leaving socket FAULT`);
      fixed = true;
    }
    if (fixed) this.host.changed();
  }

  /** vrrp_rx_bufs_policy / kernel_rx_buf_size: each socket gets what its instances ask for together. */
  size(c: VrrpSlice): void {
    const byKey = new Map<string, { cfgs: VrrpInstance[]; ifindex: number }>();
    for (const r of this.host.instances()) {
      if (!r.key) continue;
      const e = byKey.get(r.key) ?? { cfgs: [], ifindex: r.link.index };
      e.cfgs.push(r.runner.cfg);
      byKey.set(r.key, e);
    }
    for (const [key, e] of byKey) {
      this.sockets.size(key, socketRxBytes(e.cfgs, c.global.vrrpRxBufsPolicy, c.global.vrrpRxBufsMultiplier, this.host.link(e.ifindex)?.mtu));
    }
  }
}
