/**
 * VRRP instance state machine as a pure function `step(fsm, event, nowMs) -> { next, actions }`.
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
 */
import { ipv4ToBytes } from "../proto/ipv4.ts";
import { ipv6ToBytes } from "../proto/ipv6.ts";

/** Instance states: RFC 5798 Initialize/Backup/Master plus keepalived's FAULT and STOP. */
export type VrrpState = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP";
/** Every state, in keepalived's numbering order; `(VI_1) Entering ${name} STATE` log names. */
export const STATE_NAMES: readonly VrrpState[] = ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"];
/** Timers the runner keeps, named as in RFC 5798 (Preempt_Delay_Timer is keepalived's). */
export type TimerKind = "Adver_Timer" | "Master_Down_Timer" | "Preempt_Delay_Timer";
/** Owner priority (RFC 5798 §5.2.4). */
export const PRIORITY_OWNER = 255;
/** Priority a stopping master advertises (RFC 5798 §5.2.4). */
export const PRIORITY_STOP = 0;

/** Per-instance configuration the state machine needs (immutable). */
export interface VrrpFsmConfig {
  version: 2 | 3;
  /** Configured Advertisement_Interval in centiseconds (v2: a multiple of 100). */
  advertIntervalCs: number;
  /** false = nopreempt. @default true */
  preempt: boolean;
  /** preempt_delay in ms. @default 0 */
  preemptDelayMs: number;
  /** Accept_Mode (accept / no_accept); an owner always accepts. */
  acceptMode: boolean;
  /** `state MASTER` configured. */
  initialStateMaster: boolean;
  /** Our primary address (source of our adverts), for the equal-priority tie-break. */
  primaryAddress: string;
  /** down_timer_adverts. @default 3 */
  downTimerAdverts: number;
  /** lower_prio_no_advert: as MASTER, do not answer a lower-priority advert. @default false */
  lowerPrioNoAdvert: boolean;
  /** higher_prio_send_advert: as MASTER, send one advert before yielding to a higher priority. @default false */
  higherPrioSendAdvert: boolean;
  /** A member of a vrrp_sync_group: going MASTER needs the group's consent. @default false */
  syncGroup: boolean;
}

/** The machine's state (immutable; step returns a new one). */
export interface VrrpFsm {
  config: VrrpFsmConfig;
  state: VrrpState;
  /** Effective priority 1..255 (from src/vrrp/priority.ts). */
  priority: number;
  /** Master_Adver_Interval in centiseconds (v3: learned from the master while BACKUP). */
  masterAdverIntervalCs: number;
  /** A tracked thing is failing (faultChanged). */
  fault: boolean;
  /** A Preempt_Delay_Timer is running. */
  preemptPending: boolean;
  /** Sync group member: our Master_Down_Timer ran out and we wait for the group to go MASTER. */
  wantMaster: boolean;
  /** Sync group member: in FAULT because another member is. */
  groupFault: boolean;
}

/** Inputs to step. */
export type VrrpEvent =
  | { type: "startup" }
  | { type: "shutdown" }
  | { type: "adverTimerExpired" }
  | { type: "masterDownTimerExpired" }
  | { type: "preemptDelayExpired" }
  | {
    type: "advertReceived";
    priority: number;
    /** The advert's interval in centiseconds (v2 seconds * 100). */
    advertIntervalCs: number;
    /** IP source address of the advert (the sender's primary address). */
    srcAddress: string;
    /** The advert's address list equals ours (RFC 5798 §7.1); pass true to skip the check. */
    addressListMatches: boolean;
  }
  | { type: "faultChanged"; fault: boolean }
  | { type: "priorityChanged"; priority: number }
  /** An operator failover (src/vrrp/failover.ts): a MASTER yields as if stopping, then waits as BACKUP. */
  | { type: "yieldMaster" }
  /** The member's vrrp_sync_group moves every member to `state`. */
  | { type: "syncGroup"; state: "MASTER" | "BACKUP" | "FAULT" }
  /** timer_expired_backup: the MASTER ran so late that another router may have taken over (src/vrrp/late-master.ts). */
  | { type: "lateMaster" };

/** Outputs of step, performed in order by the runner. */
export type VrrpAction =
  | { type: "sendAdvert"; priority: number }
  | { type: "setTimer"; timer: TimerKind; atMs: number }
  | { type: "cancelTimer"; timer: TimerKind }
  | { type: "addVips"; accept: boolean }
  | { type: "removeVips" }
  /**
   * Gratuitous ARP / unsolicited NA for the VIPs. `becameMaster`: use garp_master_delay/repeat;
   * `lowerPriority`: a lower-priority advert was seen while MASTER (garp_lower_prio_delay/repeat).
   */
  | { type: "sendGratuitous"; reason: "becameMaster" | "lowerPriority" }
  | { type: "notify"; state: VrrpState }
  /** keepalived's notify_master_rx_lower_pri hook. */
  | { type: "masterRxLowerPri"; priority: number; srcAddress: string }
  /** Sync group member: our timer ran out; the group decides whether everyone goes MASTER. */
  | { type: "syncWantMaster" }
  /** An advert failed a session check; count it and log it rate-limited. */
  | { type: "dropAdvert"; reason: string }
  | { type: "logTransition"; from: VrrpState; to: VrrpState; reason: string };

/** Result of step. */
export interface StepResult {
  next: VrrpFsm;
  actions: VrrpAction[];
}

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

/** keepalived's transition log line: "(VI_1) Entering MASTER STATE" (" (init)" on the startup entry). */
export function transitionLogLine(instance: string, to: VrrpState, reason = ""): string {
  return `(${instance}) Entering ${to} STATE${reason === "init" ? " (init)" : ""}`;
}

type Handler = (f: VrrpFsm, e: never, now: number) => StepResult;
type EventType = VrrpEvent["type"];
type EventOf<T extends EventType> = Extract<VrrpEvent, { type: T }>;

const adverMs = (f: VrrpFsm) => f.config.advertIntervalCs * 10;
const same = (f: VrrpFsm, actions: VrrpAction[] = []): StepResult => ({ next: f, actions });
const isOwner = (f: VrrpFsm) => f.priority === PRIORITY_OWNER;

/** Every transition goes through here so it is logged and notified in one format. */
function enter(f: VrrpFsm, to: VrrpState, reason: string, actions: VrrpAction[]): StepResult {
  const next = { ...f, state: to };
  return {
    next,
    actions: [{ type: "logTransition", from: f.state, to, reason }, ...actions, {
      type: "notify",
      state: to,
    }],
  };
}

function becomeMaster(f: VrrpFsm, now: number, reason: string): StepResult {
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
  reason: string,
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
function tryMaster(f: VrrpFsm, now: number, reason: string): StepResult {
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
const stopBackupTimers: VrrpAction[] = [
  { type: "cancelTimer", timer: "Master_Down_Timer" },
  { type: "cancelTimer", timer: "Preempt_Delay_Timer" },
];

/** Session checks of RFC 5798 §7.1 / RFC 3768 §7.1 that need instance data. */
function sessionCheck(f: VrrpFsm, e: EventOf<"advertReceived">): string | undefined {
  if (!e.addressListMatches && e.priority !== PRIORITY_OWNER) {
    return "address list does not match and sender is not the owner";
  }
  if (f.config.version === 2 && e.advertIntervalCs !== f.config.advertIntervalCs) {
    return `advert interval ${e.advertIntervalCs / 100}s != ${f.config.advertIntervalCs / 100}s`;
  }
  return undefined;
}

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
  const learned = f.config.version === 3 && f.masterAdverIntervalCs !== e.advertIntervalCs
    ? { ...f, masterAdverIntervalCs: e.advertIntervalCs } : f;
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
    const why = e.priority > f.priority
      ? "higher priority advert"
      : "equal priority advert from higher address";
    const pre: VrrpAction[] = f.config.higherPrioSendAdvert ? [{ type: "sendAdvert", priority: f.priority }] : [];
    return becomeBackup(learned, now, `${why} from ${e.srcAddress}`, 0, [...pre, {
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

function onAdvert(f: VrrpFsm, e: EventOf<"advertReceived">, now: number): StepResult {
  const bad = sessionCheck(f, e);
  if (bad) return same(f, [{ type: "dropAdvert", reason: bad }]);
  return f.state === "MASTER" ? masterAdvert(f, e, now) : backupAdvert(f, e, now);
}

function onStartup(f: VrrpFsm, now: number): StepResult {
  if (f.fault) return enter(f, "FAULT", "init", []);
  if (isOwner(f) && f.config.initialStateMaster) return becomeMaster(f, now, "init");
  const delay = f.config.preempt ? f.config.preemptDelayMs : 0;
  return becomeBackup(f, now, "init", delay, [{ type: "removeVips" }]);
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
  const why = "sync group";
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

const ignore: Handler = (f) => same(f);
const onPriority = (f: VrrpFsm, e: EventOf<"priorityChanged">) => same({ ...f, priority: e.priority });
const onFaultH = onFault as Handler;
const onPriorityH = onPriority as Handler;
const onAdvertH = onAdvert as Handler;
const onSyncH = onSync as Handler;

/**
 * The transition table: state x event -> handler. A missing entry means the event is ignored in
 * that state (e.g. a stale timer firing after a transition).
 */
export const TABLE: Readonly<Record<VrrpState, Partial<Record<EventType, Handler>>>> = {
  INIT: {
    startup: (f, _e, now) => onStartup(f, now),
    shutdown: onShutdown,
    faultChanged: onFaultH,
    priorityChanged: onPriorityH,
  },
  BACKUP: {
    masterDownTimerExpired: (f, _e, now) => tryMaster(f, now, "master down timer expired"),
    preemptDelayExpired: (
      f,
      _e,
      now,
    ) => (f.preemptPending ? tryMaster(f, now, "preempt delay expired") : same(f)),
    advertReceived: onAdvertH,
    faultChanged: onFaultH,
    priorityChanged: onPriorityH,
    shutdown: onShutdown,
    syncGroup: onSyncH,
  },
  MASTER: {
    adverTimerExpired: (f, _e, now) =>
      same(f, [{ type: "sendAdvert", priority: f.priority }, {
        type: "setTimer",
        timer: "Adver_Timer",
        atMs: now + adverMs(f),
      }]),
    advertReceived: onAdvertH,
    faultChanged: onFaultH,
    priorityChanged: onPriorityH,
    shutdown: onShutdown,
    syncGroup: onSyncH,
    yieldMaster: (f, _e, now) => becomeBackup(f, now, "operator failover", 0, resignMaster),
    lateMaster: (f, _e, now) =>
      becomeBackup(f, now, "advert timer expired late", 0, [{ type: "cancelTimer", timer: "Adver_Timer" }, { type: "removeVips" }]),
  },
  FAULT: {
    faultChanged: onFaultH,
    priorityChanged: onPriorityH,
    shutdown: onShutdown,
    advertReceived: ignore,
    syncGroup: onSyncH,
  },
  STOP: {},
};

/** Advances the machine by one event at time `nowMs`. Pure: returns the next state and the actions. */
export function step(fsm: VrrpFsm, event: VrrpEvent, nowMs: number): StepResult {
  const h = TABLE[fsm.state][event.type];
  return h ? h(fsm, event as never, nowMs) : same(fsm);
}
