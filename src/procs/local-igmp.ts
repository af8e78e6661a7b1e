/**
 * disable_local_igmp, the parent's part: the VRRP child sets net.ipv4.igmp_link_local_mcast_reports to
 * 0 and puts the old value back when it stops, but a child killed with SIGKILL puts nothing back and the
 * one restarted after it finds 0. So the parent reads the value before it first hands a VRRP child a
 * configuration asking for it, gives it to every VRRP child it starts (IGMP_SAVED_ENV), and writes it back
 * itself when the VRRP child is gone for good (daemon stop, no respawn) and left reports off.
 */
import type { Logger } from "../core/log.ts";
import { IGMP_REPORTS, IGMP_SAVED_ENV, procSysctl, type Sysctl } from "../vrrp/sysctl.ts";

export class ParentLocalIgmp {
  #saved: string | undefined;
  /** The VRRP child's environment (one object, read again at each respawn). */
  readonly env: Record<string, string>;

  constructor(readonly log: Logger, base: Record<string, string> | undefined, readonly sys: Sysctl = procSysctl) {
    this.env = base ?? Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** Before a configuration goes to the VRRP child: the value before any child set it, read the first time one asks. */
  note(c: { readonly global: { readonly disableLocalIgmp: boolean } }): void {
    if (!c.global.disableLocalIgmp || this.#saved !== undefined) return;
    this.#saved = this.sys.read(IGMP_REPORTS);
    if (this.#saved !== undefined) this.env[IGMP_SAVED_ENV] = this.#saved;
  }

  /** The VRRP child is gone for good: the saved value back if reports are still off. */
  restore(): void {
    if (this.#saved === undefined || this.#saved === "0" || this.sys.read(IGMP_REPORTS) !== "0") return;
    try {
      this.sys.write(IGMP_REPORTS, this.#saved);
      this.log.info(`disable_local_igmp: ${IGMP_REPORTS.replaceAll("/", ".")} back to ${this.#saved} (the VRRP child did not restore it)`);
    } catch (e) {
      this.log.warn(`sysctl ${IGMP_REPORTS}=${this.#saved}: ${(e as Error).message}`);
    }
  }
}
