/**
 * Linkbeat (keepalived.conf(5) "Linkbeat interfaces", `linkbeat_use_polling`): for the chosen interfaces
 * the link state comes from polling by ioctl (src/ffi/link-probe.ts: MII, else ETHTOOL, else IOCTL) once
 * a second instead of from netlink, as keepalived 2.2.7 does ("Using MII-BMSR/ETHTOOL NIC polling
 * thread(s)...", then "Linkbeat reports veth0 down" where netlink would say "Netlink reports"; seen in
 * a namespace, test/netns/vrrp-linkbeat.test.ts). Which interfaces: those of `linkbeat_interfaces`;
 * with the global `linkbeat_use_polling` every interface an instance uses or tracks; with the (deprecated)
 * per-instance `linkbeat_use_polling` that instance's interface. The runtime keeps netlink's other link
 * data (index, name, MAC) and takes `up` from here for these names.
 * The polling type of a linkbeat_interfaces entry (`eth0 MII|ETHTOOL|IOCTL`) is chosen once per interface
 * as keepalived 2.2.7 chooses it: none given, MII, else ETHTOOL, else IOCTL; MII given, the same; ETHTOOL
 * given, ETHTOOL, else MII, else IOCTL; IOCTL given, IOCTL only (interface flags). A given type that does
 * not work is logged ("(eth0): Configured linkbeat type MII not supported, using ETHTOOL").
 */
import type { KeepalivedConfig } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { LinkbeatKind } from "../ffi/link-probe.ts";

/** Poll period, ms (keepalived's POLLING_DELAY: one timer second). */
export const LINKBEAT_POLL_MS = 1000;

/** Reads one interface's link state by exactly `kind`; undefined when that kind does not work there. */
export type LinkRead = (name: string, kind: LinkbeatKind) => boolean | undefined;

/** The kinds tried, in order, for an interface configured with `type` (null: none given). */
export function kindsFor(type: LinkbeatKind | null): LinkbeatKind[] {
  if (type === "IOCTL") return ["IOCTL"];
  return type === "ETHTOOL" ? ["ETHTOOL", "MII", "IOCTL"] : ["MII", "ETHTOOL", "IOCTL"];
}

/** The interfaces whose link state is polled for configuration `c`, each with its configured type. */
export function linkbeatNames(c: Pick<KeepalivedConfig, "vrrp" | "global">): Map<string, LinkbeatKind | null> {
  const names = new Set(c.vrrp.linkbeatInterfaces);
  for (const i of c.vrrp.instances) {
    if (!i.interface) continue;
    if (i.linkbeatUsePolling || c.global.linkbeatUsePolling) names.add(i.interface);
    if (c.global.linkbeatUsePolling) { for (const t of i.trackInterfaces) names.add(t.name); }
  }
  if (c.global.linkbeatUsePolling) { for (const g of c.vrrp.syncGroups) for (const t of g.trackInterfaces) names.add(t.name); }
  return new Map([...names].map((n) => [n, c.vrrp.linkbeatTypes?.[n] ?? null]));
}

/** The poller. */
export class Linkbeat {
  #names: ReadonlyMap<string, LinkbeatKind | null> = new Map();
  readonly #state = new Map<string, boolean>();
  /** The kind each interface is polled by, once chosen. */
  readonly #kind = new Map<string, LinkbeatKind>();
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
  configure(names: ReadonlyMap<string, LinkbeatKind | null>): void {
    this.#names = names;
    for (const n of [...this.#state.keys()]) if (!names.has(n)) this.#state.delete(n);
    for (const n of [...this.#kind.keys()]) if (!names.has(n)) this.#kind.delete(n);
    this.sched.cancel(this.#timer);
    this.#timer = undefined;
    if (names.size === 0) return;
    if (!this.#announced) this.log.info("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
    this.#announced = true;
    this.#read ??= this.makeReader();
    for (const n of names.keys()) {
      const up = this.#readOne(n);
      if (up !== undefined) this.#state.set(n, up);
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

  /** Reads `n` by its kind, choosing the kind the first time it can be read. */
  #readOne(n: string): boolean | undefined {
    const known = this.#kind.get(n);
    if (known) return this.#read!(n, known);
    const type = this.#names.get(n) ?? null;
    for (const kind of kindsFor(type)) {
      const up = this.#read!(n, kind);
      if (up === undefined) continue;
      this.#kind.set(n, kind);
      if (type && kind !== type) this.log.info(`(${n}): Configured linkbeat type ${type} not supported, using ${kind}`);
      return up;
    }
    return undefined;
  }

  #poll(): void {
    for (const n of this.#names.keys()) {
      const up = this.#readOne(n);
      if (up === undefined || this.#state.get(n) === up) continue;
      this.#state.set(n, up);
      this.log.info(`Linkbeat reports ${n} ${up ? "up" : "down"}`);
      this.changed(n, up);
    }
  }

  /** Stops polling. */
  stop(): void {
    this.sched.cancel(this.#timer);
    this.#timer = undefined;
    this.#names = new Map();
  }
}
