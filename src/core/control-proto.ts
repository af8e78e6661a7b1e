/**
 * The control socket's protocol (docs/control.md): one JSON request per line from `keepalived ctl` to the
 * parent, one JSON reply per line back (a `watch` gets a stream of event lines instead). Versioned, and
 * validated on arrival by `parseRequest`, a pure function: a request that is malformed, of another
 * version, or longer than MAX_REQUEST_BYTES gets an error reply and the connection is closed; the
 * daemon is not disturbed. Also here: the status snapshots the children push to the parent
 * (`ctlSnapshot` in src/core/ipc.ts) and their validator, so both ends share one definition.
 */

/** Protocol version; bump on any incompatible change. */
export const CONTROL_VERSION = 1;
/** Longest request line accepted, bytes (without the newline). */
export const MAX_REQUEST_BYTES = 1 << 20;
/** A request line must arrive completely within this long after connecting, ms. */
export const REQUEST_TIMEOUT_MS = 5000;
/** failover --hold default, seconds. */
export const DEFAULT_HOLD_S = 60;
/** Longest failover hold, seconds (one day). */
export const MAX_HOLD_S = 86400;

/** A real server named on the command line: `IP`, `IP:PORT` or `[IP]:PORT`, optionally in one VS. */
export interface RsTarget {
  rs: string;
  /** Only in this virtual server (display name as in `status`, e.g. "[192.0.2.10]:80"). */
  vs?: string;
  /** Also write the change to the state file the next start reapplies. */
  persist?: boolean;
}

/** Requests, discriminated by `cmd`. */
export type Request =
  | { cmd: "status" }
  | { cmd: "watch" }
  /** `force`: yield even when no other router was heard (nobody may take over). */
  | { cmd: "failover"; target: string; holdS: number; force: boolean }
  | ({ cmd: "drain" } & RsTarget)
  | ({ cmd: "undrain" } & RsTarget)
  /** `weight: null` removes the override (the configured weight applies again). */
  | ({ cmd: "weight"; weight: number | null } & RsTarget)
  | { cmd: "reload"; check: boolean }
  | { cmd: "logLevel"; level: "debug" | "info" };

/** Stable error codes of replies. */
export type ControlErrorCode = "BAD_REQUEST" | "TOO_LARGE" | "TIMEOUT" | "UNKNOWN_TARGET" | "REFUSED" | "CHILD_DOWN" | "CONFIG_INVALID" | "BUSY";

/** A reply line. `exitCode` is what `keepalived ctl` exits with. */
export type Reply =
  | { v: number; ok: true; result: unknown; exitCode?: number }
  | { v: number; ok: false; error: { code: ControlErrorCode; message: string }; result?: unknown; exitCode?: number };

/** Builds an error reply. */
export function errorReply(code: ControlErrorCode, message: string, exitCode = 1, result?: unknown): Reply {
  return { v: CONTROL_VERSION, ok: false, error: { code, message }, exitCode, ...(result !== undefined ? { result } : {}) };
}

/** Builds a success reply. */
export function okReply(result: unknown, exitCode = 0): Reply {
  return { v: CONTROL_VERSION, ok: true, result, exitCode };
}

/** A request that failed validation: the reason names the field and the bad value. */
export type ParseResult = { ok: true; value: Request } | { ok: false; reason: string };

const bad = (reason: string): ParseResult => ({ ok: false, reason });
const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 60) + "…" : s;
};
/** Longest name of an instance, group or server accepted. */
const MAX_NAME = 256;
const NAME_OK = (s: unknown): s is string => typeof s === "string" && s.length > 0 && s.length <= MAX_NAME && !/[\x00-\x1f]/.test(s);

/** Validates one request line (already known to be at most MAX_REQUEST_BYTES). Never throws. */
export function parseRequest(line: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return bad(`not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad(`not an object: ${show(raw)}`);
  const o = raw as Record<string, unknown>;
  if (o.v !== CONTROL_VERSION) return bad(`version ${show(o.v)} is not ${CONTROL_VERSION}`);
  switch (o.cmd) {
    case "status":
    case "watch":
      return { ok: true, value: { cmd: o.cmd } };
    case "failover": {
      if (!NAME_OK(o.target)) return bad(`failover.target = ${show(o.target)}`);
      const h = o.holdS ?? DEFAULT_HOLD_S;
      if (typeof h !== "number" || !Number.isInteger(h) || h < 0 || h > MAX_HOLD_S) return bad(`failover.holdS = ${show(h)} (0..${MAX_HOLD_S})`);
      if (o.force !== undefined && typeof o.force !== "boolean") return bad(`failover.force = ${show(o.force)}`);
      return { ok: true, value: { cmd: "failover", target: o.target, holdS: h, force: o.force === true } };
    }
    case "drain":
    case "undrain":
    case "weight":
      return parseRsRequest(o);
    case "reload":
      if (o.check !== undefined && typeof o.check !== "boolean") return bad(`reload.check = ${show(o.check)}`);
      return { ok: true, value: { cmd: "reload", check: o.check === true } };
    case "logLevel":
      if (o.level !== "debug" && o.level !== "info") return bad(`logLevel.level = ${show(o.level)} (debug or info)`);
      return { ok: true, value: { cmd: "logLevel", level: o.level } };
    default:
      return bad(`unknown cmd ${show(o.cmd)}`);
  }
}

/** Highest IPVS weight (a signed 32-bit value in the kernel). */
const MAX_WEIGHT = 2 ** 31 - 1;

function parseRsRequest(o: Record<string, unknown>): ParseResult {
  const cmd = o.cmd as "drain" | "undrain" | "weight";
  if (!NAME_OK(o.rs)) return bad(`${cmd}.rs = ${show(o.rs)}`);
  if (o.vs !== undefined && !NAME_OK(o.vs)) return bad(`${cmd}.vs = ${show(o.vs)}`);
  if (o.persist !== undefined && typeof o.persist !== "boolean") return bad(`${cmd}.persist = ${show(o.persist)}`);
  const t: RsTarget = { rs: o.rs, ...(o.vs !== undefined ? { vs: o.vs as string } : {}), ...(o.persist ? { persist: true } : {}) };
  if (cmd !== "weight") return { ok: true, value: { cmd, ...t } };
  const w = o.weight;
  if (w !== null && (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > MAX_WEIGHT)) {
    return bad(`weight.weight = ${show(w)} (0..${MAX_WEIGHT}, or null to remove the override)`);
  }
  return { ok: true, value: { cmd, weight: w, ...t } };
}

/** Parses `IP`, `IP:PORT` or `[IP]:PORT` into the address and the port (null when absent). */
export function parseRsName(s: string): { address: string; port: number | null } | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:\[\]]+)(?::(\d+))?$/.exec(s) ?? /^([0-9a-fA-F:]+)()$/.exec(s);
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : null;
  if (port !== null && (port < 0 || port > 65535)) return undefined;
  return { address: m[1]!.toLowerCase(), port };
}

/** What the parent asks a child to do for a control request (the `ctlCommand` IPC message). */
export type ChildCommand =
  /** vrrp: each MASTER instance named yields (priority-0 advert) and stays BACKUP for `holdMs`. */
  | { op: "failover"; instances: string[]; holdMs: number; force: boolean }
  /**
   * check: the complete set of operator overrides now in force (it replaces the previous set). Keys are
   * `VS|RS` display names ("[192.0.2.10]:80|[198.51.100.5]:8080").
   */
  | { op: "overrides"; drained: string[]; weights: Record<string, number> }
  /** any: debug lines on (as -D) or off. */
  | { op: "logLevel"; detail: boolean }
  /** vrrp: failover holds still running (instance -> end, wall-clock ms), replayed to a restarted child. */
  | { op: "hold"; holds: Record<string, number> }
  /** any: push a fresh ctlSnapshot now (a status found the last one old); answered after it. */
  | { op: "snapshot" };

/** Why `c` is not a valid ChildCommand, or undefined. */
export function childCommandProblem(c: unknown): string | undefined {
  if (typeof c !== "object" || c === null) return "command is not an object";
  const o = c as Record<string, unknown>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  switch (o.op) {
    case "failover":
      if (!strings(o.instances)) return "failover.instances is not a list of names";
      if (typeof o.force !== "boolean") return `failover.force = ${show(o.force)}`;
      return typeof o.holdMs === "number" && o.holdMs >= 0 ? undefined : `failover.holdMs = ${show(o.holdMs)}`;
    case "overrides": {
      if (!strings(o.drained)) return "overrides.drained is not a list of names";
      const w = o.weights;
      if (typeof w !== "object" || w === null || Array.isArray(w)) return "overrides.weights is not an object";
      for (const [k, v] of Object.entries(w)) if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return `overrides.weights[${k}] = ${show(v)}`;
      return undefined;
    }
    case "logLevel":
      return typeof o.detail === "boolean" ? undefined : `logLevel.detail = ${show(o.detail)}`;
    case "snapshot":
      return undefined;
    case "hold": {
      const h = o.holds;
      if (typeof h !== "object" || h === null || Array.isArray(h)) return "hold.holds is not an object";
      for (const [k, v] of Object.entries(h)) if (typeof v !== "number" || !Number.isFinite(v)) return `hold.holds[${k}] = ${show(v)}`;
      return undefined;
    }
    default:
      return `unknown op ${show(o.op)}`;
  }
}
