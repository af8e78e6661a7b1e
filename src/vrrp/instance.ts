/**
 * One running VRRP instance: the pure state machine (src/vrrp/fsm.ts) plus the side effects its actions
 * name: adverts (RFC 5798 §5, RFC 3768 §5, IPSEC-AH for v2), RFC timers on the injected scheduler,
 * virtual addresses (vip-apply.ts), gratuitous ARP / unsolicited NA rounds (garp-rounds.ts), notify
 * scripts and FIFO, and per-instance counters. Receive path: each packet is judged and counted in
 * receive.ts before the machine sees the advert.
 */
import type { VrrpInstance } from "../config/model.ts";
import type { Logger, RateLimitedLog } from "../core/log.ts";
import type { Scheduler } from "../core/scheduler.ts";
import { AdvertBuilder } from "./advert.ts";
import { initialFsm, PRIORITY_OWNER, reasonText, step, transitionDebugLine, transitionLogLine } from "./fsm.ts";
import type { SessionDropReason, TimerKind, VrrpAction, VrrpEvent, VrrpFsm, VrrpState } from "./fsm.ts";
import { countVerdict, type InstanceStats, judgeAdvert, newStats, type ReceiveContext, receiveContext, type RxVerdict, type VrrpRxReason } from "./receive.ts";
import type { Announcer } from "./garp.ts";
import type { NetKernel, RouteGone } from "./netkernel.ts";
import type { Notifier, NotifyTargets } from "./notify.ts";
import type { RxPacket } from "./transport.ts";
import type { AddrRequest } from "../proto/rtnl-addr.ts";
import type { Firewall } from "./firewall.ts";
import { VipApplier } from "./vip-apply.ts";
import { GarpRounds } from "./garp-rounds.ts";
import { lateMasterYields } from "./late-master.ts";
import { ADVER_TICK, AdverShortcut, ReplayShortcut } from "./replay-shortcut.ts";
import { InstanceTimers } from "./instance-timers.ts";

export type { InstanceStats } from "./receive.ts";

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
  /** MAC of an interface by name (a VIP on another interface is announced from that interface's MAC). */
  ifmac?(name: string): string | undefined;
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
  /** Someone deleted a tracked VIP of our MASTER member `r`: every MASTER member resigns and re-elects. */
  vipDeleted(r: VrrpInstanceRunner): void;
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
/**
 * An advert may go out up to a tenth of its interval, at most this many ms, early to share the wake of
 * another instance's (TimerOpts.slackMs): 100 MASTER instances whose deadlines are spread over the
 * interval then cost a few wakes per interval, not one each. One that did restarts its interval from
 * then (it ran more than ADVER_SHARED_MS early), so it keeps sharing that wake: only that one interval
 * is shorter.
 */
const ADVER_SLACK_MAX_MS = 10, ADVER_SHARED_MS = 1;

/** A running instance. */
export class VrrpInstanceRunner {
  fsm: VrrpFsm;
  readonly stats: InstanceStats = newStats();
  readonly log: Logger;
  /** Source address of the last advert for our VRID from another router (SNMP's master address). */
  lastAdvertSrc = "";
  readonly family: "ipv4" | "ipv6";
  readonly vips: readonly string[];
  /** What the receive path judges an advert against (receive.ts). */
  readonly #rx: ReceiveContext;
  readonly #timers: InstanceTimers;
  /** Gratuitous ARP / NA rounds while MASTER (garp-rounds.ts). */
  readonly #garp: GarpRounds;
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
    this.family = cfg.family === "ipv6" ? "ipv6" : "ipv4";
    this.vips = cfg.virtualIpaddresses.map((v) => v.address);
    this.#rx = receiveContext(cfg, this.family);
    this.#timers = new InstanceTimers(env.sched, (kind, atMs) => this.#expired(kind, atMs));
    this.#advert = new AdvertBuilder(cfg, this.family, this.vips);
    this.#vips = new VipApplier(cfg, () => this.place, env, this.log);
    this.#garp = new GarpRounds(cfg, env, () => this.place, () => this.fsm.state === "MASTER");
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
    this.#timers.cancelAll();
    this.#garp.cancel();
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
  #memo: { place: InstancePlace; verdict: Extract<RxVerdict, { kind: "accepted" }> } | undefined;

  /** Whether `replay` can stand for receiving the last advert again. */
  canReplay(): boolean {
    return this.#memo !== undefined && this.#memo.place === this.place;
  }

  /** Receives the last advert again (see canReplay), as received by the kernel at `at`. */
  replay(at?: number): void {
    const v = this.#memo!.verdict;
    countVerdict(this.stats, v);
    if (this.cfg.timerExpiredBackup !== null) this.#late();
    const now = at ?? this.env.sched.now(), e = v.event;
    // A Backup hearing its master: only the Master_Down_Timer moves (replay-shortcut.ts).
    const atMs = this.#shortcut.deadline(this.fsm, e, now);
    if (atMs !== undefined && this.#timers.move("Master_Down_Timer", atMs)) {
      return this.#heard(e.srcAddress, e.priority, now);
    }
    this.handle(e, now);
    this.#shortcut.learn(this.fsm, e, now);
  }

  readonly #shortcut = new ReplayShortcut();

  /** A packet from this instance's transport whose VRID byte matches ours: judged, counted, acted on. */
  receive(p: RxPacket): void {
    this.#memo = undefined;
    const v = judgeAdvert(this.#rx, p, this.place.src);
    if (v.kind !== "ignored" && v.advert && this.cfg.ownerIgnoreAdverts && this.cfg.priority === PRIORITY_OWNER) {
      // vrrp_owner_ignore_adverts: the address owner stays MASTER whatever it hears.
      this.stats.advertRcvd++;
      this.lastAdvertSrc = p.src;
      const name = this.cfg.name;
      return this.env.badPackets.warnWith(`${name}:owner`, () => `(${name}) Dropping received advert(s) from ${p.src} since we are address owner`);
    }
    countVerdict(this.stats, v);
    if (v.kind === "ignored") return;
    if (v.advert) this.lastAdvertSrc = p.src;
    if (v.kind === "dropped") return this.#logDrop(v.reason, v.detail, p.src);
    if (this.cfg.auth?.type !== "AH") this.#memo = { place: this.place, verdict: v };
    if (this.cfg.timerExpiredBackup !== null) this.#late();
    this.handle(v.event, p.at);
  }

  /** A dropped advert: one rate-limited line per reason (a flood builds no strings). */
  #logDrop(reason: VrrpRxReason | SessionDropReason, detail: string, src: string): void {
    const name = this.cfg.name;
    this.env.badPackets.warnWith(`${name}:${reason}`, () => `(${name}) dropped advert from ${src}: ${detail}`);
  }

  #perform(a: VrrpAction): void {
    switch (a.type) {
      case "sendAdvert":
        this.#sendAdvert(a.priority);
        if (a.priority === 0) this.log.debug("sent 0 priority"); // keepalived 2.2.7's -D line
        return;
      case "setTimer":
        return this.#setTimer(a.timer, a.atMs);
      case "cancelTimer":
        if (a.timer === "Adver_Timer") this.#adverDueMs = undefined;
        return this.#timers.cancel(a.timer);
      case "addVips":
        this.#logVips("setting");
        if (!a.accept) this.#vips.firewall("block");
        return this.#vips.add();
      case "removeVips":
        this.#logVips("removing");
        this.#removeVips();
        return this.#vips.firewall("unblock");
      case "sendGratuitous":
        return a.reason === "becameMaster" ? this.#garp.becameMaster() : this.#garp.lowerPriority();
      case "notify":
        return this.#notify(a.state);
      case "masterRxLowerPri":
        this.log.info(`received lower priority (${a.priority}) advert from ${a.srcAddress}`);
        this.env.masterRxLowerPri?.(a.priority, a.srcAddress);
        return;
      case "syncWantMaster": // the group decides (sync-group.ts); the timeout was logged when the timer fired
        return;
      case "dropAdvert": // counted by the receive path (addrListErr)
        return this.#logDrop(a.reason, a.detail, a.srcAddress);
      case "logTransition":
        if (a.to === "MASTER") this.stats.becomeMaster++;
        if (a.from === "MASTER") this.stats.releaseMaster++;
        this.lastTransition = { from: a.from, to: a.to, reason: reasonText(a), at: this.env.sched.now() };
        this.onControlChange?.();
        this.env.log.info(transitionLogLine(this.cfg.name, a.to, a.reason));
        this.env.log.debug(transitionDebugLine(this.cfg.name, a));
        return;
    }
  }

  /** keepalived 2.2.7's -D lines: "(VI_1) setting VIPs." and, with excluded addresses, "(VI_1) setting E-VIPs.". */
  #logVips(what: "setting" | "removing"): void {
    if (this.cfg.virtualIpaddresses.length > 0) this.log.debug(`${what} VIPs.`);
    if (this.cfg.virtualIpaddressesExcluded.length > 0) this.log.debug(`${what} E-VIPs.`);
  }

  /** When the running Adver_Timer is due (scheduler ms), for timer_expired_backup. */
  #adverDueMs: number | undefined;

  /**
   * timer_expired_backup: a MASTER whose advert is overdue so long that another router may have taken over
   * goes BACKUP (late-master.ts). Checked when the timer fires and before a received advert, which may be
   * read first after the stall.
   */
  #late(): boolean {
    const due = this.#adverDueMs;
    if (this.fsm.state !== "MASTER" || due === undefined) return false;
    const now = this.env.sched.now();
    if (!lateMasterYields(this.fsm.config, this.cfg.timerExpiredBackup, due, now)) return false;
    this.log.info(`advert timer ran ${Math.round(now - due)} ms late: another router may be master (timer_expired_backup)`);
    this.handle({ type: "lateMaster" });
    return true;
  }

  /**
   * Arms or moves a timer at once, even for a Backup hearing its master 1,000 times a second: moving a
   * heap entry costs far less than the wake-up of a timer left to fire early and re-arm itself. An
   * Adver_Timer may run early to share a wake (ADVER_SLACK_MAX_MS); advertIntervalCs is a tenth of the
   * interval in ms.
   */
  #setTimer(kind: TimerKind, atMs: number): void {
    if (kind !== "Adver_Timer") return this.#timers.set(kind, atMs);
    this.#adverDueMs = atMs;
    this.#timers.set(kind, atMs, Math.min(ADVER_SLACK_MAX_MS, this.fsm.config.advertIntervalCs));
  }

  readonly #tick = new AdverShortcut();

  /** A timer armed for `atMs` ran out. */
  #expired(kind: TimerKind, atMs: number): void {
    if (kind === "Master_Down_Timer" && this.env.drainRx) {
      this.env.drainRx(); // a queued advert from the master counts before the silence does
      if (this.#timers.has(kind)) return;
    }
    // keepalived 2.2.7 logs this under -D only, sync group member or not.
    if (kind === "Master_Down_Timer") this.log.debug("Receive advertisement timeout");
    if (kind !== "Adver_Timer") return this.handle({ type: kind === "Master_Down_Timer" ? "masterDownTimerExpired" : "preemptDelayExpired" });
    // The next advert is due one interval after this one's deadline, not after the wake: a wake a little
    // late (or early, in a batch) then does not shift every later advert. After a stall, or when it
    // shared an earlier wake, from now.
    const now = this.env.sched.now();
    if (this.#late()) return;
    const base = now - atMs >= ADVER_CATCH_UP_MS || atMs - now > ADVER_SHARED_MS ? now : atMs;
    // The same state object as the last tick: the same advert and re-arm, without a step (AdverShortcut).
    const next = this.#tick.deadline(this.fsm, base);
    if (next !== undefined) {
      this.#sendAdvert(this.#tick.priority);
      return this.#setTimer("Adver_Timer", next);
    }
    const before = this.fsm;
    this.handle(ADVER_TICK, base);
    if (this.fsm === before) this.#tick.learn(before, base);
  }

  /**
   * Sends an advert to every destination. Regular adverts are queued (one sendmmsg for every instance due
   * in the wake); a priority-0 advert goes at once, as the instance may be stopping.
   */
  #sendAdvert(priority: number): void {
    const b = this.#advert, dsts = b.dsts;
    const queue = priority > 0 ? this.env.queue : undefined;
    for (let i = 0; i < dsts.length; i++) {
      const dst = dsts[i]!;
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
    this.#garp.cancel();
  }

  /**
   * A VIP vanished. One of our tracked VIPs deleted by someone else while MASTER makes the instance (in a
   * sync group: every MASTER member) resign and re-elect, as keepalived 2.2.7 does (fsm.ts vipDeleted).
   */
  vipDeleted(address: string, index: number): void {
    const dev = this.#vips.vipDeleted(address, index, this.fsm.state === "MASTER");
    if (dev === undefined) return;
    this.env.log.info(`Netlink reflector reports IP ${address} removed from ${dev}`);
    if (this.group) this.group.vipDeleted(this);
    else this.handle({ type: "vipDeleted" });
  }

  /** One announcement round on request (D-Bus SendGarp), while MASTER. */
  sendGarp(): void {
    if (this.fsm.state !== "MASTER") return;
    this.log.info("Sending gratuitous ARP/NA on D-Bus request");
    this.#garp.round(1);
  }

  /** A route vanished: one of our virtual routes is put back while MASTER (vip-apply.ts). */
  routeDeleted(gone: RouteGone): void {
    this.#vips.routeDeleted(gone, this.fsm.state === "MASTER");
  }

  #notify(state: VrrpState): void {
    this.env.report(state, this.fsm.priority);
    if (state === "INIT") return;
    void this.env.notifier().notify(this.targets, state, this.fsm.priority);
  }
}
