/**
 * interface_up_down_delays (keepalived.conf(5), "Interface up/down status change debouncing"): a link
 * going down (or up) takes effect for the instances only after the interface's down_delay (up_delay);
 * if it goes back within the delay, nothing changes. A link that is deleted takes effect at once.
 */
import type { InterfaceDelay } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { LinkInfo } from "./netkernel.ts";

/** Delays link state changes per interface name. */
export class LinkDebounce {
  #delays = new Map<string, InterfaceDelay>();
  readonly #pending = new Map<number, { timer: TimerHandle; up: boolean }>();

  constructor(readonly sched: Scheduler, readonly log: Logger) {}

  /** The configured delays (first start and reload). */
  configure(delays: readonly InterfaceDelay[]): void {
    this.#delays = new Map(delays.map((d) => [d.ifname, d]));
  }

  /**
   * Offers a link update whose up state differs from `wasUp`. Returns the state the instances should
   * see now: `wasUp` while a delay runs (then `apply(link)` is called when it ends), else the new one.
   * An update back to `wasUp` while a change is pending cancels it.
   */
  offer(link: LinkInfo, wasUp: boolean | undefined, apply: (l: LinkInfo) => void): boolean {
    const pending = this.#pending.get(link.index);
    if (pending && link.up === pending.up) return wasUp ?? link.up; // same change again: still waiting
    if (pending) {
      this.sched.cancel(pending.timer);
      this.#pending.delete(link.index);
      this.log.info(`${link.name} is ${link.up ? "up" : "down"} again within its interface_up_down_delays; no change`);
      return link.up;
    }
    const d = this.#delays.get(link.name);
    const ms = d === undefined || wasUp === undefined || wasUp === link.up ? 0 : link.up ? d.upDelayMs : d.downDelayMs;
    if (ms <= 0) return link.up;
    this.log.info(`Netlink reports ${link.name} ${link.up ? "up" : "down"}; acting on it after ${ms / 1000} s (interface_up_down_delays)`);
    const timer = this.sched.after(ms, () => {
      this.#pending.delete(link.index);
      apply(link);
    });
    this.#pending.set(link.index, { timer, up: link.up });
    return wasUp ?? link.up;
  }

  /** Forgets a pending change (the link was deleted). */
  drop(index: number): void {
    const p = this.#pending.get(index);
    if (p) this.sched.cancel(p.timer);
    this.#pending.delete(index);
  }

  /** Cancels every pending change (stop). */
  stop(): void {
    for (const p of this.#pending.values()) this.sched.cancel(p.timer);
    this.#pending.clear();
  }
}
