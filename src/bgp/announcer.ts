/**
 * The parent's BGP announcer (docs/bgp.md). It hears vrrpState and vsState from the children (relayed
 * through Parent), forgets a child's states when that child goes away (kill -9 included), and keeps the
 * addresses on its TUN devices equal to what desired.ts wants. Because the devices die with the parent's
 * file descriptors, a killed parent withdraws everything without running any code; a graceful stop
 * closes them first, before the children release their addresses.
 */
import type { KeepalivedConfig } from "../config/model.ts";
import type { Message, Role } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import type { BgpNet } from "./devices.ts";
import { type AnnounceVerdict, type InstanceSeen, verdict, type WantedAddr, wantedAddrs } from "./desired.ts";

const addrKey = (w: Pick<WantedAddr, "device" | "address" | "prefixLen">): string => `${w.device}|${w.address}/${w.prefixLen}`;

/** Keeps the announced prefixes in line with the children's reported states. */
export class BgpAnnouncer {
  #config: KeepalivedConfig;
  readonly #instances = new Map<string, InstanceSeen>();
  readonly #vss = new Map<string, boolean>();
  /** Open devices: name to ifindex. */
  readonly #devices = new Map<string, number>();
  /** Addresses on our devices now, by addrKey. */
  readonly #applied = new Map<string, WantedAddr>();
  /** Last logged verdict per announcement, as "on metric" or "off". */
  readonly #logged = new Map<string, string>();
  #closed = false;

  constructor(readonly net: BgpNet, readonly log: Logger, config: KeepalivedConfig) {
    this.#config = config;
    this.#apply();
  }

  /** A new configuration (reload): announcements added, changed or removed take effect at once. */
  setConfig(config: KeepalivedConfig): void {
    this.#config = config;
    const names = new Set(config.bgp.announces.map((a) => a.name));
    for (const n of [...this.#logged.keys()]) if (!names.has(n)) this.#logged.delete(n);
    this.#apply();
  }

  /** A message relayed by the parent; only vrrpState and vsState matter here. */
  onMessage(msg: Message): void {
    if (msg.type === "vrrpState") {
      this.#instances.set(msg.instance, { state: msg.state, effectivePriority: msg.effectivePriority });
    } else if (msg.type === "vsState") this.#vss.set(msg.vs, msg.state === "UP");
    else return;
    this.#apply();
  }

  /** A child process ended (kill -9 included): what it reported no longer holds until its successor reports. */
  childExited(role: Role): void {
    if (role === "vrrp") this.#instances.clear();
    else if (role === "check") this.#vss.clear();
    else return;
    this.#apply();
  }

  /** Withdraws everything (the devices are closed) and stops reacting. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#applied.size) this.log.info(`BGP: withdrawing ${this.#applied.size} prefix(es) on stop`);
    this.net.close();
    this.#devices.clear();
    this.#applied.clear();
  }

  /** Announcement name -> "on metric N" or "off", for the parent's USR1 dump. */
  states(): Map<string, string> {
    return new Map(this.#logged);
  }

  #apply(): void {
    if (this.#closed) return;
    const seen = { instances: this.#instances, virtualServers: this.#vss };
    const { announces } = this.#config.bgp;
    for (const a of announces) this.#logVerdict(a.name, verdict(a, this.#config.vrrp.syncGroups, seen));
    const wanted = new Map(wantedAddrs(announces, this.#config.vrrp.syncGroups, seen).map((w) => [addrKey(w), w]));
    for (const [k, w] of this.#applied) if (!wanted.has(k)) this.#withdraw(k, w);
    this.#syncDevices(new Set(announces.map((a) => a.device)));
    for (const [k, w] of wanted) {
      const had = this.#applied.get(k);
      if (had && had.metric === w.metric) continue;
      const index = this.#devices.get(w.device);
      if (index === undefined) continue;
      try {
        this.net.putAddr(index, w, w.metric, had !== undefined);
        this.#applied.set(k, w);
      } catch (e) {
        this.log.error(`(${w.announce}) cannot announce ${w.address}/${w.prefixLen} on ${w.device}: ${(e as Error).message}`);
      }
    }
  }

  #withdraw(k: string, w: WantedAddr): void {
    const index = this.#devices.get(w.device);
    try {
      if (index !== undefined) this.net.delAddr(index, w);
      this.#applied.delete(k);
    } catch (e) {
      this.log.error(`(${w.announce}) cannot withdraw ${w.address}/${w.prefixLen} from ${w.device}: ${(e as Error).message}`);
    }
  }

  /** Opens the devices the configuration names and closes the others. */
  #syncDevices(names: Set<string>): void {
    for (const name of [...this.#devices.keys()]) {
      if (names.has(name)) continue;
      this.net.closeDevice(name);
      this.#devices.delete(name);
      for (const [k, w] of [...this.#applied]) if (w.device === name) this.#applied.delete(k);
      this.log.info(`BGP: device ${name} is no longer used; closed`);
    }
    for (const name of names) {
      if (this.#devices.has(name)) continue;
      try {
        this.#devices.set(name, this.net.openDevice(name));
        this.log.info(`BGP: opened device ${name}`);
      } catch (e) {
        this.log.error(`BGP: cannot create TUN device ${name}: ${(e as Error).message}; its prefixes stay withdrawn`);
      }
    }
  }

  #logVerdict(name: string, v: AnnounceVerdict): void {
    const now = v.on ? `on metric ${v.metric}` : "off";
    if (this.#logged.get(name) === now) return;
    const first = !this.#logged.has(name);
    this.#logged.set(name, now);
    const why = v.why ? ` (${v.why})` : "";
    if (v.on) this.log.info(`(${name}) BGP announce with metric ${v.metric}${why}`);
    else if (!first || v.why) this.log.info(`(${name}) BGP withdraw${why}`);
  }
}
