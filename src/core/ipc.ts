/**
 * Every message between the parent and its children, in one place (relayd's imsg style). Each variant
 * says who sends it to whom. Messages travel in a versioned envelope over Bun's spawn IPC (JSON) and are
 * validated on arrival: an unknown or malformed message is an internal desynchronisation, so the receiver
 * ends (the watchdog restarts a child).
 */

import { childCommandProblem, type ChildCommand } from "./control-proto.ts";
import { snapshotProblem, type ChildSnap } from "./control-state.ts";

/** Envelope version; bump on any incompatible change. */
export const IPC_VERSION = 1;

/** The child processes. */
export type Role = "vrrp" | "check" | "bfd";
/** All roles, in start order. */
export const ROLES: readonly Role[] = ["vrrp", "check", "bfd"];

/** Dumps a child can be asked for (USR1, USR2, STATS_CLEAR, JSON). */
export type DumpKind = "data" | "stats" | "stats_clear" | "json";

/** VRRP states as reported across processes. */
export type VrrpStateName = "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP" | "DELETED";

/** BFD session states (RFC 5880 §4.1). */
export type BfdStateName = "AdminDown" | "Down" | "Init" | "Up";

/** Checker states of a virtual or real server as reported across processes. */
export type ServerStateName = "UP" | "DOWN";

/** Prometheus metric types a child may report. */
export type MetricType = "counter" | "gauge";

/** One Prometheus sample: `name{labels} value`, with the family's help text and type. */
export interface MetricSample {
  /** Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, e.g. `keepalived_vrrp_adverts_sent_total`. */
  name: string;
  /** One line of help for the family (the first sample of a family wins). */
  help: string;
  type: MetricType;
  /** Label names `[a-zA-Z_][a-zA-Z0-9_]*` (no `__` prefix) to string values. */
  labels: Record<string, string>;
  /** A finite number. */
  value: number;
}

/** Messages, discriminated by `type`. */
export type Message =
  /** parent -> child: the child's typed slice of a validated configuration (start or reload). */
  | { type: "config"; generation: number; reload: boolean; slice: unknown }
  /** parent -> child: write a dump file. */
  | { type: "dump"; kind: DumpKind }
  /** child -> parent: the child has applied configuration `generation` and is running. */
  | { type: "ready"; role: Role; generation: number }
  /** child -> parent: an error the child cannot recover from by restarting (keepalived's permanent FATAL). */
  | { type: "fatal"; role: Role; reason: string }
  /** bfd child -> parent -> vrrp/check children: a BFD session changed state (re-announced after restarts). */
  | { type: "bfdState"; name: string; state: BfdStateName; at: number }
  /** vrrp child -> parent -> check child: an instance changed state (for ha_suspend and metrics). */
  | { type: "vrrpState"; instance: string; state: VrrpStateName; priority: number; effectivePriority: number }
  /** parent -> vrrp child: send one round of gratuitous ARP / NA for a MASTER instance (D-Bus SendGarp). */
  | { type: "garp"; instance: string }
  /** child -> parent: counters and states for the metrics endpoint. */
  | { type: "stats"; role: Role; stats: Record<string, number | string> }
  /**
   * check child -> parent: a real server changed checker state (SMTP alert, metrics). `vs` and `rs` are the
   * display names from src/alert/names.ts (`vsName(vs)`, `rsName(vs, rs)`), e.g. "[192.0.2.10]:80" and
   * "[198.51.100.5]:8080"; the parent finds the server's `smtp_alert` by those names. `weight` is the
   * weight now applied (0 while DOWN with inhibit_on_failure).
   */
  | { type: "rsState"; vs: string; rs: string; state: ServerStateName; weight: number }
  /**
   * check child -> parent: a virtual server's quorum was gained (UP) or lost (DOWN); `vs` as in rsState.
   * `initial` marks the state a (re)started check child starts with (for bgp_announce; no alert).
   */
  | { type: "vsState"; vs: string; state: ServerStateName; initial?: boolean }
  /**
   * child -> parent: the child's full current set of samples for /metrics (src/metrics/report.ts sends it
   * every few seconds and on change). It replaces the previous snapshot from the same role; the parent
   * keeps the last one while the child restarts.
   */
  | { type: "metrics"; role: Role; samples: MetricSample[] }
  /** child -> parent: the child's whole status for the control socket (src/core/control-state.ts). */
  | { type: "ctlSnapshot"; role: Role; snapshot: ChildSnap }
  /** parent -> child: do what a control request asks (src/core/control-proto.ts); answered by ctlReply. */
  | { type: "ctlCommand"; id: number; command: ChildCommand }
  /** child -> parent: the outcome of ctlCommand `id`: done, or refused with a reason. */
  | { type: "ctlReply"; id: number; ok: boolean; message: string };

/** The wire envelope. */
export interface Envelope {
  v: number;
  msg: Message;
}

/** A message that failed validation. */
export class IpcError extends Error {
  readonly code = "IPC_INVALID";
  constructor(reason: string, readonly value: unknown) {
    super(`invalid IPC message: ${reason}: ${safeJson(value)}`);
    this.name = "IpcError";
  }
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s.length > 200 ? s.slice(0, 200) + "…" : s;
  } catch {
    return String(v);
  }
}

/** Wraps a message for sending. */
export function envelope(msg: Message): Envelope {
  return { v: IPC_VERSION, msg };
}

type Shape = Record<string, "string" | "number" | "boolean" | "object" | "any">;
const SHAPES: Record<Message["type"], Shape> = {
  config: { generation: "number", reload: "boolean", slice: "any" },
  dump: { kind: "string" },
  ready: { role: "string", generation: "number" },
  fatal: { role: "string", reason: "string" },
  bfdState: { name: "string", state: "string", at: "number" },
  vrrpState: { instance: "string", state: "string", priority: "number", effectivePriority: "number" },
  stats: { role: "string", stats: "object" },
  garp: { instance: "string" },
  rsState: { vs: "string", rs: "string", state: "string", weight: "number" },
  vsState: { vs: "string", state: "string" },
  metrics: { role: "string", samples: "object" },
  ctlSnapshot: { role: "string", snapshot: "object" },
  ctlCommand: { id: "number", command: "object" },
  ctlReply: { id: "number", ok: "boolean", message: "string" },
};
const ENUMS: Partial<Record<string, readonly string[]>> = {
  role: ROLES,
  kind: ["data", "stats", "stats_clear", "json"],
};

/** Validates a received envelope and returns its message, or throws IpcError. */
export function decode(raw: unknown): Message {
  if (typeof raw !== "object" || raw === null) throw new IpcError("not an object", raw);
  const env = raw as Partial<Envelope>;
  if (env.v !== IPC_VERSION) throw new IpcError(`version ${String(env.v)} != ${IPC_VERSION}`, raw);
  const msg = env.msg as Record<string, unknown> | undefined;
  if (typeof msg !== "object" || msg === null) throw new IpcError("no msg", raw);
  const type = msg.type;
  if (typeof type !== "string" || !(type in SHAPES)) throw new IpcError(`unknown type ${String(type)}`, raw);
  for (const [field, kind] of Object.entries(SHAPES[type as Message["type"]])) {
    const val = msg[field];
    if (kind === "any") {
      if (!(field in msg)) throw new IpcError(`${type}.${field} missing`, raw);
      continue;
    }
    if (typeof val !== kind || val === null) throw new IpcError(`${type}.${field} is not a ${kind}`, raw);
    const allowed = ENUMS[field];
    if (allowed && !allowed.includes(val as string)) throw new IpcError(`${type}.${field} = ${String(val)}`, raw);
  }
  const extra = EXTRA[type as Message["type"]]?.(msg);
  if (extra) throw new IpcError(`${type}.${extra}`, raw);
  return msg as Message;
}

const SERVER_STATES: readonly string[] = ["UP", "DOWN"];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Checks beyond field types; returns "field: reason" or undefined. */
const EXTRA: Partial<Record<Message["type"], (m: Record<string, unknown>) => string | undefined>> = {
  rsState: (m) => (SERVER_STATES.includes(m.state as string) ? undefined : `state = ${String(m.state)}`),
  vsState: (m) => {
    if (!SERVER_STATES.includes(m.state as string)) return `state = ${String(m.state)}`;
    return m.initial === undefined || typeof m.initial === "boolean" ? undefined : "initial is not a boolean";
  },
  ctlSnapshot: (m) => snapshotProblem(m.role as string, m.snapshot),
  ctlCommand: (m) => childCommandProblem(m.command),
  metrics: (m) => {
    if (!Array.isArray(m.samples)) return "samples is not an array";
    for (const [i, s] of (m.samples as unknown[]).entries()) {
      const bad = sampleProblem(s);
      if (bad) return `samples[${i}]: ${bad}`;
    }
    return undefined;
  },
};

/** Why `s` is not a valid MetricSample, or undefined. */
export function sampleProblem(s: unknown): string | undefined {
  if (typeof s !== "object" || s === null) return "not an object";
  const o = s as Record<string, unknown>;
  if (typeof o.name !== "string" || !METRIC_NAME.test(o.name)) return `bad name ${String(o.name)}`;
  if (typeof o.help !== "string") return "help is not a string";
  if (o.type !== "counter" && o.type !== "gauge") return `type = ${String(o.type)}`;
  if (typeof o.value !== "number" || !Number.isFinite(o.value)) return `value = ${String(o.value)}`;
  if (typeof o.labels !== "object" || o.labels === null || Array.isArray(o.labels)) return "labels is not an object";
  for (const [k, v] of Object.entries(o.labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith("__")) return `bad label name ${k}`;
    if (typeof v !== "string") return `label ${k} is not a string`;
  }
  return undefined;
}

/**
 * daemon -> launching command, once, when keepalived is started without -n: the detached daemon reports
 * that every child is running (`up`) or why it could not start (`failed`), and the launcher exits with 0 or 1.
 */
export type LaunchReport = { type: "up"; pid: number } | { type: "failed"; reason: string };
