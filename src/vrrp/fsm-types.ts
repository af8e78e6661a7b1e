/**
 * The VRRP state machine's vocabulary (src/vrrp/fsm.ts runs it): states, timers, configuration, events,
 * actions and transition reasons, named in RFC 5798 words, and the log lines a transition produces:
 * keepalived's "(VI_1) Entering MASTER STATE" and, under -D, "(VI_1) BACKUP -> MASTER: Master_Down_Timer expired".
 */
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

/** A received advert that passed the receive path's checks (src/vrrp/receive.ts). */
export interface AdvertEvent {
  type: "advertReceived";
  priority: number;
  /** The advert's interval in centiseconds (v2 seconds * 100). */
  advertIntervalCs: number;
  /** IP source address of the advert (the sender's primary address). */
  srcAddress: string;
  /** The advert's address list equals ours (RFC 5798 §7.1); pass true to skip the check. */
  addressListMatches: boolean;
}

/** Inputs to step. */
export type VrrpEvent =
  | { type: "startup" }
  | { type: "shutdown" }
  | { type: "adverTimerExpired" }
  | { type: "masterDownTimerExpired" }
  | { type: "preemptDelayExpired" }
  | AdvertEvent
  | { type: "faultChanged"; fault: boolean }
  | { type: "priorityChanged"; priority: number }
  /** An operator failover (src/vrrp/failover.ts): a MASTER yields as if stopping, then waits as BACKUP. */
  | { type: "yieldMaster" }
  /** The member's vrrp_sync_group moves every member to `state`. */
  | { type: "syncGroup"; state: "MASTER" | "BACKUP" | "FAULT" }
  /** timer_expired_backup: the MASTER ran so late that another router may have taken over (src/vrrp/late-master.ts). */
  | { type: "lateMaster" }
  /** Someone else deleted one of the MASTER's tracked VIPs (not no_track): it resigns and re-elects (keepalived 2.2.7). */
  | { type: "vipDeleted" };

/** Why a transition happened (RFC timer and event names); logged under -D and kept for `keepalived ctl`. */
export type TransitionReason =
  | "startup"
  | "Master_Down_Timer expired"
  | "Preempt_Delay_Timer expired"
  | "higher priority advert"
  | "equal priority advert from higher address"
  | "tracker failed"
  | "trackers recovered"
  | "sync group"
  | "shutdown"
  | "operator failover"
  | "Adver_Timer expired late"
  | "tracked VIP deleted";

/** Why the machine dropped an advert the receive path accepted (RFC 5798 §7.1 session check). */
export type SessionDropReason = "address-list";

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
  /** An advert failed a session check; log it rate-limited (the receive path counted it). */
  | { type: "dropAdvert"; reason: SessionDropReason; detail: string; srcAddress: string }
  /** `peer`: the advert's sender, for the advert reasons. */
  | { type: "logTransition"; from: VrrpState; to: VrrpState; reason: TransitionReason; peer?: string };

/** Result of step. */
export interface StepResult {
  next: VrrpFsm;
  actions: VrrpAction[];
}

/** keepalived's transition log line: "(VI_1) Entering MASTER STATE" (" (init)" on the startup entry). */
export function transitionLogLine(instance: string, to: VrrpState, reason?: TransitionReason): string {
  return `(${instance}) Entering ${to} STATE${reason === "startup" ? " (init)" : ""}`;
}

/** A transition's reason as text: "higher priority advert from 192.0.2.2", "Master_Down_Timer expired". */
export function reasonText(a: { reason: TransitionReason; peer?: string }): string {
  return a.peer === undefined ? a.reason : `${a.reason} from ${a.peer}`;
}

/** The -D line for a transition: "(VI_1) BACKUP -> MASTER: Master_Down_Timer expired". */
export function transitionDebugLine(
  instance: string,
  a: Extract<VrrpAction, { type: "logTransition" }>,
): string {
  return `(${instance}) ${a.from} -> ${a.to}: ${reasonText(a)}`;
}
