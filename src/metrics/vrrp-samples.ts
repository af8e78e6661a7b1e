/**
 * Samples for the VRRP child's metrics report: per instance its state (one series per state, the
 * current one 1), configured and effective priority, adverts sent and received, priority-0 adverts,
 * master transitions and received-packet errors by kind (keepalived's stats dump counters, RFC 5798
 * §6.4 / §7.1 reasons). Takes a structural view of VrrpInstanceRunner so it needs no VRRP import.
 */
import type { MetricSample } from "../core/ipc.ts";
import { counter, gauge } from "./exposition.ts";

/** What the mapper reads from a running instance (VrrpInstanceRunner has all of it). */
export interface VrrpInstanceView {
  readonly cfg: { readonly name: string; readonly priority: number };
  readonly state: string;
  readonly fsm: { readonly priority: number };
  readonly stats: Readonly<Record<string, number>>;
  /** Where it runs (for keepalived_vrrp_instance_info, read by SNMP and D-Bus in the parent). */
  readonly place?: { readonly ifindex: number; readonly ifname: string; readonly mac: string; readonly src: string };
  /** Source address of the last advert accepted from another router. */
  readonly masterSrc?: string;
}

/** States a VRRP instance is reported in. */
export const VRRP_METRIC_STATES = ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"] as const;

/** InstanceStats counters that are receive errors, and the `kind` label each gets. */
export const VRRP_ERROR_KINDS: Readonly<Record<string, string>> = {
  packetLenErr: "packet_length",
  ipTtlErr: "ip_ttl",
  invalidType: "invalid_type",
  advertIntervalErr: "advert_interval",
  addrListErr: "address_list",
  invalidAuthType: "invalid_auth_type",
  authTypeMismatch: "auth_type_mismatch",
  authFailure: "auth_failure",
  otherErr: "other",
};

/** A running vrrp_script: its verdict and how many times it ran. */
export interface VrrpScriptView {
  readonly name: string;
  readonly up: boolean;
  readonly runs: number;
}

/**
 * All samples for the given instances (and `scripts`). `stateSeries: false` leaves out
 * keepalived_vrrp_state, whose name mehdy/keepalived-exporter's compat mode takes over (src/metrics/compat.ts).
 */
export function vrrpSamples(
  instances: readonly VrrpInstanceView[],
  opts: { stateSeries?: boolean; scripts?: readonly VrrpScriptView[] } = {},
): MetricSample[] {
  const out: MetricSample[] = [];
  for (const s of opts.scripts ?? []) {
    out.push(
      gauge("keepalived_vrrp_script_up", "vrrp_script verdict after rise/fall: 1 OK, 0 failed", { script: s.name }, s.up ? 1 : 0),
      counter("keepalived_vrrp_script_runs_total", "vrrp_script runs", { script: s.name }, s.runs),
    );
  }
  for (const r of instances) {
    // Only `instance`, so these series coincide with the parent's own (from vrrpState) and replace them.
    const l = { instance: r.cfg.name };
    const st = r.stats;
    for (const s of opts.stateSeries === false ? [] : VRRP_METRIC_STATES) {
      out.push(
        gauge("keepalived_vrrp_state", "VRRP instance state: 1 for the current state, 0 for the others", {
          ...l,
          state: s,
        }, r.state === s ? 1 : 0),
      );
    }
    if (r.place) {
      const p = r.place;
      out.push(gauge("keepalived_vrrp_instance_info", "Where the VRRP instance runs (value 1): interface, ifindex, MAC, source address, last master seen", {
        ...l,
        interface: p.ifname,
        ifindex: String(p.ifindex),
        mac: p.mac,
        address: p.src,
        master: r.masterSrc ?? "",
      }, 1));
    }
    out.push(
      gauge("keepalived_vrrp_priority", "Configured VRRP priority", l, r.cfg.priority),
      gauge("keepalived_vrrp_effective_priority", "VRRP priority after tracking weights", l, r.fsm.priority),
      counter("keepalived_vrrp_adverts_sent_total", "VRRP adverts sent", l, st.advertSent ?? 0),
      counter("keepalived_vrrp_adverts_received_total", "VRRP adverts received", l, st.advertRcvd ?? 0),
      counter(
        "keepalived_vrrp_priority_zero_sent_total",
        "Priority-0 adverts sent (master resigning)",
        l,
        st.pri0Sent ?? 0,
      ),
      counter(
        "keepalived_vrrp_priority_zero_received_total",
        "Priority-0 adverts received",
        l,
        st.pri0Rcvd ?? 0,
      ),
      counter(
        "keepalived_vrrp_became_master_total",
        "Times this instance became MASTER",
        l,
        st.becomeMaster ?? 0,
      ),
      counter(
        "keepalived_vrrp_released_master_total",
        "Times this instance left MASTER",
        l,
        st.releaseMaster ?? 0,
      ),
    );
    for (const [key, kind] of Object.entries(VRRP_ERROR_KINDS)) {
      out.push(
        counter("keepalived_vrrp_receive_errors_total", "Received VRRP packets dropped, by reason", {
          ...l,
          kind,
        }, st[key] ?? 0),
      );
    }
  }
  return out;
}

/** What the socket mapper reads from the VRRP child's sockets (src/vrrp/sockets.ts SocketView). */
export interface VrrpSocketView {
  readonly ifname: string;
  readonly family: string;
  readonly key: string;
  readonly drops: number;
  readonly rxBufferBytes: number;
  readonly overflows: number;
}

/** Kernel drops (SO_RXQ_OVFL), overflows seen and receive buffer size per VRRP receive socket. */
export function vrrpSocketSamples(sockets: readonly VrrpSocketView[]): MetricSample[] {
  const out: MetricSample[] = [];
  for (const s of sockets) {
    const l = { interface: s.ifname, family: s.family, socket: s.key };
    out.push(
      counter("keepalived_vrrp_socket_kernel_drops_total", "Datagrams the kernel dropped on a full VRRP receive queue (SO_RXQ_OVFL)", l, s.drops),
      counter("keepalived_vrrp_socket_overflows_total", "Reads that found the VRRP receive queue had overflowed", l, s.overflows),
      gauge("keepalived_vrrp_socket_receive_buffer_bytes", "VRRP receive socket buffer (SO_RCVBUF as the kernel reports it)", l, s.rxBufferBytes),
    );
  }
  return out;
}
