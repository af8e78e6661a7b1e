/**
 * Linkbeat (keepalived.conf(5) "Linkbeat interfaces", `linkbeat_use_polling`): for the chosen interfaces
 * the link state comes from polling by ioctl (src/ffi/link-probe.ts: MII, else ETHTOOL, else IOCTL) once
 * a second instead of from netlink, as keepalived 2.2.7 does ("Using MII-BMSR/ETHTOOL NIC polling
 * thread(s)...", then "Linkbeat reports veth0 down" where netlink would say "Netlink reports"; seen in
 * a namespace, test/netns/vrrp-linkbeat.test.ts). Which interfaces: those of `linkbeat_interfaces`;
 * with the global `linkbeat_use_polling` every interface an instance uses or tracks; with the (deprecated)
 * per-instance `linkbeat_use_polling` that instance's interface. The runtime keeps netlink's other link
 * data (index, name, MAC) and takes `up` from here for these names.
 */
import type { KeepalivedConfig } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { LinkReading } from "../ffi/link-probe.ts";

/** Poll period, ms (keepalived's POLLING_DELAY: one timer second). */
export const LINKBEAT_POLL_MS = 1000;

/** Reads one interface's link state; undefined when it cannot (no such interface). */
export type LinkRead = (name: string) => LinkReading | undefined;

/** The interfaces whose link state is polled for configuration `c`. */
export function linkbeatNames(c: Pick<KeepalivedConfig, "vrrp" | "global">): Set<string> {
  const out = new Set(c.vrrp.linkbeatInterfaces);
  for (const i of c.vrrp.instances) {
    if (!i.interface) continue;
    if (i.linkbeatUsePolling || c.global.linkbeatUsePolling) out.add(i.interface);
    if (c.global.linkbeatUsePolling) { for (const t of i.trackInterfaces) out.add(t.name); }
  }
  if (c.global.linkbeatUsePolling) { for (const g of c.vrrp.syncGroups) for (const t of g.trackInterfaces) out.add(t.name); }
  return out;
}

/** The poller. */
export class Linkbeat {
  #names = new Set<string>();
  readonly #state = new Map<string, boolean>();
  #timer: TimerHandle | undefined;
  #read: LinkRead | undefined;
  #announced = false;

  constructor(
    readonly sched: Scheduler,
    readonly log: Logger,
    /** Makes the reader on first use (opens its socket only when some interface is polled). */
    readonly makeReader: () => LinkRead,
    /** A polled interface changed state. */
    readonly changed: (name: string, up: boolean) => void,
  ) {}

  /** Polls `names` from now on (a reload may change them); reads them once at once, without reporting. */
  configure(names: Set<string>): void {
    this.#names = names;
    for (const n of [...this.#state.keys()]) if (!names.has(n)) this.#state.delete(n);
    this.sched.cancel(this.#timer);
    this.#timer = undefined;
    if (names.size === 0) return;
    if (!this.#announced) this.log.info("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
    this.#announced = true;
    this.#read ??= this.makeReader();
    for (const n of names) {
      const r = this.#read(n);
      if (r) this.#state.set(n, r.up);
    }
    this.#arm();
  }

  /** Whether `name`'s state comes from here. */
  watches(name: string): boolean {
    return this.#names.has(name);
  }

  /** The last polled state of `name` (undefined before a successful read). */
  up(name: string): boolean | undefined {
    return this.#state.get(name);
  }

  #arm(): void {
    this.#timer = this.sched.after(LINKBEAT_POLL_MS, () => {
      this.#poll();
      this.#arm();
    });
  }

  #poll(): void {
    for (const n of this.#names) {
      const r = this.#read!(n);
      if (!r) continue;
      if (this.#state.get(n) === r.up) continue;
      this.#state.set(n, r.up);
      this.log.info(`Linkbeat reports ${n} ${r.up ? "up" : "down"}`);
      this.changed(n, r.up);
    }
  }

  /** Stops polling. */
  stop(): void {
    this.sched.cancel(this.#timer);
    this.#timer = undefined;
    this.#names = new Set();
  }
}
