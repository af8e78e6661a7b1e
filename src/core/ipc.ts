/**
 * Every message between the parent and its children, in one place (relayd's imsg style). Each variant
 * says who sends it to whom. Messages travel as JSON in a versioned envelope over a socket pair (the
 * child's fd 3; framing in src/core/channel.ts) and are validated on arrival, every enum-valued field
 * included. What cannot be a message of this build (not an object, another envelope version, an unknown
 * type) is an internal desynchronisation: the receiver ends (the watchdog restarts a child). A known
 * message with a bad field is dropped, counted and logged (rate-limited) by the receiver (IpcReceiver).
 */

import type { ConfigSlice } from "../config/slice.ts";
import { type ChildCommand, childCommandProblem } from "./control-proto.ts";
import { type ChildSnap, snapshotProblem } from "./control-state.ts";
import type { RateLimitedLog } from "./log.ts";
import { type Role, ROLES } from "./role.ts";
import { BFD_STATE_NAMES, type BfdStateName, SERVER_STATE_NAMES, type ServerStateName, VRRP_STATE_NAMES, type VrrpStateName } from "./states.ts";

export { isRole, type Role, ROLES } from "./role.ts";

/** Envelope version; bump on any incompatible change. */
export const IPC_VERSION = 1;

/** Dumps a child can be asked for (USR1, USR2, STATS_CLEAR, JSON). */
export const DUMP_KINDS = ["data", "stats", "stats_clear", "json"] as const;
export type DumpKind = (typeof DUMP_KINDS)[number];

export { BFD_STATE_NAMES, type BfdStateName, SERVER_STATE_NAMES, type ServerStateName, VRRP_STATE_NAMES, type VrrpStateName } from "./states.ts";

/** Prometheus metric types a child may report. */
export const METRIC_TYPES = ["counter", "gauge"] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

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
  /**
   * parent -> child: the child's slice of a validated configuration (start or reload; src/config/slice.ts).
   * The child checks it is shaped like its own role's slice (sliceProblem) before using it.
   */
  | { type: "config"; generation: number; reload: boolean; slice: ConfigSlice }
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

/**
 * A message that failed validation. `desync` (not an object, another envelope version, an unknown type):
 * the peer is not speaking this build's protocol. Otherwise a known message with a bad field.
 */
export class IpcError extends Error {
  readonly code: "IPC_DESYNC" | "IPC_INVALID";
  constructor(reason: string, readonly value: unknown, readonly desync = false) {
    super(`invalid IPC message: ${reason}: ${safeJson(value)}`);
    this.name = "IpcError";
    this.code = desync ? "IPC_DESYNC" : "IPC_INVALID";
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

/** A field's JSON type, "any" (present, checked elsewhere), or the strings an enum-valued field may hold. */
type FieldKind = "string" | "number" | "boolean" | "object" | "any" | readonly string[];
type Shape = Record<string, FieldKind>;
/** Every message's fields, enum-valued ones with their values. */
const SHAPES: { readonly [T in Message["type"]]: Shape } = {
  config: { generation: "number", reload: "boolean", slice: "object" },
  dump: { kind: DUMP_KINDS },
  ready: { role: ROLES, generation: "number" },
  fatal: { role: ROLES, reason: "string" },
  bfdState: { name: "string", state: BFD_STATE_NAMES, at: "number" },
  vrrpState: { instance: "string", state: VRRP_STATE_NAMES, priority: "number", effectivePriority: "number" },
  garp: { instance: "string" },
  rsState: { vs: "string", rs: "string", state: SERVER_STATE_NAMES, weight: "number" },
  vsState: { vs: "string", state: SERVER_STATE_NAMES },
  metrics: { role: ROLES, samples: "object" },
  ctlSnapshot: { role: ROLES, snapshot: "object" },
  ctlCommand: { id: "number", command: "object" },
  ctlReply: { id: "number", ok: "boolean", message: "string" },
};

/** Why field `val` does not have `kind`, or undefined. */
function fieldProblem(kind: FieldKind, val: unknown): string | undefined {
  if (kind === "any") return undefined;
  if (typeof kind !== "string") return kind.includes(val as string) ? undefined : `= ${safeJson(val)}, not one of ${kind.join("|")}`;
  if (kind === "number") return typeof val === "number" && Number.isFinite(val) ? undefined : "is not a finite number";
  return typeof val === kind && val !== null ? undefined : `is not a ${kind}`;
}

/** Validates a received envelope and returns its message, or throws IpcError. */
export function decode(raw: unknown): Message {
  if (typeof raw !== "object" || raw === null) throw new IpcError("not an object", raw, true);
  const env = raw as Partial<Envelope>;
  if (env.v !== IPC_VERSION) throw new IpcError(`version ${String(env.v)} != ${IPC_VERSION}`, raw, true);
  const msg = env.msg as Record<string, unknown> | undefined;
  if (typeof msg !== "object" || msg === null) throw new IpcError("no msg", raw, true);
  const type = msg.type;
  if (typeof type !== "string" || !Object.hasOwn(SHAPES, type)) throw new IpcError(`unknown type ${String(type)}`, raw, true);
  const t = type as Message["type"];
  for (const [field, kind] of Object.entries(SHAPES[t])) {
    if (!(field in msg)) throw new IpcError(`${t}.${field} missing`, raw);
    const bad = fieldProblem(kind, msg[field]);
    if (bad) throw new IpcError(`${t}.${field} ${bad}`, raw);
  }
  const extra = EXTRA[t]?.(msg);
  if (extra) throw new IpcError(`${t}.${extra}`, raw);
  return msg as Message;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Checks beyond field types; returns "field: reason" or undefined. */
const EXTRA: Partial<Record<Message["type"], (m: Record<string, unknown>) => string | undefined>> = {
  vsState: (m) => (m.initial === undefined || typeof m.initial === "boolean" ? undefined : "initial is not a boolean"),
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

/**
 * Decodes what arrives from one peer. A message that is not of this build's protocol goes to `desync`
 * (the caller ends the peer or itself); a known message with a bad field is dropped, counted and logged.
 */
export class IpcReceiver {
  /** Messages dropped for a bad field so far. */
  dropped = 0;

  constructor(readonly from: string, readonly log: Pick<RateLimitedLog, "warn">, readonly desync: (e: IpcError) => void) {}

  /** The message in `raw`, or undefined when it was dropped (or was a desynchronisation). */
  receive(raw: unknown): Message | undefined {
    try {
      return decode(raw);
    } catch (e) {
      if (!(e instanceof IpcError) || e.desync) {
        this.desync(e instanceof IpcError ? e : new IpcError(String(e), raw, true));
        return undefined;
      }
      this.dropped++;
      this.log.warn(`ipc:${this.from}`, `dropped a message from ${this.from} (${this.dropped} so far): ${e.message}`);
      return undefined;
    }
  }
}

/** Why `s` is not a valid MetricSample, or undefined. */
export function sampleProblem(s: unknown): string | undefined {
  if (typeof s !== "object" || s === null) return "not an object";
  const o = s as Record<string, unknown>;
  if (typeof o.name !== "string" || !METRIC_NAME.test(o.name)) return `bad name ${String(o.name)}`;
  if (typeof o.help !== "string") return "help is not a string";
  if (!(METRIC_TYPES as readonly unknown[]).includes(o.type)) return `type = ${String(o.type)}`;
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
