/**
 * Sends alert mail from the parent (never from the VRRP child, so a slow or dead mail server cannot
 * delay an advert): one message at a time from a bounded queue, retried with capped exponential backoff.
 * A failure is logged once per burst (the first failure, then one line when mail flows again, with
 * how many attempts failed and how many messages were dropped). The SMTP client is nodemailer; plain
 * SMTP as keepalived does, or (beyond keepalived) required STARTTLS and AUTH.
 */
import { hostname } from "node:os";
import type { GlobalDefs } from "../config/model.ts";
import type { Logger } from "../core/log.ts";

/** One message to send. */
export interface OutgoingMail {
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  date: Date;
}

/** What sends a message (nodemailer in the daemon, a fake in tests). */
export interface MailTransport {
  /** Where mail goes, for log lines: `host:port`. */
  readonly target: string;
  /** Resolves when the server accepted the message; rejects with the reason otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** SMTP settings from global_defs. */
export type SmtpSettings = Pick<
  GlobalDefs,
  | "smtpServer"
  | "smtpHeloName"
  | "smtpConnectTimeoutMs"
  | "smtpStarttls"
  | "smtpAuth"
  | "notificationEmailFrom"
>;

/** A nodemailer SMTP transport for `s` (which must have an smtpServer). */
export function smtpTransport(s: SmtpSettings): MailTransport {
  const server = s.smtpServer;
  if (!server) throw new Error("smtpTransport: no smtp_server configured");
  // Loaded on first use, in the parent only: evaluating nodemailer (node:net, tls, crypto, dns) cost
  // every process 18 MiB RSS, 6 MiB of it anonymous (docs/design.md, Footprint).
  // A plain require: the bundler still embeds the package, and evaluates it at this call.
  const { createTransport } = require("nodemailer") as typeof import("nodemailer");
  const t = createTransport({
    host: server.host,
    port: server.port,
    secure: false,
    name: s.smtpHeloName ?? hostname(),
    connectionTimeout: s.smtpConnectTimeoutMs,
    greetingTimeout: s.smtpConnectTimeoutMs,
    socketTimeout: s.smtpConnectTimeoutMs,
    ignoreTLS: s.smtpStarttls === null,
    requireTLS: s.smtpStarttls !== null,
    tls: { rejectUnauthorized: s.smtpStarttls !== "noverify" },
    auth: s.smtpAuth ? { user: s.smtpAuth.user, pass: s.smtpAuth.pass } : undefined,
  });
  return {
    target: `${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}`,
    async send(m) {
      await t.sendMail({
        from: m.from,
        to: [...m.to],
        subject: m.subject,
        text: m.text,
        date: m.date,
        headers: { "X-Mailer": "keepalived-ts" },
      });
    },
    close: () => t.close(),
  };
}

/** The From address: notification_email_from, else keepalived@HOSTNAME. */
export function fromAddress(s: Pick<GlobalDefs, "notificationEmailFrom">): string {
  return s.notificationEmailFrom ?? `keepalived@${hostname()}`;
}

/** Queue tuning. */
export interface MailQueueOptions {
  /** Messages kept waiting; the oldest is dropped beyond this. @default 100 */
  maxQueued?: number;
  /** A message not sent within this long is dropped. @default 900000 (15 min) */
  maxAgeMs?: number;
  /** First retry delay; doubles per failure. @default 1000 */
  retryBaseMs?: number;
  /** Longest retry delay. @default 300000 */
  retryMaxMs?: number;
}

/** Counters for /metrics. */
export interface MailStats {
  sent: number;
  /** Failed attempts (a message may fail several times). */
  failedAttempts: number;
  dropped: number;
  queued: number;
}

interface Queued {
  mail: OutgoingMail;
  at: number;
}

/** A bounded queue that delivers one message at a time, with backoff across failures. */
export class MailQueue {
  readonly #q: Queued[] = [];
  readonly #o: Required<MailQueueOptions>;
  #transport: MailTransport;
  #busy = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #burstFailures = 0;
  #burstDropped = 0;
  #closed = false;
  readonly stats: MailStats = { sent: 0, failedAttempts: 0, dropped: 0, queued: 0 };

  constructor(transport: MailTransport, readonly log: Logger, opts: MailQueueOptions = {}) {
    this.#transport = transport;
    this.#o = { maxQueued: 100, maxAgeMs: 900_000, retryBaseMs: 1000, retryMaxMs: 300_000, ...opts };
  }

  /** Where mail goes (`host:port`). */
  get target(): string {
    return this.#transport.target;
  }

  /** Replaces the transport (reload); queued mail goes to the new server. */
  setTransport(t: MailTransport): void {
    this.#transport.close();
    this.#transport = t;
  }

  /** Adds a message; sending starts at once unless a retry is pending. */
  enqueue(mail: OutgoingMail): void {
    if (this.#closed) return;
    this.#q.push({ mail, at: performance.now() });
    while (this.#q.length > this.#o.maxQueued) this.#drop();
    this.stats.queued = this.#q.length;
    if (!this.#timer) void this.#pump();
  }

  /** True when the queue is empty and nothing is in flight. */
  get idle(): boolean {
    return this.#q.length === 0 && !this.#busy;
  }

  /** Stops sending; queued mail is dropped. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#q.length) this.log.warn(`SMTP alert: ${this.#q.length} queued message(s) not sent (stopping)`);
    this.#q.length = 0;
    this.#transport.close();
  }

  #drop(): void {
    this.#q.shift();
    this.stats.dropped++;
    this.#burstDropped++;
  }

  async #pump(): Promise<void> {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    try {
      for (;;) {
        const now = performance.now();
        while (this.#q.length && now - this.#q[0]!.at > this.#o.maxAgeMs) this.#drop();
        const head = this.#q[0];
        this.stats.queued = this.#q.length;
        if (!head || this.#closed) break;
        try {
          await this.#transport.send(head.mail);
        } catch (e) {
          this.#failed(e as Error);
          return;
        }
        this.#q.shift();
        this.stats.sent++;
        this.stats.queued = this.#q.length;
        this.#recovered();
      }
    } finally {
      this.#busy = false;
    }
  }

  #failed(e: Error): void {
    this.stats.failedAttempts++;
    this.#burstFailures++;
    const delay = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** (this.#burstFailures - 1));
    if (this.#burstFailures === 1) {
      this.log.error(
        `SMTP alert: cannot send to ${this.#transport.target}: ${e.message}; ` +
          `retrying with backoff (${this.#q.length} queued); further failures are not logged until mail flows again`,
      );
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#pump();
    }, delay);
  }

  #recovered(): void {
    if (this.#burstFailures === 0 && this.#burstDropped === 0) return;
    this.log.info(
      `SMTP alert: mail to ${this.#transport.target} flows again after ${this.#burstFailures} failed attempt(s); ` +
        `${this.#burstDropped} message(s) dropped meanwhile`,
    );
    this.#burstFailures = 0;
    this.#burstDropped = 0;
  }
}
