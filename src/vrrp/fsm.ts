/**
 * VRRP instance state machine as a pure function `step(fsm, event, nowMs) -> { next, actions }`; its
 * states, events, actions and reasons are in fsm-types.ts (re-exported here).
 * RFC 5798 §6.1 (Skew_Time, Master_Down_Interval), §6.4.1 Initialize, §6.4.2 Backup, §6.4.3 Master;
 * RFC 3768 §6.1 / §6.4 for VRRPv2 (Skew_Time in seconds, no interval learning, §7.1 advert interval
 * must match). keepalived 2.2.7 behaviour on top, checked by running it in namespaces:
 * - FAULT (tracked things failed; event from outside) and STOP (instance stopping).
 * - `state MASTER` only matters for the address owner (priority 255): it goes MASTER at startup;
 *   everyone else (and an owner configured BACKUP) starts in BACKUP and waits Master_Down_Interval.
 * - preempt_delay is added to the startup Master_Down_Timer and delays preempting a lower-priority
 *   master; nopreempt keeps a lower-priority master.
 * - A MASTER that receives a lower-priority advert sends one at once (unless lowerPrioNoAdvert) and
 *   re-sends gratuitous ARP/NA (observed: "forcing new election");
 *   a higher priority (or equal priority from a higher primary address) makes it BACKUP.
 * - Entering FAULT or STOP from MASTER sends a priority-0 advert; leaving FAULT always enters BACKUP
 *   (even an owner, as keepalived 2.2.7 does) and waits Master_Down_Interval.
 * - vrrp_sync_group members (config.syncGroup): a member whose Master_Down_Timer (or preempt delay)
 *   runs out does not become MASTER on its own; it asks the group (action syncWantMaster) and stays
 *   BACKUP, re-arming the timer ("Receive advertisement timeout" in keepalived), until the group says
 *   MASTER. The group (src/vrrp/sync-group.ts) moves members with the syncGroup event; a member in FAULT
 *   because of the group (groupFault) stays there when its own trackers recover.
 * Timers are deadlines in ms on the caller's monotonic clock; the runner performs the actions.
 *
 * Next states (TABLE below; an event missing from a state's row is ignored there, e.g. a stale timer).
 * "kad" = keepalived's behaviour beyond the RFC; "any" = INIT, BACKUP, MASTER and FAULT.
 *   state    event                  condition: actions                                    next    RFC 5798
 *   INIT     startup                a tracker is failing                                  FAULT   kad
 *   INIT     startup                owner (255) with `state MASTER`: advert, GARP         MASTER  §6.4.1
 *   INIT     startup                else: Master_Down_Timer (+ preempt_delay)             BACKUP  §6.4.1
 *   INIT     faultChanged           remembered for startup                                INIT    kad
 *   BACKUP   Master_Down_Timer      advert, VIPs, GARP, Adver_Timer (sync group: ask it)  MASTER  §6.4.2
 *   BACKUP   Preempt_Delay_Timer    a preemption is pending (sync group: ask it)          MASTER  kad
 *   BACKUP   advert priority 0      Master_Down_Timer := Skew_Time                        BACKUP  §6.4.2
 *   BACKUP   advert >= ours         or nopreempt: restart Master_Down_Timer (v3: learn)   BACKUP  §6.4.2
 *   BACKUP   advert lower           discard (preempt_delay: Preempt_Delay_Timer)          BACKUP  §6.4.2
 *   MASTER   Adver_Timer            advert, restart Adver_Timer                           MASTER  §6.4.3
 *   MASTER   advert priority 0      advert, restart Adver_Timer                           MASTER  §6.4.3
 *   MASTER   advert higher          or equal from a higher address: drop VIPs, MD_Timer   BACKUP  §6.4.3
 *   MASTER   advert lower           answer at once (unless lower_prio_no_advert), GARP    MASTER  kad
 *   MASTER   yieldMaster            operator failover: priority-0 advert, drop VIPs       BACKUP  kad
 *   MASTER   lateMaster             timer_expired_backup: Adver_Timer woke too late       BACKUP  kad
 *   MASTER   vipDeleted             priority-0 advert, drop VIPs, MD_Timer := Skew_Time   BACKUP  kad
 *   BACKUP   faultChanged (fault)   stop the timers                                       FAULT   kad
 *   MASTER   faultChanged (fault)   priority-0 advert, drop VIPs                          FAULT   kad
 *   FAULT    faultChanged (clear)   unless in FAULT for the sync group (then stays)       BACKUP  kad
 *   BACKUP   syncGroup MASTER/FAULT as the group says (see onSync)                        S       kad
 *   MASTER   syncGroup BACKUP/FAULT as the group says (see onSync)                        S       kad
 *   FAULT    syncGroup BACKUP       own trackers fine: leaves the group's FAULT           BACKUP  kad
 *   FAULT    syncGroup MASTER       ends the group's FAULT only (a member goes via BACKUP) FAULT   kad
 *   FAULT    advert                 ignored                                               FAULT
 *   any      shutdown               MASTER: priority-0 advert, drop VIPs                  STOP    §6.4.2-3
 *   any      priorityChanged        new effective priority                                same
 *   B/M      advert, address list differs and the sender is not the owner: dropped        same    §7.1
 * RFC 5798's Shutdown goes back to Initialize; keepalived's stopping instance ends in STOP instead.
 * The VRRPv2 Advertisement Interval check (RFC 3768 §7.1) is the receive path's (src/vrrp/receive.ts).
 * Every transition carries a TransitionReason; the runner logs keepalived's "(VI_1) Entering MASTER
 * STATE" and, under -D, transitionDebugLine's "(VI_1) BACKUP -> MASTER: Master_Down_Timer expired".
 */
import { ipv4ToBytes } from "../proto/ipv4.ts";
import { ipv6ToBytes } from "../proto/ipv6.ts";

export { PRIORITY_OWNER, PRIORITY_STOP, reasonText, STATE_NAMES, transitionDebugLine, transitionLogLine } from "./fsm-types.ts";
export type {
  AdvertEvent,
  SessionDropReason,
  StepResult,
  TimerKind,
  TransitionReason,
  VrrpAction,
  VrrpEvent,
  VrrpFsm,
  VrrpFsmConfig,
  VrrpState,
} from "./fsm-types.ts";
import {
  PRIORITY_OWNER,
  PRIORITY_STOP,
  type StepResult,
  type TransitionReason,
  type VrrpAction,
  type VrrpEvent,
  type VrrpFsm,
  type VrrpFsmConfig,
  type VrrpState,
} from "./fsm-types.ts";

/** Defaults for optional config fields. */
export const FSM_DEFAULTS = {
  preempt: true,
  preemptDelayMs: 0,
  acceptMode: true,
  initialStateMaster: false,
  downTimerAdverts: 3,
  lowerPrioNoAdvert: false,
  higherPrioSendAdvert: false,
  syncGroup: false,
} as const;

/** A machine in INIT for `config` with effective priority `priority`. */
export function initialFsm(
  config: Pick<VrrpFsmConfig, "version" | "advertIntervalCs" | "primaryAddress"> & Partial<VrrpFsmConfig>,
  priority: number,
): VrrpFsm {
  const full: VrrpFsmConfig = { ...FSM_DEFAULTS, ...config };
  return {
    config: full,
    state: "INIT",
    priority,
    masterAdverIntervalCs: full.advertIntervalCs,
    fault: false,
    preemptPending: false,
    wantMaster: false,
    groupFault: false,
  };
}

/** Skew_Time in ms: v3 ((256 - Priority) * Master_Adver_Interval) / 256; v2 (256 - Priority) / 256 s. */
export function skewTimeMs(version: 2 | 3, priority: number, masterAdverIntervalCs: number): number {
  const cs = version === 3 ? ((256 - priority) * masterAdverIntervalCs) / 256 : (256 - priority) * 100 / 256;
  return Math.floor(cs * 10);
}

/** Master_Down_Interval in ms: down_timer_adverts (3) * Master_Adver_Interval + Skew_Time. */
export function masterDownIntervalMs(f: VrrpFsm): number {
  const adverCs = f.config.version === 3 ? f.masterAdverIntervalCs : f.config.advertIntervalCs;
  return f.config.downTimerAdverts * adverCs * 10 + skewTimeMs(f.config.version, f.priority, adverCs);
}

/** Compares two addresses of one family numerically: < 0, 0, > 0 (unparsable sorts lowest). */
export function compareAddresses(a: string, b: string): number {
  const parse = (s: string) => ipv4ToBytes(s) ?? ipv6ToBytes(s) ?? new Uint8Array(0);
  const x = parse(a);
  const y = parse(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

type EventType = VrrpEvent["type"];
/** Each event by its type. */
type EventByType = { [E in VrrpEvent as E["type"]]: E };
type EventOf<T extends EventType> = EventByType[T];
/** What a state does on an event of type T. */
type Handler<T extends EventType> = (f: VrrpFsm, e: EventOf<T>, now: number) => StepResult;
/** One state's row of TABLE: the events it handles. */
type Row = { readonly [T in EventType]?: Handler<T> };

const adverMs = (f: VrrpFsm) => f.config.advertIntervalCs * 10;
const same = (f: VrrpFsm, actions: VrrpAction[] = []): StepResult => ({ next: f, actions });
const isOwner = (f: VrrpFsm) => f.priority === PRIORITY_OWNER;

/** A transition's reason, with the advert's sender for the advert reasons. */
type Why = TransitionReason | { reason: TransitionReason; peer: string };

/** Every transition goes through here so it is logged and notified in one format. */
function enter(f: VrrpFsm, to: VrrpState, why: Why, actions: VrrpAction[]): StepResult {
  const next = { ...f, state: to };
  const log: VrrpAction = typeof why === "string"
    ? { type: "logTransition", from: f.state, to, reason: why }
    : { type: "logTransition", from: f.state, to, reason: why.reason, peer: why.peer };
  return {
    next,
    actions: [log, ...actions, {
      type: "notify",
      state: to,
    }],
  };
}

function becomeMaster(f: VrrpFsm, now: number, reason: Why): StepResult {
  const g = { ...f, preemptPending: false, wantMaster: false };
  return enter(g, "MASTER", reason, [
    { type: "cancelTimer", timer: "Master_Down_Timer" },
    { type: "cancelTimer", timer: "Preempt_Delay_Timer" },
    { type: "sendAdvert", priority: f.priority },
    { type: "addVips", accept: f.config.acceptMode || isOwner(f) },
    { type: "sendGratuitous", reason: "becameMaster" },
    { type: "setTimer", timer: "Adver_Timer", atMs: now + adverMs(f) },
  ]);
}

function becomeBackup(
  f: VrrpFsm,
  now: number,
  reason: Why,
  extraMs = 0,
  pre: VrrpAction[] = [],
): StepResult {
  const g = { ...f, preemptPending: false, wantMaster: false };
  return enter(g, "BACKUP", reason, [...pre, {
    type: "setTimer",
    timer: "Master_Down_Timer",
    atMs: now + masterDownIntervalMs(g) + extraMs,
  }]);
}

/**
 * A Backup's timer ran out: become MASTER, or, in a sync group, ask the group and keep waiting
 * (the Master_Down_Timer is re-armed so the request repeats while no master is heard).
 */
function tryMaster(f: VrrpFsm, now: number, reason: TransitionReason): StepResult {
  if (!f.config.syncGroup) return becomeMaster(f, now, reason);
  const g = { ...f, wantMaster: true, preemptPending: false };
  return same(g, [{ type: "syncWantMaster" }, {
    type: "setTimer",
    timer: "Master_Down_Timer",
    atMs: now + masterDownIntervalMs(g),
  }]);
}

/** Leaving MASTER (to FAULT or STOP): stop advertising, tell backups with priority 0, drop VIPs. */
const resignMaster: VrrpAction[] = [
  { type: "cancelTimer", timer: "Adver_Timer" },
  { type: "sendAdvert", priority: PRIORITY_STOP },
  { type: "removeVips" },
];
/**
 * A tracked VIP deleted by someone else (keepalived 2.2.7, seen in namespaces): the MASTER resigns as if
 * stopping (priority 0, VIPs dropped) and waits only Skew_Time, as a Backup hearing priority 0 does; so
 * it is MASTER again (every VIP back) unless a router with a shorter Skew_Time answers first.
 */
function onVipDeleted(f: VrrpFsm, now: number): StepResult {
  const g = { ...f, preemptPending: false, wantMaster: false };
  const skew = skewTimeMs(f.config.version, f.priority, f.masterAdverIntervalCs);
  return enter(g, "BACKUP", "tracked VIP deleted", [...resignMaster, { type: "setTimer", timer: "Master_Down_Timer", atMs: now + skew }]);
}

const stopBackupTimers: VrrpAction[] = [
  { type: "cancelTimer", timer: "Master_Down_Timer" },
  { type: "cancelTimer", timer: "Preempt_Delay_Timer" },
];

/** Backup (RFC 5798 §6.4.2): keep waiting for a master, or let the Master_Down_Timer run out. */
function backupAdvert(f: VrrpFsm, e: EventOf<"advertReceived">, now: number): StepResult {
  if (e.priority === PRIORITY_STOP) {
    return same(f, [{
      type: "setTimer",
      timer: "Master_Down_Timer",
      atMs: now + skewTimeMs(f.config.version, f.priority, f.masterAdverIntervalCs),
    }]);
  }
  // Copies only when something changes: a Backup runs this for every advert of its master.
  const learned = f.config.version === 3 && f.masterAdverIntervalCs !== e.advertIntervalCs ? { ...f, masterAdverIntervalCs: e.advertIntervalCs } : f;
  if (!f.config.preempt || e.priority >= f.priority) {
    const g = learned.preemptPending || learned.wantMaster ? { ...learned, preemptPending: false, wantMaster: false } : learned;
    const actions: VrrpAction[] = [{
      type: "setTimer",
      timer: "Master_Down_Timer",
      atMs: now + masterDownIntervalMs(g),
    }];
    if (f.preemptPending) actions.push({ type: "cancelTimer", timer: "Preempt_Delay_Timer" });
    return same(g, actions);
  }
  if (f.config.preemptDelayMs <= 0) return same(f); // lower priority: discard; Master_Down_Timer will fire
  const actions: VrrpAction[] = [{
    type: "setTimer",
    timer: "Master_Down_Timer",
    atMs: now + masterDownIntervalMs(learned),
  }];
  if (!f.preemptPending) {
    actions.push({ type: "setTimer", timer: "Preempt_Delay_Timer", atMs: now + f.config.preemptDelayMs });
  }
  return same({ ...learned, preemptPending: true }, actions);
}

/** Master (RFC 5798 §6.4.3) plus keepalived's immediate answer to a lower-priority advert. */
function masterAdvert(f: VrrpFsm, e: EventOf<"advertReceived">, now: number): StepResult {
  const resetAdver: VrrpAction = { type: "setTimer", timer: "Adver_Timer", atMs: now + adverMs(f) };
  if (e.priority === PRIORITY_STOP) {
    return same(f, [{ type: "sendAdvert", priority: f.priority }, resetAdver]);
  }
  const cmp = compareAddresses(e.srcAddress, f.config.primaryAddress);
  if (e.priority > f.priority || (e.priority === f.priority && cmp > 0)) {
    const learned = f.config.version === 3 ? { ...f, masterAdverIntervalCs: e.advertIntervalCs } : f;
    const reason = e.priority > f.priority ? "higher priority advert" : "equal priority advert from higher address";
    const pre: VrrpAction[] = f.config.higherPrioSendAdvert ? [{ type: "sendAdvert", priority: f.priority }] : [];
    return becomeBackup(learned, now, { reason, peer: e.srcAddress }, 0, [...pre, {
      type: "cancelTimer",
      timer: "Adver_Timer",
    }, { type: "removeVips" }]);
  }
  const actions: VrrpAction[] = [{
    type: "masterRxLowerPri",
    priority: e.priority,
    srcAddress: e.srcAddress,
  }];
  // keepalived 2.2.7 logs "forcing new election", re-advertises at once and re-sends GARPs.
  if (!f.config.lowerPrioNoAdvert) actions.push({ type: "sendAdvert", priority: f.priority }, resetAdver);
  actions.push({ type: "sendGratuitous", reason: "lowerPriority" });
  return same(f, actions);
}

/** RFC 5798 §7.1: an advert whose address list differs is dropped unless the owner sent it. */
function onAdvert(f: VrrpFsm, e: EventOf<"advertReceived">, now: number): StepResult {
  if (!e.addressListMatches && e.priority !== PRIORITY_OWNER) {
    const detail = "address list does not match and sender is not the owner";
    return same(f, [{ type: "dropAdvert", reason: "address-list", detail, srcAddress: e.srcAddress }]);
  }
  return f.state === "MASTER" ? masterAdvert(f, e, now) : backupAdvert(f, e, now);
}

function onStartup(f: VrrpFsm, now: number): StepResult {
  if (f.fault) return enter(f, "FAULT", "startup", []);
  if (isOwner(f) && f.config.initialStateMaster) return becomeMaster(f, now, "startup");
  const delay = f.config.preempt ? f.config.preemptDelayMs : 0;
  return becomeBackup(f, now, "startup", delay, [{ type: "removeVips" }]);
}

function onFault(f: VrrpFsm, e: EventOf<"faultChanged">, now: number): StepResult {
  const g = { ...f, fault: e.fault };
  if (e.fault && f.state === "MASTER") {
    return enter({ ...g, preemptPending: false }, "FAULT", "tracker failed", resignMaster);
  }
  if (e.fault && f.state === "BACKUP") {
    return enter({ ...g, preemptPending: false }, "FAULT", "tracker failed", stopBackupTimers);
  }
  if (!e.fault && f.state === "FAULT" && !f.groupFault) return becomeBackup(g, now, "trackers recovered");
  return same(g);
}

/** The sync group moves this member (keepalived: "VRRP_Group(G) Syncing instances to S state"). */
function onSync(f: VrrpFsm, e: EventOf<"syncGroup">, now: number): StepResult {
  const why: TransitionReason = "sync group";
  if (e.state === "FAULT") {
    const g = { ...f, groupFault: true, preemptPending: false, wantMaster: false };
    if (f.state === "MASTER") return enter(g, "FAULT", why, resignMaster);
    if (f.state === "BACKUP") return enter(g, "FAULT", why, stopBackupTimers);
    return same(g);
  }
  const g = { ...f, groupFault: false };
  if (e.state === "MASTER") return f.state === "BACKUP" ? becomeMaster(g, now, why) : same(g);
  if (f.state === "MASTER") {
    return becomeBackup(g, now, why, 0, [{ type: "cancelTimer", timer: "Adver_Timer" }, { type: "removeVips" }]);
  }
  if (f.state === "FAULT" && !f.fault) return becomeBackup(g, now, why);
  return same(g);
}

function onShutdown(f: VrrpFsm): StepResult {
  const actions = f.state === "MASTER" ? resignMaster : f.state === "BACKUP" ? stopBackupTimers : [];
  return enter({ ...f, preemptPending: false }, "STOP", "shutdown", actions);
}

const ignore = (f: VrrpFsm): StepResult => same(f);
const onPriority = (f: VrrpFsm, e: EventOf<"priorityChanged">) => same({ ...f, priority: e.priority });

/**
 * The transition table: state x event -> handler (the header's next-state table). A missing entry means
 * the event is ignored in that state (e.g. a stale timer firing after a transition).
 */
export const TABLE: Readonly<Record<VrrpState, Row>> = {
  INIT: {
    startup: (f, _e, now) => onStartup(f, now),
    shutdown: onShutdown,
    faultChanged: onFault,
    priorityChanged: onPriority,
  },
  BACKUP: {
    masterDownTimerExpired: (f, _e, now) => tryMaster(f, now, "Master_Down_Timer expired"),
    preemptDelayExpired: (f, _e, now) => f.preemptPending ? tryMaster(f, now, "Preempt_Delay_Timer expired") : same(f),
    advertReceived: onAdvert,
    faultChanged: onFault,
    priorityChanged: onPriority,
    shutdown: onShutdown,
    syncGroup: onSync,
  },
  MASTER: {
    adverTimerExpired: (f, _e, now) =>
      same(f, [
        { type: "sendAdvert", priority: f.priority },
        { type: "setTimer", timer: "Adver_Timer", atMs: now + adverMs(f) },
      ]),
    advertReceived: onAdvert,
    faultChanged: onFault,
    priorityChanged: onPriority,
    shutdown: onShutdown,
    syncGroup: onSync,
    yieldMaster: (f, _e, now) => becomeBackup(f, now, "operator failover", 0, resignMaster),
    lateMaster: (f, _e, now) => becomeBackup(f, now, "Adver_Timer expired late", 0, [{ type: "cancelTimer", timer: "Adver_Timer" }, { type: "removeVips" }]),
    vipDeleted: (f, _e, now) => onVipDeleted(f, now),
  },
  FAULT: {
    faultChanged: onFault,
    priorityChanged: onPriority,
    shutdown: onShutdown,
    advertReceived: ignore,
    syncGroup: onSync,
  },
  STOP: {},
};

/** Runs the row's handler for an event of type T (generic, so the handler and the event agree). */
function dispatch<T extends EventType>(
  row: Row,
  type: T,
  f: VrrpFsm,
  e: EventOf<T>,
  now: number,
): StepResult {
  const h: Handler<T> | undefined = row[type];
  return h ? h(f, e, now) : same(f);
}

/** Advances the machine by one event at time `nowMs`. Pure: returns the next state and the actions. */
export function step(fsm: VrrpFsm, event: VrrpEvent, nowMs: number): StepResult {
  return dispatch(TABLE[fsm.state], event.type, fsm, event, nowMs);
}
