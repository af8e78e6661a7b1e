/**
 * The vrrp_sync_groups across reloads (one group's behaviour: src/vrrp/sync-group.ts): an unchanged group
 * keeps its runner and state; a new or changed one starts from its running members' states. Members join
 * when they start and leave when they stop.
 */
import type { SyncGroup } from "../config/model.ts";
import { meaningKey } from "../config/meaning.ts";
import type { Logger } from "../core/log.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import { fifoLine, type Notifier, type NotifyTargets } from "./notify.ts";
import { type GroupState, SyncGroupRunner } from "./sync-group.ts";

/** The running sync groups. */
export class SyncGroups {
  readonly #groups = new Map<string, { group: SyncGroupRunner; json: string }>();

  constructor(readonly log: Logger, readonly notifier: () => Notifier) {}

  /** Makes the groups match `wanted`; `running` are the instances already running (they join their new groups). */
  apply(
    wanted: readonly SyncGroup[],
    running: Iterable<VrrpInstanceRunner>,
    targets: (g: SyncGroup) => NotifyTargets,
  ): void {
    const byName = new Map(wanted.map((g) => [g.name, g]));
    for (const [name, g] of [...this.#groups]) {
      const w = byName.get(name);
      if (w && meaningKey(w) === g.json) continue;
      for (const m of [...g.group.members]) g.group.remove(m);
      this.#groups.delete(name);
    }
    const runners = [...running];
    for (const g of wanted) {
      if (this.#groups.has(g.name)) continue;
      const group = new SyncGroupRunner(g.name, targets(g), this.log, this.notifier);
      for (const r of runners) if (r.cfg.syncGroup === g.name) group.add(r);
      const states = group.members.map((m) => m.state);
      group.state = states.includes("FAULT") ? "FAULT" : states.includes("MASTER") ? "MASTER" : states.length ? "BACKUP" : "INIT";
      this.#groups.set(g.name, { group, json: meaningKey(g) });
    }
  }

  /** A starting instance joins its group. */
  join(runner: VrrpInstanceRunner): void {
    if (runner.cfg.syncGroup) this.#groups.get(runner.cfg.syncGroup)?.group.add(runner);
  }

  /** A stopped instance leaves whatever group it is in. */
  leave(runner: VrrpInstanceRunner): void {
    for (const g of this.#groups.values()) g.group.remove(runner);
  }

  /**
   * fifo_write_vrrp_states_on_reload, after a reload: each group's state line again on the FIFOs
   * (`GROUP "G1" MASTER 0`). keepalived 2.2.7, run in a namespace, writes these and no instance lines
   * (its ChangeLog says instance and group states); so do we.
   */
  reloaded(write: boolean): void {
    if (!write) return;
    for (const { group } of this.#groups.values()) {
      if (group.state === "INIT" || group.state === "STOP") continue;
      for (const f of this.notifier().fifos) f.write(fifoLine("GROUP", group.name, group.state, 0));
    }
  }

  /** Child stop: every group reports STOP. */
  stopped(): void {
    for (const g of this.#groups.values()) g.group.stopped();
  }

  /** Name, state and members of each group, for `keepalived ctl status`. */
  views(): { name: string; state: GroupState; members: string[] }[] {
    return [...this.#groups.values()].map(({ group }) => ({
      name: group.name,
      state: group.state,
      members: group.members.map((m) => m.cfg.name),
    }));
  }
}
