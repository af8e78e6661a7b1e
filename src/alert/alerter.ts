/**
 * The parent's alert desk: turns vrrpState, rsState and vsState messages into mail when smtp_alert
 * asks for it (src/alert/policy.ts), composes it (src/alert/compose.ts) and hands it to the mail queue
 * (src/alert/mailer.ts). Repeated reports of an unchanged state (a child re-announcing after a restart)
 * are not mailed twice. A sync group is mailed when its first member enters a state the group was not in.
 */
import type { KeepalivedConfig } from "../config/model.ts";
import type { Message, ServerStateName, VrrpStateName } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import { type AlertEvent, composeAlert } from "./compose.ts";
import { fromAddress, MailQueue, type MailQueueOptions, type MailStats, type MailTransport, smtpTransport } from "./mailer.ts";
import { AlertPolicy } from "./policy.ts";

/** How the alerter builds its transport (a fake in tests). */
export type TransportFactory = (g: KeepalivedConfig["global"]) => MailTransport;

/** Alerter options. */
export interface AlerterOptions {
  /** @default smtpTransport */
  transport?: TransportFactory;
  queue?: MailQueueOptions;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Receives state messages in the parent and mails the ones smtp_alert asks for. */
export class Alerter {
  #policy: AlertPolicy;
  #global: KeepalivedConfig["global"];
  #queue: MailQueue | undefined;
  readonly #vrrp = new Map<string, VrrpStateName>();
  readonly #groups = new Map<string, VrrpStateName>();
  readonly #servers = new Map<string, ServerStateName>();
  readonly #factory: TransportFactory;
  readonly #now: () => Date;

  constructor(readonly log: Logger, config: KeepalivedConfig, readonly opts: AlerterOptions = {}) {
    this.#factory = opts.transport ?? smtpTransport;
    this.#now = opts.now ?? (() => new Date());
    this.#policy = new AlertPolicy(config);
    this.#global = config.global;
    this.#makeQueue();
  }

  /** Mail counters (zeros when mail is not configured). */
  get stats(): MailStats {
    return this.#queue?.stats ?? { sent: 0, failedAttempts: 0, dropped: 0, queued: 0 };
  }

  /** The queue, for tests and shutdown. */
  get queue(): MailQueue | undefined {
    return this.#queue;
  }

  /** A reloaded configuration: new settings and recipients; known states are kept. */
  setConfig(config: KeepalivedConfig): void {
    this.#policy = new AlertPolicy(config);
    this.#global = config.global;
    if (!this.#policy.configured) {
      this.#queue?.close();
      this.#queue = undefined;
    } else if (this.#queue) this.#queue.setTransport(this.#factory(config.global));
    else this.#makeQueue();
  }

  #makeQueue(): void {
    if (!this.#policy.configured) return;
    this.#queue = new MailQueue(this.#factory(this.#global), this.log, this.opts.queue);
  }

  /** Handles a message from a child; messages other than state reports are ignored. */
  onMessage(msg: Message): void {
    switch (msg.type) {
      case "vrrpState": {
        const previous = this.#vrrp.get(msg.instance) ?? null;
        if (previous === msg.state) return;
        this.#vrrp.set(msg.instance, msg.state);
        this.#emit({
          kind: "vrrp",
          instance: msg.instance,
          state: msg.state,
          previous,
          priority: msg.priority,
          effectivePriority: msg.effectivePriority,
        });
        const group = this.#policy.groupOf(msg.instance);
        if (group === undefined) return;
        const gPrev = this.#groups.get(group) ?? null;
        if (gPrev === msg.state) return;
        this.#groups.set(group, msg.state);
        this.#emit({ kind: "vrrpGroup", group, state: msg.state, previous: gPrev });
        return;
      }
      case "rsState":
        if (this.#changed(`rs ${msg.vs}|${msg.rs}`, msg.state)) {
          this.#emit({ kind: "rs", vs: msg.vs, rs: msg.rs, state: msg.state, weight: msg.weight });
        }
        return;
      case "vsState":
        if (this.#changed(`vs ${msg.vs}`, msg.state) && !msg.initial) {
          this.#emit({ kind: "vs", vs: msg.vs, state: msg.state });
        }
        return;
      default:
        return;
    }
  }

  #changed(key: string, state: ServerStateName): boolean {
    if (this.#servers.get(key) === state) return false;
    this.#servers.set(key, state);
    return true;
  }

  #emit(ev: AlertEvent): void {
    if (!this.#queue || !this.#policy.wants(ev)) return;
    const at = this.#now();
    const { subject, text } = composeAlert(this.#policy.routerId, ev, at);
    this.#queue.enqueue({
      from: fromAddress(this.#global),
      to: this.#global.notificationEmails,
      subject,
      text,
      date: at,
    });
  }

  /** Stops sending. */
  close(): void {
    this.#queue?.close();
  }
}
