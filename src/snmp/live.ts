/**
 * The parent's live view of the VRRP instances for SNMP and D-Bus: states and priorities from the VRRP
 * child's `vrrpState` events, and where each instance runs (ifindex, MAC, source address, the master's
 * address) and its counters from the child's metrics snapshots (src/metrics/vrrp-samples.ts:
 * `keepalived_vrrp_instance_info` and the counter families). It outlives a child restart, so a walk
 * answers with the last known values while the child is away.
 */
import type { Message, MetricSample, Role, VrrpStateName } from "../core/ipc.ts";
import { VRRP_ERROR_KINDS } from "../metrics/vrrp-samples.ts";

/** What the parent knows of one running instance. */
export interface InstanceLive {
  state: VrrpStateName;
  /** Effective priority (after tracking). */
  effectivePriority: number;
  /** Wall clock of the last state change (ms since the epoch). */
  changedAt: number;
  ifindex?: number;
  mac?: string;
  /** Our source address for adverts. */
  src?: string;
  /** Source address of the last advert accepted from another router ("" = none yet). */
  master?: string;
  /** Counters by InstanceStats name (advertRcvd, becomeMaster, …). */
  counters: Record<string, number>;
}

/** One state change, as SNMP traps and D-Bus signals need it. */
export interface Transition {
  instance: string;
  from: VrrpStateName | undefined;
  to: VrrpStateName;
}

/** Metric family -> InstanceStats counter name. */
const COUNTERS: Readonly<Record<string, string>> = {
  keepalived_vrrp_adverts_received_total: "advertRcvd",
  keepalived_vrrp_adverts_sent_total: "advertSent",
  keepalived_vrrp_priority_zero_received_total: "pri0Rcvd",
  keepalived_vrrp_priority_zero_sent_total: "pri0Sent",
  keepalived_vrrp_became_master_total: "becomeMaster",
  keepalived_vrrp_released_master_total: "releaseMaster",
};
/** receive_errors kind label -> InstanceStats counter name (the inverse of the child's table). */
const ERROR_KINDS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(VRRP_ERROR_KINDS).map(([stat, kind]) => [kind, stat]),
);

/** Keeps InstanceLive per instance name. */
export class VrrpLive {
  readonly #byName = new Map<string, InstanceLive>();
  readonly #scripts = new Map<string, { up: boolean; runs: number }>();

  constructor(readonly wallNow: () => number = Date.now) {}

  /** The instance's live view, if the child has reported it. */
  get(name: string): InstanceLive | undefined {
    return this.#byName.get(name);
  }

  /** A vrrp_script's verdict and run count, if the child runs it. */
  script(name: string): { up: boolean; runs: number } | undefined {
    return this.#scripts.get(name);
  }

  /** Records a child message; returns the transition it carries, if any. */
  onMessage(role: Role, msg: Message): Transition | undefined {
    if (msg.type === "metrics" && role === "vrrp") this.#snapshot(msg.samples);
    if (msg.type !== "vrrpState") return undefined;
    const cur = this.#entry(msg.instance);
    const from = this.#byName.has(msg.instance) && cur.changedAt > 0 ? cur.state : undefined;
    cur.effectivePriority = msg.effectivePriority;
    if (from === msg.state) return undefined;
    cur.state = msg.state;
    cur.changedAt = this.wallNow();
    return { instance: msg.instance, from, to: msg.state };
  }

  /** Drops instances a reload removed. */
  retain(names: ReadonlySet<string>): void {
    for (const n of [...this.#byName.keys()]) if (!names.has(n)) this.#byName.delete(n);
  }

  #entry(name: string): InstanceLive {
    let e = this.#byName.get(name);
    if (!e) {
      e = { state: "INIT", effectivePriority: 0, changedAt: 0, counters: {} };
      this.#byName.set(name, e);
    }
    return e;
  }

  #snapshot(samples: readonly MetricSample[]): void {
    this.#scripts.clear();
    for (const s of samples) {
      const script = s.labels.script;
      if (script !== undefined && s.name.startsWith("keepalived_vrrp_script_")) {
        const e = this.#scripts.get(script) ?? { up: false, runs: 0 };
        if (s.name === "keepalived_vrrp_script_up") e.up = s.value === 1;
        else e.runs = s.value;
        this.#scripts.set(script, e);
        continue;
      }
      const name = s.labels.instance;
      if (name === undefined) continue;
      if (s.name === "keepalived_vrrp_instance_info") {
        const e = this.#entry(name);
        const ifindex = Number(s.labels.ifindex);
        if (Number.isInteger(ifindex) && ifindex > 0) e.ifindex = ifindex;
        if (s.labels.mac) e.mac = s.labels.mac;
        if (s.labels.address) e.src = s.labels.address;
        e.master = s.labels.master ?? "";
        continue;
      }
      const key = COUNTERS[s.name] ?? (s.name === "keepalived_vrrp_receive_errors_total" ? ERROR_KINDS[s.labels.kind ?? ""] : undefined);
      if (key) this.#entry(name).counters[key] = s.value;
    }
  }
}
