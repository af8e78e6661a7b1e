/**
 * Which events are mailed (keepalived.conf(5) global `smtp_alert`, `smtp_alert_vrrp`,
 * `smtp_alert_checker`, `no_email_faults`, `no_checker_emails`, and per vrrp_instance, vrrp_sync_group,
 * virtual_server and real_server `smtp_alert`). A per-object setting wins; else the specific global
 * (`smtp_alert_vrrp` / `smtp_alert_checker`); else `smtp_alert`; else the default: off for VRRP
 * instances, groups and virtual servers, on for real servers. Nothing is mailed without `smtp_server`
 * and at least one `notification_email`.
 */
import { hostname } from "node:os";
import type { KeepalivedConfig } from "../config/model.ts";
import type { AlertEvent } from "./compose.ts";
import { MAILED_VRRP_STATES } from "./compose.ts";
import { rsName, vsName } from "./names.ts";

/** The smtp_alert decisions for one configuration. */
export class AlertPolicy {
  /** The `[router_id]` of subjects: router_id, else the host name. */
  readonly routerId: string;
  readonly #g: KeepalivedConfig["global"];
  readonly #instances = new Map<string, boolean | null>();
  /** Instance name -> its sync group's name. */
  readonly #groupOf = new Map<string, string>();
  readonly #groups = new Map<string, boolean | null>();
  readonly #vs = new Map<string, boolean | null>();
  /** `vs|rs` -> setting. */
  readonly #rs = new Map<string, boolean | null>();

  constructor(config: KeepalivedConfig) {
    this.#g = config.global;
    this.routerId = config.global.routerId ?? hostname();
    for (const i of config.vrrp.instances) this.#instances.set(i.name, i.smtpAlert);
    for (const sg of config.vrrp.syncGroups) {
      this.#groups.set(sg.name, sg.smtpAlert);
      for (const m of sg.members) this.#groupOf.set(m, sg.name);
    }
    for (const vs of config.check.virtualServers) {
      const v = vsName(vs);
      this.#vs.set(v, vs.smtpAlert);
      for (const rs of vs.realServers) this.#rs.set(`${v}|${rsName(vs, rs)}`, rs.smtpAlert);
    }
  }

  /** Whether mail can be sent at all: a server and at least one recipient. */
  get configured(): boolean {
    return this.#g.smtpServer !== null && this.#g.notificationEmails.length > 0;
  }

  /** The sync group an instance belongs to, if any. */
  groupOf(instance: string): string | undefined {
    return this.#groupOf.get(instance);
  }

  /** Whether `ev` is to be mailed. */
  wants(ev: AlertEvent): boolean {
    if (!this.configured) return false;
    const g = this.#g;
    switch (ev.kind) {
      case "vrrp":
      case "vrrpGroup": {
        if (!MAILED_VRRP_STATES.includes(ev.state)) return false;
        if (ev.state === "FAULT" && g.noEmailFaults) return false;
        const own = ev.kind === "vrrp" ? this.#instances.get(ev.instance) : this.#groups.get(ev.group);
        return own ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false;
      }
      case "rs":
        if (g.noCheckerEmails) return false;
        return this.#rs.get(`${ev.vs}|${ev.rs}`) ?? g.smtpAlertChecker ?? g.smtpAlert ?? true;
      case "vs":
        return this.#vs.get(ev.vs) ?? g.smtpAlertChecker ?? g.smtpAlert ?? false;
    }
  }
}
