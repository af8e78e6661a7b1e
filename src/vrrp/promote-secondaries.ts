/**
 * `promote_secondaries` (keepalived.conf(5) vrrp_instance): while an instance that asks for it runs,
 * net.ipv4.conf.<interface>.promote_secondaries is 1, so removing the primary address of the subnet
 * (a VIP, or the interface's own) promotes a secondary instead of flushing them all. Measured on
 * keepalived 2.2.7 in a namespace: set at start, the old value put back at exit; we also put it back
 * when a reload drops the last instance that asked for it.
 */
import type { VrrpInstance } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { confPath, type Sysctl, SysctlJournal } from "./sysctl.ts";

/** Keeps promote_secondaries on the interfaces of the instances that ask for it. */
export class PromoteSecondaries {
  readonly #journal: SysctlJournal;
  readonly #on = new Set<string>();

  constructor(sys: Sysctl, log: Logger) {
    this.#journal = new SysctlJournal(sys, log);
  }

  /** Match the configuration: set where wanted, restore where no longer wanted. */
  apply(instances: readonly Pick<VrrpInstance, "interface" | "promoteSecondaries">[]): void {
    const want = new Set(instances.filter((i) => i.promoteSecondaries && i.interface).map((i) => i.interface!));
    for (const name of [...this.#on]) {
      if (want.has(name)) continue;
      this.#journal.restore(confPath("ipv4", name, "promote_secondaries"));
      this.#on.delete(name);
    }
    for (const name of want) {
      this.#journal.set(confPath("ipv4", name, "promote_secondaries"), "1");
      this.#on.add(name);
    }
  }

  /** Put every value back (the child is stopping). */
  stop(): void {
    this.#journal.restore();
    this.#on.clear();
  }
}
