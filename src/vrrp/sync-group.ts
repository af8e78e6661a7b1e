/**
 * vrrp_sync_group (keepalived.conf(5)): the member instances change state together, as keepalived
 * 2.2.7 does (checked by running it in namespaces):
 * - a member whose Master_Down_Timer runs out goes MASTER only when every other member also wants to
 *   (or the group is already MASTER); then all go MASTER ("Syncing instances to MASTER state");
 * - a member leaving MASTER for BACKUP (higher-priority advert) takes every member to BACKUP;
 * - a tracked VIP of a MASTER member deleted by someone else: every MASTER member resigns as that member
 *   does (priority 0, VIPs dropped, Skew_Time), and they go MASTER again together;
 * - a member entering FAULT takes every member to FAULT; when no member's own trackers fail any more,
 *   all return to BACKUP;
 * - group notifications: the group's own scripts and `notify` with `GROUP NAME STATE 0`, and the FIFO
 *   line `GROUP "NAME" STATE 0`, after the members' own notifications; BACKUP at startup, STOP at the end.
 * The group's track_* entries are applied to every member by the runtime (src/vrrp/runtime.ts).
 */
import type { Logger } from "../core/log.ts";
import type { VrrpState } from "./fsm.ts";
import type { SyncMembership, VrrpInstanceRunner } from "./instance.ts";
import type { Notifier, NotifyTargets } from "./notify.ts";

/** States a group reports. */
export type GroupState = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP";

/** One running sync group. */
export class SyncGroupRunner implements SyncMembership {
  state: GroupState = "INIT";
  readonly members: VrrpInstanceRunner[] = [];
  #syncing = false;

  constructor(
    readonly name: string,
    readonly targets: NotifyTargets,
    readonly log: Logger,
    readonly notifier: () => Notifier,
  ) {}

  /** Adds a member (before it starts). */
  add(r: VrrpInstanceRunner): void {
    this.members.push(r);
    r.group = this;
  }

  /** Removes a member (it stopped or left the group on reload). */
  remove(r: VrrpInstanceRunner): void {
    const i = this.members.indexOf(r);
    if (i >= 0) this.members.splice(i, 1);
    if (r.group === this) r.group = undefined;
  }

  wantMaster(r: VrrpInstanceRunner): void {
    if (this.#syncing || this.state === "FAULT") return;
    const ready = this.state === "MASTER" ||
      this.members.every((m) => m === r || m.state === "MASTER" || (m.state === "BACKUP" && m.fsm.wantMaster));
    if (ready) this.#syncTo("MASTER");
  }

  transition(r: VrrpInstanceRunner, from: VrrpState, to: VrrpState): void {
    if (this.#syncing) return;
    if (to === "MASTER") return this.#syncTo("MASTER");
    if (to === "FAULT") return this.#syncTo("FAULT");
    if (to === "STOP") {
      if (this.members.every((m) => m.state === "STOP" || m.state === "INIT")) this.#setState("STOP");
      return;
    }
    if (to !== "BACKUP") return;
    if (from === "FAULT") {
      // A member's own trackers recovered: the group leaves FAULT only when nobody else is failing.
      if (this.members.some((m) => m !== r && m.fsm.fault)) return this.#syncOne(r, "FAULT");
      return this.#syncTo("BACKUP");
    }
    if (from === "MASTER") return this.#syncTo("BACKUP");
    if (from === "INIT" && this.state === "INIT") this.#setState("BACKUP");
    else if (from === "INIT" && this.state !== "BACKUP") this.#syncOne(r, this.state);
  }

  /**
   * A tracked VIP of MASTER member `r` was deleted: every MASTER member resigns (priority 0, VIPs dropped)
   * and waits Skew_Time, with no "Syncing" line (keepalived 2.2.7); they come back together through wantMaster.
   */
  vipDeleted(r: VrrpInstanceRunner): void {
    this.#syncing = true;
    try {
      r.handle({ type: "vipDeleted" });
      for (const m of this.members) if (m !== r && m.state === "MASTER") m.handle({ type: "vipDeleted" });
    } finally {
      this.#syncing = false;
    }
    this.#setState("BACKUP");
  }

  /** Every member has stopped: the group's STOP notification. */
  stopped(): void {
    this.#setState("STOP");
  }

  #syncOne(r: VrrpInstanceRunner, state: GroupState): void {
    if (state !== "MASTER" && state !== "BACKUP" && state !== "FAULT") return;
    this.#syncing = true;
    try {
      r.handle({ type: "syncGroup", state });
    } finally {
      this.#syncing = false;
    }
  }

  #syncTo(state: "MASTER" | "BACKUP" | "FAULT"): void {
    if (this.state !== state) this.log.info(`VRRP_Group(${this.name}) Syncing instances to ${state} state`);
    this.#syncing = true;
    try {
      for (const m of this.members) {
        if (m.state !== state && m.state !== "INIT" && m.state !== "STOP") m.handle({ type: "syncGroup", state });
      }
    } finally {
      this.#syncing = false;
    }
    this.#setState(state);
  }

  #setState(state: GroupState): void {
    if (state === this.state) return;
    this.state = state;
    if (state === "INIT") return;
    void this.notifier().notify(this.targets, state, 0);
  }
}
