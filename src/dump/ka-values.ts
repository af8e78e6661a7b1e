/**
 * Value formatting shared by the keepalived 2.2.7-layout dumps (`-d`, USR1 data, JSON): booleans,
 * addresses, routes, rules and scripts written the way keepalived writes them, so that text compares
 * line by line with keepalived's own files (docs/dumps.md lists the allowed differences).
 */
import { realpathSync } from "node:fs";
import type { Family } from "../core/inet.ts";
import type { GlobalDefs, IpAddressSpec, RouteSpec, RuleSpec, ScriptSpec } from "../config/model.ts";
import { defaultScriptUser, resolveUser } from "../core/script.ts";

/** keepalived's "true"/"false". */
export const tf = (b: boolean): string => (b ? "true" : "false");
/** keepalived's "enabled"/"disabled". */
export const ed = (b: boolean): string => (b ? "enabled" : "disabled");
/** keepalived's "yes"/"no". */
export const yn = (b: boolean): string => (b ? "yes" : "no");
/** Whole seconds from milliseconds (keepalived keeps these as integral seconds). */
export const secs = (ms: number): number => Math.floor(ms / 1000);
/** A seconds value printed with %f (six decimals). */
export const fsecs = (ms: number): string => (ms / 1000).toFixed(6);
/** keepalived's unset 32-bit value (UINT_MAX), printed where a default is filled in only later. */
export const UNSET_U32 = 4294967295;

/**
 * `uid:gid` of the user a script runs as (its own user, else script_user, else keepalived_script/root);
 * `rootDefault`: root unless it names a user (FIFOs, start-up and shutdown scripts).
 */
export function uidGid(s: { user: string | null; group: string | null } | null, g: Pick<GlobalDefs, "scriptUser">, rootDefault = false): string {
  if (rootDefault && !s?.user) return "0:0";
  const su = g.scriptUser;
  const u = s?.user ? resolveUser(s.user, s.group ?? undefined) : defaultScriptUser(su ? { user: su.user, group: su.group ?? undefined } : undefined);
  return typeof u === "string" ? "0:0" : `${u.uid}:${u.gid}`;
}

function resolvedProgram(p: string): string {
  let path = p;
  if (!p.includes("/")) path = Bun.which(p) ?? p;
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A command as keepalived prints it: each word single-quoted, the program resolved to its real path. */
export function quotedCommand(s: Pick<ScriptSpec, "argv">): string {
  return s.argv.map((a, i) => `'${i === 0 ? resolvedProgram(a) : a}'`).join(" ");
}

/** `'cmd' 'arg', uid:gid U:G` as in the notify script lines (`rootDefault`: runs as root unless it names a user). */
export function scriptLine(s: ScriptSpec, g: Pick<GlobalDefs, "scriptUser">, rootDefault = false): string {
  return `${quotedCommand(s)}, uid:gid ${uidGid(s, g, rootDefault)}`;
}

/** keepalived's word for an address family in its dumps ("via inet 192.0.2.1"). */
const familyWord = (f: Family): string => (f === "ipv6" ? "inet6" : "inet");

/** An address as keepalived's dump_ipaddress writes it (without the trailing " set"). */
export function addressText(a: IpAddressSpec, defaultDev: string | null): string {
  const full = a.family === "ipv4" ? 32 : 128;
  const parts = [a.prefixLen === full ? a.address : `${a.address}/${a.prefixLen}`];
  if (a.peer) parts.push(`peer ${a.peer}`);
  if (a.broadcast) parts.push(`brd ${a.broadcast}`);
  const dev = a.dev ?? defaultDev;
  if (dev) parts.push(`dev ${dev}`);
  parts.push(`scope ${a.scope ?? "global"}`);
  if (a.label) parts.push(`label ${a.label}`);
  if (a.noDad) parts.push("nodad");
  if (a.home) parts.push("home");
  if (a.noPrefixRoute) parts.push("noprefixroute");
  if (a.autoJoin) parts.push("autojoin");
  if (a.family === "ipv6") parts.push(a.preferredLftS === 0 ? "preferred_lft 0" : "preferred_lft forever");
  if (a.noTrack) parts.push("no_track");
  if (a.trackGroup) parts.push(`track_group ${a.trackGroup}`);
  return parts.join(" ");
}

const RTPROT_KEEPALIVED = 18;

/** A route as keepalived's format_iproute writes it. `virtual`: a route of an instance (no dev = not tracked). */
export function routeText(r: RouteSpec, virtual: boolean): string {
  const parts = ["prepend"];
  if (r.type !== "unicast") parts.push(r.type);
  parts.push(r.dest);
  if (r.fromPrefix) parts.push(`from ${r.fromPrefix}`);
  if (r.prefSrc) parts.push(`src ${r.prefSrc}`);
  if (r.via) parts.push(`via ${familyWord(r.family)} ${r.via}`);
  if (r.dev) parts.push(`dev ${r.dev}`);
  if (r.table !== null && r.table !== 254) parts.push(`table ${r.table}`);
  parts.push(`proto ${r.protocol ?? RTPROT_KEEPALIVED}`);
  if (r.scope) parts.push(`scope ${r.scope}`);
  if (r.metric !== null) parts.push(`metric ${r.metric}`);
  for (const [k, v] of Object.entries(r.options)) parts.push(`${k} ${v}`);
  if (r.onlink) parts.push("onlink");
  for (const h of r.nexthops) {
    parts.push("nexthop");
    if (h.via) parts.push(`via ${familyWord(r.family)} ${h.via}`);
    if (h.dev) parts.push(`dev ${h.dev}`);
    if (h.weight !== null) parts.push(`weight ${h.weight}`);
    if (h.onlink) parts.push("onlink");
  }
  if (r.noTrack || (virtual && !r.dev)) parts.push("no_track");
  if (r.trackGroup) parts.push(`track_group ${r.trackGroup}`);
  return parts.join(" ");
}

/** A rule as keepalived's format_iprule writes it. */
export function ruleText(r: RuleSpec): string {
  const parts: string[] = [];
  if (r.not) parts.push("not");
  parts.push(`from ${r.from ?? "all"}`);
  if (r.to) parts.push(`to ${r.to}`);
  if (r.preference !== null) parts.push(`priority ${r.preference}`);
  parts.push(`tos ${r.options.tos ?? "0x0"}`);
  for (const [k, v] of Object.entries(r.options)) if (k !== "tos") parts.push(`${k} ${v}`);
  parts.push(`protocol ${RTPROT_KEEPALIVED}`);
  if (r.action === "table") parts.push(`lookup ${r.table ?? 254}`);
  else if (r.action === "goto") parts.push(`goto ${r.gotoTarget ?? 0}`);
  else parts.push(r.action);
  if (r.noTrack) parts.push("no_track");
  if (r.trackGroup) parts.push(`track_group ${r.trackGroup}`);
  return parts.join(" ");
}
