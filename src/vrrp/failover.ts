/**
 * Operator failover (`keepalived ctl failover`, docs/control.md): a MASTER yields as keepalived does when
 * it stops (RFC 5798 §6.4.3 "Shutdown": an advert with priority 0, so a backup takes over after its
 * Skew_Time), but stays running as BACKUP; for the hold time its effective priority is the lowest
 * (1), so it does not preempt back while the new master is heard; after the hold its own priority
 * applies again (and with preempt it takes the role back through the normal election). If the new
 * master goes silent during the hold, the Master_Down_Timer still makes this router MASTER: a hold
 * never leaves the VIPs without an owner.
 * A yield is refused when no other router's advert was heard on the instance since it started (a
 * backup is silent while we are master, so that is all this router can know), unless forced.
 */
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import type { VrrpInstanceRunner } from "./instance.ts";
import { MIN_PRIORITY } from "./priority.ts";

/** The hold timers of every instance. */
export class FailoverHolds {
  readonly #holds = new Map<string, { untilMs: number; timer: TimerHandle }>();

  /** `recompute` feeds every instance its priority again (the runtime's tracker pass). */
  constructor(readonly sched: Scheduler, readonly log: Logger, readonly recompute: () => void) {}

  /** The priority an instance should run with: the lowest while held, else `own`. */
  priority(name: string, own: number): number {
    return this.#holds.has(name) ? MIN_PRIORITY : own;
  }

  /** Hold end in scheduler ms, or undefined. */
  until(name: string): number | undefined {
    return this.#holds.get(name)?.untilMs;
  }

  /**
   * Yields each MASTER among `runners` and holds every one of them (members of a sync group follow
   * their group). Returns a refusal reason, or the lines describing what was done.
   */
  failover(runners: readonly VrrpInstanceRunner[], holdMs: number, force: boolean): { ok: boolean; message: string } {
    const masters = runners.filter((r) => r.state === "MASTER");
    if (masters.length === 0) {
      return { ok: false, message: `not MASTER: ${runners.map((r) => `${r.cfg.name} is ${r.state}`).join(", ")}` };
    }
    const deaf = masters.filter((r) => !r.heard);
    if (deaf.length && !force) {
      return {
        ok: false,
        message: `no other router heard on ${deaf.map((r) => r.cfg.name).join(", ")} since start (nobody may take over); use --force to yield anyway`,
      };
    }
    for (const r of runners) this.#hold(r.cfg.name, holdMs);
    this.recompute(); // the held priority before the yield: the Master_Down_Timer uses its skew
    this.#yieldAll(masters, holdMs);
    const heard = masters.map((r) => r.heard ? `${r.cfg.name}: last heard ${r.heard.address} priority ${r.heard.priority}` : `${r.cfg.name}: no peer heard`);
    return { ok: true, message: `yielded ${masters.map((r) => r.cfg.name).join(", ")}; held for ${holdMs / 1000} s (${heard.join("; ")})` };
  }

  /**
   * Every master yields with its own priority-0 advert: a sync group would otherwise move the other
   * members to BACKUP on the first one's transition, silently (their backups would wait a whole
   * Master_Down_Interval). The groups are told once afterwards, as if their first member had moved.
   */
  #yieldAll(masters: readonly VrrpInstanceRunner[], holdMs: number): void {
    const groups = new Map(masters.map((r) => [r, r.group]));
    for (const r of masters) r.group = undefined;
    try {
      for (const r of masters) {
        r.log.info(`operator failover: yielding MASTER (priority 0 advert), holding BACKUP for ${holdMs / 1000} s`);
        if (r.state === "MASTER") r.handle({ type: "yieldMaster" });
      }
    } finally {
      for (const [r, g] of groups) r.group = g;
    }
    const told = new Set<unknown>();
    for (const [r, g] of groups) {
      if (!g || told.has(g)) continue;
      told.add(g);
      g.transition(r, "MASTER", "BACKUP");
    }
  }

  /** Holds `name` for `ms` from now without a yield (a hold replayed after a restart of this child). */
  hold(name: string, ms: number): void {
    this.#hold(name, ms);
  }

  #hold(name: string, ms: number): void {
    this.sched.cancel(this.#holds.get(name)?.timer);
    const untilMs = this.sched.now() + ms;
    const timer = this.sched.at(untilMs, () => {
      if (this.#holds.get(name)?.timer !== timer) return;
      this.#holds.delete(name);
      this.log.info(`(${name}) failover hold ended; own priority applies again`);
      this.recompute();
    });
    this.#holds.set(name, { untilMs, timer });
  }

  /** Forgets holds of instances no longer configured; cancels all with `names` undefined. */
  prune(names?: ReadonlySet<string>): void {
    for (const [n, h] of [...this.#holds]) {
      if (names?.has(n)) continue;
      this.sched.cancel(h.timer);
      this.#holds.delete(n);
    }
  }
}
