/**
 * Tracker wiring: feeds each VRRP instance its effective priority and FAULT state from its trackers
 * (src/vrrp/trackers.ts, priority.ts), the operator's failover hold (failover.ts), unicast_fault_no_peer
 * and its socket FAULT (socket-faults.ts), whenever one of them changes.
 */
import type { VrrpSection } from "../config/model.ts";
import type { AddrInfo } from "./netkernel.ts";
import { missingSrc } from "./track-src.ts";
import { trackerLines } from "./control-snap.ts";
import type { FailoverHolds } from "./failover.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import { effectivePriority, type Tracker } from "./priority.ts";
import type { TrackerSet } from "./tracker-set.ts";
import { instanceTrackers } from "./trackers.ts";

/** Where the inputs come from. */
export interface PriorityFeedDeps {
  trackers: TrackerSet;
  holds: FailoverHolds;
  /** The current configuration's VRRP section, if any. */
  vrrp(): Pick<VrrpSection, "scripts" | "trackFiles" | "trackProcesses" | "syncGroups"> | undefined;
  /** global default_interface (static entries without a dev track it for track_group). */
  defaultInterface(): string | null;
  /** Every interface's addresses (track_src_ip). */
  addrs(): readonly AddrInfo[];
  /** Whether the link called `name` is up (as the instances see it); undefined when it does not exist. */
  linkUp(name: string): boolean | undefined;
  /** The instance's socket FAULT reason, if any. */
  socketFault(name: string): string | undefined;
  /** Told when an instance's priority changed (keepalived ctl status). */
  changed(): void;
}

const NO_DEFS = { scripts: [], trackFiles: [], trackProcesses: [], syncGroups: [] };

/** Computes and applies effective priorities. */
export class PriorityFeed {
  constructor(readonly d: PriorityFeedDeps) {}

  /** The instance's trackers in their current states. */
  trackers(runner: VrrpInstanceRunner): Tracker[] {
    const states = this.d.trackers.states((n) => this.d.linkUp(n));
    const v = this.d.vrrp() ?? NO_DEFS;
    const cfg = runner.cfg;
    const group = cfg.syncGroup ? v.syncGroups.find((g) => g.name === cfg.syncGroup) : undefined;
    return instanceTrackers(cfg, group, { ...v, defaultInterface: this.d.defaultInterface() }, states);
  }

  /** Why an instance's priority is what it is: one line per tracker that moves it, and the hold. */
  reasons(runner: VrrpInstanceRunner): { reasons: string[]; faults: string[] } {
    const t = trackerLines(this.trackers(runner));
    if (this.d.holds.until(runner.cfg.name) !== undefined) t.reasons.push("failover hold: priority 1");
    return t;
  }

  /** Feeds an instance its effective priority and FAULT state. */
  recompute(runner: VrrpInstanceRunner): void {
    const cfg = runner.cfg;
    const res = effectivePriority(cfg.priority, this.trackers(runner));
    // unicast_fault_no_peer: a unicast instance without peers cannot work (keepalived 2.2.7 log line).
    if (cfg.unicastFaultNoPeer && cfg.unicastPeers.length === 0) {
      res.faultReasons.push("Cannot use unicast without any peers");
    }
    const src = missingSrc(cfg, this.d.addrs());
    if (src) res.faultReasons.push(src);
    const sockets = this.d.socketFault(cfg.name);
    if (sockets) res.faultReasons.push(sockets);
    const fault = res.faultReasons.length > 0;
    if (fault && !runner.fsm.fault) runner.log.info(`entering FAULT: ${res.faultReasons.join(", ")}`);
    const before = runner.fsm.priority;
    runner.setPriority(this.d.holds.priority(cfg.name, res.priority), fault);
    if (runner.fsm.priority !== before) this.d.changed();
  }
}
