/**
 * The parent's view for /metrics: the last snapshot each child pushed (kept while the child restarts),
 * plus what the parent itself knows: children up and restart counts (the watchdog), VRRP instance
 * states and transitions (vrrpState), real and virtual server states and weights (rsState / vsState),
 * BFD session states and detection events (bfdState: Up -> Down), and alert mail counters.
 * A child's own samples win over the parent's derived ones for the same series.
 */
import type { BfdStateName, Message, MetricSample, Role } from "../core/ipc.ts";
import { counter, gauge, renderExposition } from "./exposition.ts";
import { VRRP_METRIC_STATES } from "./vrrp-samples.ts";
import { processSamples } from "./process-samples.ts";
import type { MetricsCompat } from "../config/model.ts";

/** A child as the watchdog sees it. */
export interface ChildView {
  role: Role;
  /** The child is running now. */
  up: boolean;
  restarts: number;
  /** Messages from the child dropped for a bad field (src/core/ipc.ts IpcReceiver). @default 0 */
  droppedMessages?: number;
  /** Its pid while running (for the process_* metrics). */
  pid?: number;
}

/** What a scrape adds beyond the children's reports. */
export interface RenderOptions {
  /** metrics_compat: mehdy takes keepalived_vrrp_state over; any mode adds keepalived_up. */
  compat?: readonly MetricsCompat[];
  /** process_* metrics for these processes (the parent and its running children). */
  processes?: readonly { role: string; pid: number }[];
}

interface VrrpView {
  state: string;
  priority: number;
  effectivePriority: number;
  transitions: number;
}

const BFD_STATES: readonly BfdStateName[] = ["AdminDown", "Down", "Init", "Up"];

/** Keeps what /metrics shows between scrapes. */
export class MetricsStore {
  readonly #snapshots = new Map<Role, { samples: MetricSample[]; at: number }>();
  readonly #vrrp = new Map<string, VrrpView>();
  readonly #rs = new Map<
    string,
    { vs: string; rs: string; up: boolean; weight: number; transitions: number }
  >();
  readonly #vs = new Map<string, { up: boolean; transitions: number }>();
  readonly #bfd = new Map<string, { state: BfdStateName; detections: number }>();

  constructor(readonly wallNow: () => number = Date.now) {}

  /** Records what a child message tells; other messages are ignored. */
  onMessage(role: Role, msg: Message): void {
    switch (msg.type) {
      case "metrics":
        this.#snapshots.set(role, { samples: msg.samples, at: this.wallNow() });
        return;
      case "vrrpState": {
        const v = this.#vrrp.get(msg.instance);
        const changed = v !== undefined && v.state !== msg.state;
        this.#vrrp.set(msg.instance, {
          state: msg.state,
          priority: msg.priority,
          effectivePriority: msg.effectivePriority,
          transitions: (v?.transitions ?? 0) + (changed ? 1 : 0),
        });
        return;
      }
      case "rsState": {
        const key = `${msg.vs}|${msg.rs}`;
        const r = this.#rs.get(key);
        const up = msg.state === "UP";
        this.#rs.set(key, {
          vs: msg.vs,
          rs: msg.rs,
          up,
          weight: msg.weight,
          transitions: (r?.transitions ?? 0) + (r && r.up !== up ? 1 : 0),
        });
        return;
      }
      case "vsState": {
        const v = this.#vs.get(msg.vs);
        const up = msg.state === "UP";
        this.#vs.set(msg.vs, { up, transitions: (v?.transitions ?? 0) + (v && v.up !== up ? 1 : 0) });
        return;
      }
      case "bfdState": {
        const b = this.#bfd.get(msg.name);
        const detection = b?.state === "Up" && msg.state === "Down";
        this.#bfd.set(msg.name, { state: msg.state, detections: (b?.detections ?? 0) + (detection ? 1 : 0) });
        return;
      }
      default:
        return;
    }
  }

  /** The exposition text for a scrape. */
  render(children: readonly ChildView[], mail: MailCounters | undefined, opts: RenderOptions = {}): string {
    const compat = opts.compat ?? [];
    const own = [
      ...this.#childSamples(children),
      ...this.#vrrpSamples(!compat.includes("mehdy")),
      ...this.#serverSamples(),
      ...this.#bfdSamples(),
    ];
    if (mail) own.push(...mailSamples(mail));
    // Both exporters say 1 when they could read keepalived's state; the parent answering is that.
    if (compat.length) own.push(gauge("keepalived_up", "Status", {}, 1));
    if (opts.processes) own.push(...processSamples(opts.processes));
    const roles = [...this.#snapshots.keys()].sort();
    return renderExposition([...roles.map((r) => this.#snapshots.get(r)!.samples), own]);
  }

  #childSamples(children: readonly ChildView[]): MetricSample[] {
    const out: MetricSample[] = [];
    for (const c of children) {
      const l = { role: c.role };
      out.push(
        gauge("keepalived_child_up", "Child process running (1) or not (0)", l, c.up ? 1 : 0),
        counter("keepalived_child_restarts_total", "Times the watchdog restarted the child", l, c.restarts),
        counter("keepalived_ipc_messages_dropped_total", "Messages from the child dropped for a bad field", l, c.droppedMessages ?? 0),
      );
    }
    for (const [role, s] of this.#snapshots) {
      out.push(
        gauge(
          "keepalived_child_last_report_timestamp_seconds",
          "When the child last pushed its metrics (Unix time)",
          { role },
          s.at / 1000,
        ),
      );
    }
    return out;
  }

  #vrrpSamples(stateSeries: boolean): MetricSample[] {
    const out: MetricSample[] = [];
    for (const [name, v] of this.#vrrp) {
      const l = { instance: name };
      for (const s of stateSeries ? VRRP_METRIC_STATES : []) {
        out.push(
          gauge("keepalived_vrrp_state", "VRRP instance state: 1 for the current state, 0 for the others", {
            ...l,
            state: s,
          }, v.state === s ? 1 : 0),
        );
      }
      out.push(
        gauge(
          "keepalived_vrrp_effective_priority",
          "VRRP priority after tracking weights",
          l,
          v.effectivePriority,
        ),
        counter(
          "keepalived_vrrp_transitions_total",
          "VRRP state changes seen by the parent",
          l,
          v.transitions,
        ),
      );
    }
    return out;
  }

  #serverSamples(): MetricSample[] {
    const out: MetricSample[] = [];
    for (const r of this.#rs.values()) {
      const l = { virtual_server: r.vs, real_server: r.rs };
      out.push(
        gauge("keepalived_real_server_up", "Real server passes its checks (1) or not (0)", l, r.up ? 1 : 0),
        gauge("keepalived_real_server_weight", "Weight applied to the real server", l, r.weight),
        counter("keepalived_real_server_transitions_total", "Real server UP/DOWN changes", l, r.transitions),
      );
    }
    for (const [vs, v] of this.#vs) {
      out.push(
        gauge("keepalived_virtual_server_up", "Virtual server has its quorum (1) or not (0)", {
          virtual_server: vs,
        }, v.up ? 1 : 0),
        counter("keepalived_virtual_server_transitions_total", "Virtual server quorum changes", {
          virtual_server: vs,
        }, v.transitions),
      );
    }
    return out;
  }

  #bfdSamples(): MetricSample[] {
    const out: MetricSample[] = [];
    for (const [name, b] of this.#bfd) {
      for (const s of BFD_STATES) {
        out.push(
          gauge("keepalived_bfd_session_state", "BFD session state (RFC 5880): 1 for the current state", {
            session: name,
            state: s,
          }, b.state === s ? 1 : 0),
        );
      }
      out.push(
        counter(
          "keepalived_bfd_detections_total",
          "BFD sessions going from Up to Down (detection time expired or peer down)",
          { session: name },
          b.detections,
        ),
      );
    }
    return out;
  }
}

/** The alert mailer's counters (src/alert/mailer.ts MailQueue.stats has this shape). */
export interface MailCounters {
  /** Mails the SMTP server accepted. */
  sent: number;
  /** Failed attempts (a message may fail several times). */
  failedAttempts: number;
  /** Mails given up (too old or queue full). */
  dropped: number;
  /** Mails waiting to be sent now. */
  queued: number;
}

/** Samples for the alert mail counters. */
export function mailSamples(m: MailCounters): MetricSample[] {
  return [
    counter("keepalived_smtp_alerts_sent_total", "Alert mails accepted by the SMTP server", {}, m.sent),
    counter(
      "keepalived_smtp_alert_failures_total",
      "Failed attempts to send an alert mail",
      {},
      m.failedAttempts,
    ),
    counter(
      "keepalived_smtp_alerts_dropped_total",
      "Alert mails given up (too old or queue full)",
      {},
      m.dropped,
    ),
    gauge("keepalived_smtp_alerts_queued", "Alert mails waiting to be sent", {}, m.queued),
  ];
}
