/**
 * When a VRRP master announces its virtual addresses (gratuitous ARP for IPv4, unsolicited NA for IPv6,
 * sent by src/vrrp/garp.ts): garp_master_repeat frames on becoming MASTER, again after garp_master_delay,
 * then every garp_master_refresh; garp_lower_prio_repeat frames when a lower-priority advert is heard and
 * again after garp_lower_prio_delay; one round on request (D-Bus SendGarp). A delayed round is sent only
 * while the instance is still MASTER.
 */
import type { IpAddressSpec, VrrpInstance } from "../config/model.ts";
import type { RateLimitedLog } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { Announcer } from "./garp.ts";
import { extraIfVips } from "./garp-extra.ts";
import { addrDev } from "./addr-dev.ts";

/** What the rounds need from the instance's surroundings. */
export interface GarpRoundsEnv {
  sched: Scheduler;
  badPackets: RateLimitedLog;
  announcer: Pick<Announcer, "garp" | "na">;
  /** Index of an interface by name (for VIPs with `dev`). */
  ifindex(name: string): number;
  /** MAC of an interface by name (a VIP on another interface is announced from that interface's MAC). */
  ifmac?(name: string): string | undefined;
}

/** The announcement schedule of one instance. */
export class GarpRounds {
  /** The next garp_master_delay / garp_master_refresh round. */
  #master: TimerHandle | undefined;
  /** The garp_lower_prio_delay round. */
  #lower: TimerHandle | undefined;
  /** The next garp_extra_if round (garp-extra.ts). */
  #extra: TimerHandle | undefined;

  /**
   * @param place where the instance runs now: its interface and the MAC it announces (the VMAC when use_vmac)
   * @param isMaster whether a delayed round is still due
   */
  constructor(
    readonly cfg: VrrpInstance,
    readonly env: GarpRoundsEnv,
    readonly place: () => { ifindex: number; mac: string },
    readonly isMaster: () => boolean,
  ) {}

  /** garp_master_repeat announcements now, again after garp_master_delay, then every garp_master_refresh. */
  becameMaster(): void {
    const c = this.cfg;
    this.round(c.garpMasterRepeat);
    const later = (delayMs: number, repeat: number, then?: () => void) => {
      this.#master = this.env.sched.after(delayMs, () => {
        if (!this.isMaster()) return;
        this.round(repeat);
        then?.();
      });
    };
    const refresh = () => {
      if (c.garpMasterRefreshMs > 0) later(c.garpMasterRefreshMs, c.garpMasterRefreshRepeat, refresh);
    };
    if (c.garpMasterDelayMs > 0) later(c.garpMasterDelayMs, c.garpMasterRepeat, refresh);
    else refresh();
    this.#extraIfRounds();
  }

  /** garp_extra_if: one announcement every delay for the VIPs on other interfaces, while MASTER. */
  #extraIfRounds(): void {
    const vips = extraIfVips(this.cfg, this.place().ifindex, this.env.ifindex);
    if (vips.length === 0) return;
    const tick = () => {
      this.#extra = this.env.sched.after(this.cfg.garpExtraIf!.delayMs, () => {
        if (!this.isMaster()) return;
        this.round(1, vips);
        tick();
      });
    };
    tick();
  }

  /** garp_lower_prio_repeat announcements now and again after garp_lower_prio_delay. */
  lowerPriority(): void {
    const c = this.cfg;
    this.round(c.garpLowerPrioRepeat);
    if (c.garpLowerPrioDelayMs <= 0 || this.#lower) return;
    this.#lower = this.env.sched.after(c.garpLowerPrioDelayMs, () => {
      this.#lower = undefined;
      if (this.isMaster()) this.round(c.garpLowerPrioRepeat);
    });
  }

  /** `times` announcements (at least one) of every virtual address (or of `vips`). */
  round(times: number, vips: readonly IpAddressSpec[] = this.cfg.virtualIpaddresses): void {
    const { ifindex, mac } = this.place();
    const repeat = Math.max(1, times);
    for (let i = 0; i < repeat; i++) {
      for (const v of vips) {
        const dev = addrDev(v);
        const on = dev ? this.env.ifindex(dev) : ifindex;
        // A VIP on another interface is announced from that interface's MAC (keepalived 2.2.7 the same).
        const from = on === ifindex || !dev ? mac : this.env.ifmac?.(dev) ?? mac;
        try {
          if (v.family === "ipv4") this.env.announcer.garp(on, from, v.address);
          else this.env.announcer.na(on, from, v.address, false);
        } catch (e) {
          this.env.badPackets.warn(
            `${this.cfg.name}:garp`,
            `(${this.cfg.name}) cannot announce ${v.address}: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  /** No more delayed rounds (the addresses were removed, or the instance stops). */
  cancel(): void {
    this.env.sched.cancel(this.#master);
    this.env.sched.cancel(this.#lower);
    this.env.sched.cancel(this.#extra);
    this.#master = undefined;
    this.#lower = undefined;
    this.#extra = undefined;
  }
}
