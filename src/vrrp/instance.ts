/**
 * One running VRRP instance: the pure state machine (src/vrrp/fsm.ts) plus the side effects its actions
 * name: adverts (RFC 5798 §5, RFC 3768 §5, IPSEC-AH for v2), RFC timers on the injected scheduler,
 * virtual addresses through NetKernel, gratuitous ARP / unsolicited NA rounds (garp_master_delay,
 * garp_master_repeat, garp_master_refresh), notify scripts and FIFO, and per-instance counters.
 * Receive path: packet-level checks in src/proto/vrrp.ts, then the session checks here (VRID,
 * unicast source, address list) before the machine sees the advert.
 */
import type { VrrpInstance } from "../config/model.ts";
import type { Logger, RateLimitedLog } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import { parseAhPacket } from "../proto/ah.ts";
import { parseVrrp } from "../proto/vrrp.ts";
import { AdvertBuilder, advertAuth } from "./advert.ts";
import { initialFsm, step, transitionLogLine, type TimerKind, type VrrpAction, type VrrpEvent, type VrrpFsm, type VrrpState } from "./fsm.ts";
import type { Announcer } from "./garp.ts";
import type { NetKernel, RouteGone } from "./netkernel.ts";
import type { Notifier, NotifyTargets } from "./notify.ts";
import type { RxPacket } from "./transport.ts";
import type { AddrRequest } from "../proto/rtnl-addr.ts";
import type { Firewall } from "./firewall.ts";
import { VipApplier } from "./vip-apply.ts";
import { ReplayShortcut } from "./replay-shortcut.ts";
import { bytesToIpv4, ipv4ToBytes } from "../proto/ipv4.ts";
import { bytesToIpv6, ipv6ToBytes } from "../proto/ipv6.ts";

/** Counters, as keepalived's stats dump names them. */
export interface InstanceStats {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  packetLenErr: number;
  ipTtlErr: number;
  invalidType: number;
  advertIntervalErr: number;
  addrListErr: number;
  invalidAuthType: number;
  /** A valid auth type other than ours (keepalived's "Auth Type Mismatch"). */
  authTypeMismatch: number;
  authFailure: number;
  pri0Rcvd: number;
  pri0Sent: number;
  otherErr: number;
}

/** What an instance needs from its surroundings. */
export interface InstanceEnv {
  sched: Scheduler;
  log: Logger;
  badPackets: RateLimitedLog;
  kernel: NetKernel;
  announcer: Pick<Announcer, "garp" | "na">;
  /** The current notifier (it changes when a reload changes the notify FIFOs). */
  notifier(): Notifier;
  /** Sends a datagram (VRRP message, or a whole IPv4 datagram for AH) to `dst` on this instance's transport. */
  send(data: Uint8Array, dst: string): void;
  /** A send threw (the runtime tells an unusable socket from a passing error). */
  sendFailed?(e: unknown): void;
  /**
   * Queues a datagram that goes out, with the others of the same wake, when the running callback returns
   * (one sendmmsg); a refused one is reported to `onError`. Absent: `send`.
   */
  queue?(data: Uint8Array, dst: string, onError: (e: Error, dst: string) => void): void;
  /** The instance changed state or priority (for the parent and the check child). */
  report(state: VrrpState, priority: number): void;
  /** Index of an interface by name (for VIPs with `dev`). */
  ifindex(name: string): number;
  /** Route metric for a VIP that a bgp_announce also announces (src/bgp/desired.ts vipMetric), else undefined. */
  vipMetric?(address: string, prefixLen: number): number | undefined;
  /** notify_master_rx_lower_pri: MASTER saw a lower-priority advert. */
  masterRxLowerPri?(priority: number, src: string): void;
  /**
   * Reads this instance's socket now. The reactor wakes the VRRP child at most once per window while
   * adverts keep coming, so a Master_Down_Timer could otherwise run out with its master's advert queued.
   */
  drainRx?(): void;
  /** The nftables writer, when an instance without accept mode needs one; `byName`: key link-local by name. */
  firewall?: { fw: Firewall; byName: boolean };
}

/** The instance's vrrp_sync_group, told about its member's transitions (src/vrrp/sync-group.ts). */
export interface SyncMembership {
  /** Our Master_Down_Timer ran out; may answer by moving every member to MASTER. */
  wantMaster(r: VrrpInstanceRunner): void;
  /** We changed state on our own (called after the step's actions ran). */
  transition(r: VrrpInstanceRunner, from: VrrpState, to: VrrpState): void;
}

/** Where the instance lives on the network, resolved at start. */
export interface InstancePlace {
  ifindex: number;
  ifname: string;
  /** MAC announced in GARP/NA (the VMAC when use_vmac). */
  mac: string;
  /** Our source address for adverts. */
  src: string;
}


/** An Adver_Timer that fires later than this after its deadline restarts the interval from now, ms. */
const ADVER_CATCH_UP_MS = 5;

/** An address in the text form the VRRP parser produces (dotted quad / RFC 5952), for set lookups. */
function wireForm(a: string): string {
  const v4 = ipv4ToBytes(a);
  if (v4) return bytesToIpv4(v4);
  const v6 = ipv6ToBytes(a);
  return v6 ? bytesToIpv6(v6) : a;
}

/** A running instance. */
export class VrrpInstanceRunner {
  fsm: VrrpFsm;
  readonly stats: InstanceStats = {
    advertRcvd: 0, advertSent: 0, becomeMaster: 0, releaseMaster: 0, packetLenErr: 0, ipTtlErr: 0, invalidType: 0,
    advertIntervalErr: 0, addrListErr: 0, invalidAuthType: 0, authTypeMismatch: 0, authFailure: 0, pri0Rcvd: 0, pri0Sent: 0, otherErr: 0,
  };
  readonly log: Logger;
  /** Source address of the last advert for our VRID from another router (SNMP's master address). */
  lastAdvertSrc = "";
  readonly family: "ipv4" | "ipv6";
  readonly vips: readonly string[];
  /** Our VIPs in wire text form, to check an advert's address list without sorting (RFC 5798 §7.1). */
  readonly #vipSet: ReadonlySet<string>;
  readonly #timers = new Map<TimerKind | "garp" | "garpLower", TimerHandle>();
  readonly #advert: AdvertBuilder;
  /** Addresses, routes, rules and the drop rule in the kernel (vip-apply.ts). */
  readonly #vips: VipApplier;
  /** Set by the runtime when the instance is in a vrrp_sync_group. */
  group: SyncMembership | undefined;
  /** Why its sockets cannot be used (it is FAULT for it until they can); set by the runtime. */
  socketFault: string | undefined;
  /** The last advert accepted from another router (scheduler ms), for `keepalived ctl`. */
  heard: { address: string; priority: number; at: number } | undefined;
  /** The last transition (scheduler ms), for `keepalived ctl status`. */
  lastTransition: { from: VrrpState; to: VrrpState; reason: string; at: number } | undefined;
  /** Told when `heard` names another router or priority, and after each transition. */
  onControlChange: (() => void) | undefined;

  constructor(readonly cfg: VrrpInstance, public place: InstancePlace, readonly env: InstanceEnv, readonly targets: NotifyTargets, priority: number) {
    this.log = env.log.with(`(${cfg.name}) `);
    this.family = cfg.family === "inet6" ? "ipv6" : "ipv4";
    this.vips = cfg.virtualIpaddresses.map((v) => v.address);
    this.#vipSet = new Set(this.vips.map(wireForm));
    this.#advert = new AdvertBuilder(cfg, this.family, this.vips);
    this.#vips = new VipApplier(cfg, () => this.place, env, this.log);
    this.fsm = initialFsm({
      version: cfg.version,
      advertIntervalCs: Math.round(cfg.advertIntMs / 10),
      primaryAddress: place.src,
      preempt: !cfg.nopreempt,
      preemptDelayMs: cfg.preemptDelayMs,
      acceptMode: cfg.accept,
      initialStateMaster: cfg.initialState === "MASTER",
      downTimerAdverts: cfg.downTimerAdverts,
      lowerPrioNoAdvert: cfg.lowerPrioNoAdvert,
      higherPrioSendAdvert: cfg.higherPrioSendAdvert,
      syncGroup: cfg.syncGroup !== null,
    }, priority);
  }

  /** Its sockets moved (a source address found after a socket FAULT): the new place, same state. */
  moveTo(place: InstancePlace): void {
    this.place = place;
    this.fsm = { ...this.fsm, config: { ...this.fsm.config, primaryAddress: place.src } };
  }

  /** The current state. */
  get state(): VrrpState {
    return this.fsm.state;
  }

  /** Runs one event through the machine and performs its actions; `at`: when it happened (default now). */
  handle(e: VrrpEvent, at?: number): void {
    const before = this.fsm.state;
    if (e.type === "advertReceived") this.#heard(e.srcAddress, e.priority, at ?? this.env.sched.now());
    const { next, actions } = step(this.fsm, e, at ?? this.env.sched.now());
    this.fsm = next;
    for (const a of actions) this.#perform(a);
    if (this.group && next.state !== before) this.group.transition(this, before, next.state);
    if (this.group && actions.some((a) => a.type === "syncWantMaster")) this.group.wantMaster(this);
  }

  #heard(address: string, priority: number, at: number): void {
    const h = this.heard;
    if (h && h.address === address && h.priority === priority) {
      h.at = at;
      return;
    }
    this.heard = { address, priority, at };
    this.onControlChange?.();
  }

  /** Starts the instance (INIT -> BACKUP, or MASTER for an owner). */
  start(): void {
    this.handle({ type: "startup" });
  }

  /** Stops: priority-0 advert if MASTER, VIPs removed (unless `keepVips`), notify STOP, timers cancelled. */
  stop(keepVips = false): void {
    const was = this.fsm.state;
    if (keepVips) this.#vips.installed = false;
    this.handle({ type: "shutdown" });
    if (was === "MASTER" && this.#vips.installed) {
      this.#removeVips();
      this.#vips.firewall("unblock");
    }
    for (const t of this.#timers.values()) this.env.sched.cancel(t);
    this.#timers.clear();
  }

  /** A new effective priority and fault state from the trackers. */
  setPriority(priority: number, fault: boolean): void {
    if (fault !== this.fsm.fault) this.handle({ type: "faultChanged", fault });
    if (priority === this.fsm.priority) return;
    this.log.info(`Changing effective priority from ${this.fsm.priority} to ${priority}`);
    this.handle({ type: "priorityChanged", priority });
    // notify_priority_changes / vrrp_notify_priority_changes: keepalived 2.2.7 tells the FIFOs only.
    const state = this.fsm.state;
    if (this.cfg.notify.priorityChanges && state !== "INIT" && state !== "STOP") {
      this.env.notifier().priorityChanged(this.targets, state, priority);
    }
    // The parent follows effective priorities too (metrics, bgp_announce's announce_backup metric).
    this.env.report(this.fsm.state, this.fsm.priority);
  }

  /**
   * The verdict on the last advert, for an identical one (VrrpTransport.drain): the same bytes from the
   * same sender give the same verdict while the configuration and the place stay, so a Backup hearing
   * its master does not parse, checksum and compare every advert again. Only accepted adverts are kept.
   */
  #memo: { place: InstancePlace; event: VrrpEvent; pri0: boolean; addrErr: boolean } | undefined;

  /** Whether `replay` can stand for receiving the last advert again. */
  canReplay(): boolean {
    return this.#memo !== undefined && this.#memo.place === this.place;
  }

  /** Receives the last advert again (see canReplay), as received by the kernel at `at`. */
  replay(at?: number): void {
    const m = this.#memo!;
    this.stats.advertRcvd++;
    if (m.pri0) this.stats.pri0Rcvd++;
    if (m.addrErr) this.stats.addrListErr++;
    const now = at ?? this.env.sched.now(), e = m.event;
    // A Backup hearing its master: only the Master_Down_Timer moves (replay-shortcut.ts).
    const atMs = this.#shortcut.deadline(this.fsm, e, now);
    if (atMs !== undefined && e.type === "advertReceived" && this.env.sched.reschedule(this.#timers.get("Master_Down_Timer"), atMs)) {
      return this.#heard(e.srcAddress, e.priority, now);
    }
    this.handle(e, now);
    this.#shortcut.learn(this.fsm, e, now);
  }

  readonly #shortcut = new ReplayShortcut();

  /** A packet from this instance's transport whose VRID byte matches ours. */
  receive(p: RxPacket): void {
    this.#memo = undefined;
    const cfg = this.cfg;
    if (p.src === this.place.src) return; // our own advert looped back
    let msg = p.payload;
    if (cfg.auth?.type === "AH") {
      const ah = parseAhPacket(p.ahDatagram ?? new Uint8Array(), cfg.auth.password);
      if (!ah.ok) return this.#drop("authFailure", ah.reason, p.src);
      msg = ah.value.vrrp;
    }
    const unicast = cfg.unicastPeers.length > 0;
    const peer = unicast ? cfg.unicastPeers.find((u) => u.address === p.src) : undefined;
    if (unicast && cfg.checkUnicastSrc && !peer) return this.#drop("otherErr", `advert from ${p.src}, not a unicast peer`, p.src);
    const ttlRange: [number, number] = peer && (peer.minTtl !== null || peer.maxTtl !== null)
      ? [peer.minTtl ?? 0, peer.maxTtl ?? 255]
      : unicast ? [0, 255] : [255, 255];
    const parsed = parseVrrp(msg, {
      family: this.family, version: cfg.version, ttl: p.ttl, ttlRange, src: p.src, dst: p.dst,
      auth: advertAuth(cfg), v3ChecksumAsV2: cfg.oldUnicastChecksum && unicast,
    });
    if (!parsed.ok) {
      const r = parsed.reason;
      const kind: keyof InstanceStats = /^(ttl|hop limit)/.test(r) ? "ipTtlErr" : /^(length|truncated)/.test(r) ? "packetLenErr"
        : /^type|^version/.test(r) ? "invalidType" : /^auth type [0-2] /.test(r) ? "authTypeMismatch" : /^auth type/.test(r) ? "invalidAuthType" : /^auth/.test(r) ? "authFailure" : "otherErr";
      return this.#drop(kind, r, p.src);
    }
    const adv = parsed.value;
    if (adv.vrid !== cfg.vrid) return; // another instance's advert on a shared socket
    this.lastAdvertSrc = p.src;
    this.stats.advertRcvd++;
    if (adv.priority === 0) this.stats.pri0Rcvd++;
    if (cfg.version === 2 && adv.advertIntervalCs !== Math.round(cfg.advertIntMs / 10)) {
      return this.#drop("advertIntervalErr", `advert interval ${adv.advertIntervalCs / 100} s != ours ${cfg.advertIntMs / 1000} s`, p.src);
    }
    const matches = cfg.skipCheckAdvAddr || this.#sameAddresses(adv.addresses);
    if (!matches) this.stats.addrListErr++;
    const event: VrrpEvent = { type: "advertReceived", priority: adv.priority, advertIntervalCs: adv.advertIntervalCs, srcAddress: p.src, addressListMatches: matches };
    if (!cfg.auth || cfg.auth.type !== "AH") this.#memo = { place: this.place, event, pri0: adv.priority === 0, addrErr: !matches };
    this.handle(event, p.at);
  }

  /** The advert lists exactly our VIPs (any order; a repeated address does not count twice). */
  #sameAddresses(list: readonly string[]): boolean {
    if (list.length !== this.vips.length) return false;
    const seen = new Set<string>();
    for (const a of list) {
      if (!this.#vipSet.has(a)) return false;
      seen.add(a);
    }
    return seen.size === this.#vipSet.size;
  }

  #drop(kind: keyof InstanceStats, reason: string, src: string): void {
    this.stats[kind]++;
    this.env.badPackets.warnWith(`${this.cfg.name}:${kind}`, () => `(${this.cfg.name}) dropped advert from ${src}: ${reason}`);
  }

  #perform(a: VrrpAction): void {
    switch (a.type) {
      case "sendAdvert":
        return this.#sendAdvert(a.priority);
      case "setTimer": {
        // Moved at once, even for a Backup hearing its master 1,000 times a second: moving a heap entry
        // costs far less than the wake-up of a timer left to fire early and re-arm itself.
        if (this.env.sched.reschedule(this.#timers.get(a.timer), a.atMs)) return;
        return this.#arm(a.timer, a.atMs);
      }
      case "cancelTimer":
        this.env.sched.cancel(this.#timers.get(a.timer));
        this.#timers.delete(a.timer);
        return;
      case "addVips":
        if (!a.accept) this.#vips.firewall("block");
        return this.#vips.add();
      case "removeVips":
        this.#removeVips();
        return this.#vips.firewall("unblock");
      case "sendGratuitous":
        return a.reason === "becameMaster" ? this.#garpRounds() : this.#lowerPrioRounds();
      case "notify":
        return this.#notify(a.state);
      case "masterRxLowerPri":
        this.log.info(`received lower priority (${a.priority}) advert from ${a.srcAddress}`);
        this.env.masterRxLowerPri?.(a.priority, a.srcAddress);
        return;
      case "syncWantMaster":
        this.log.info("Receive advertisement timeout");
        return;
      case "dropAdvert":
        return this.#drop("otherErr", a.reason, "peer");
      case "logTransition":
        if (a.to === "MASTER") this.stats.becomeMaster++;
        if (a.from === "MASTER") this.stats.releaseMaster++;
        this.lastTransition = { from: a.from, to: a.to, reason: a.reason, at: this.env.sched.now() };
        this.onControlChange?.();
        this.env.log.info(transitionLogLine(this.cfg.name, a.to, a.reason));
        return;
    }
  }

  #arm(kind: TimerKind, atMs: number): void {
    const h = this.env.sched.at(atMs, () => {
      if (this.#timers.get(kind) !== h) return;
      this.#timers.delete(kind);
      if (kind === "Master_Down_Timer" && this.env.drainRx) {
        this.env.drainRx(); // a queued advert from the master counts before the silence does
        if (this.#timers.has(kind)) return;
      }
      if (kind === "Adver_Timer") {
        // The next advert is due one interval after this one's deadline, not after the wake: a wake a
        // little late (or early, in a batch) then does not shift every later advert. After a stall, from now.
        const now = this.env.sched.now();
        return this.handle({ type: "adverTimerExpired" }, now - atMs < ADVER_CATCH_UP_MS ? atMs : now);
      }
      this.handle({ type: kind === "Master_Down_Timer" ? "masterDownTimerExpired" : "preemptDelayExpired" });
    });
    this.#timers.set(kind, h);
  }

  /**
   * Sends an advert to every destination. Regular adverts are queued (one sendmmsg for every instance due
   * in the wake); a priority-0 advert goes at once, as the instance may be stopping.
   */
  #sendAdvert(priority: number): void {
    const b = this.#advert;
    const queue = priority > 0 ? this.env.queue : undefined;
    for (const dst of b.dsts) {
      try {
        const data = b.datagram(priority, this.place.src, dst);
        if (queue) queue(data, dst, this.#sendFailed);
        else this.env.send(data, dst);
        this.stats.advertSent++;
        if (priority === 0) this.stats.pri0Sent++;
      } catch (e) {
        this.#warnSend(e as Error, dst);
      }
    }
  }

  /** A queued advert the kernel refused: not sent after all. */
  readonly #sendFailed = (e: Error, dst: string): void => {
    this.stats.advertSent--;
    this.#warnSend(e, dst);
  };

  /** Logs a failed send (rate limited) and lets the runtime tell an unusable socket from a passing error. */
  #warnSend(e: Error, dst: string): void {
    this.env.badPackets.warn(`${this.cfg.name}:send`, `(${this.cfg.name}) cannot send advert to ${dst}: ${e.message}`);
    this.env.sendFailed?.(e);
  }

  /** The address requests for our VIPs (and excluded addresses). */
  addrRequests(): AddrRequest[] {
    return this.#vips.requests();
  }

  #removeVips(): void {
    this.#vips.remove();
    this.env.sched.cancel(this.#timers.get("garp"));
    this.env.sched.cancel(this.#timers.get("garpLower"));
    this.#timers.delete("garpLower");
  }

  /** A VIP vanished: while MASTER someone else deleted it, and it is put back (vip-apply.ts). */
  vipDeleted(address: string): void {
    this.#vips.vipDeleted(address, this.fsm.state === "MASTER");
  }

  /** One announcement round on request (D-Bus SendGarp), while MASTER. */
  sendGarp(): void {
    if (this.fsm.state !== "MASTER") return;
    this.log.info("Sending gratuitous ARP/NA on D-Bus request");
    this.#announceRound(1);
  }

  /** A route vanished: one of our virtual routes is put back while MASTER (vip-apply.ts). */
  routeDeleted(gone: RouteGone): void {
    this.#vips.routeDeleted(gone, this.fsm.state === "MASTER");
  }

  /** garp_master_repeat announcements now, again after garp_master_delay, then every garp_master_refresh. */
  #garpRounds(): void {
    const c = this.cfg;
    this.#announceRound(c.garpMasterRepeat);
    const later = (delayMs: number, repeat: number, then?: () => void) => {
      this.#timers.set("garp", this.env.sched.after(delayMs, () => {
        if (this.fsm.state !== "MASTER") return;
        this.#announceRound(repeat);
        then?.();
      }));
    };
    const refresh = () => {
      if (c.garpMasterRefreshMs > 0) later(c.garpMasterRefreshMs, c.garpMasterRefreshRepeat, refresh);
    };
    if (c.garpMasterDelayMs > 0) later(c.garpMasterDelayMs, c.garpMasterRepeat, refresh);
    else refresh();
  }

  /** garp_lower_prio_repeat announcements now and again after garp_lower_prio_delay. */
  #lowerPrioRounds(): void {
    const c = this.cfg;
    this.#announceRound(c.garpLowerPrioRepeat);
    if (c.garpLowerPrioDelayMs <= 0 || this.#timers.has("garpLower")) return;
    this.#timers.set("garpLower", this.env.sched.after(c.garpLowerPrioDelayMs, () => {
      this.#timers.delete("garpLower");
      if (this.fsm.state === "MASTER") this.#announceRound(c.garpLowerPrioRepeat);
    }));
  }

  #announceRound(times: number): void {
    const repeat = Math.max(1, times);
    for (let i = 0; i < repeat; i++) {
      for (const v of this.cfg.virtualIpaddresses) {
        const ifindex = v.dev ? this.env.ifindex(v.dev) : this.place.ifindex;
        try {
          if (v.family === "inet") this.env.announcer.garp(ifindex, this.place.mac, v.address);
          else this.env.announcer.na(ifindex, this.place.mac, v.address, false);
        } catch (e) {
          this.env.badPackets.warn(`${this.cfg.name}:garp`, `(${this.cfg.name}) cannot announce ${v.address}: ${(e as Error).message}`);
        }
      }
    }
  }

  #notify(state: VrrpState): void {
    this.env.report(state, this.fsm.priority);
    if (state === "INIT") return;
    void this.env.notifier().notify(this.targets, state, this.fsm.priority);
  }
}


