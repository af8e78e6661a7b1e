/**
 * The part of a validated configuration each child gets over IPC (keepalived's children re-read the
 * whole file; ours receive only what they act on): globals plus the child's own area. Each role has its
 * own slice type, and the child checks on arrival that what came is shaped like its slice
 * (`sliceProblem`), so no child casts an `unknown`.
 */
import type { Role } from "../core/role.ts";
import type { BfdSection, BgpSection, CheckSection, GlobalDefs, KeepalivedConfig, VrrpSection } from "./model.ts";

/** What the VRRP child gets: its instances, scripts, trackers and static entries, and bgp_announce (VIP metrics). */
export interface VrrpSlice {
  readonly file: string;
  readonly global: GlobalDefs;
  readonly vrrp: VrrpSection;
  /** bgp goes along so that announced VIPs get src/bgp/desired.ts VIP_METRIC_UNDER_BGP. */
  readonly bgp: BgpSection;
  /** bfd for the data dump's "VRRP Track BFDs" (the sessions themselves are the BFD child's). */
  readonly bfd: BfdSection;
}

/** What the check child gets: virtual servers, and the track_file definitions its checkers may follow. */
export interface CheckSlice {
  readonly file: string;
  /** With notify_fifo's reader script removed when a VRRP child runs (that child starts it). */
  readonly global: GlobalDefs;
  readonly check: CheckSection;
  readonly vrrp: Pick<VrrpSection, "trackFiles">;
}

/** What the BFD child gets: its BFD instances. */
export interface BfdSlice {
  readonly file: string;
  readonly global: GlobalDefs;
  readonly bfd: BfdSection;
}

/** Each role's slice type. */
export interface RoleSlices {
  vrrp: VrrpSlice;
  check: CheckSlice;
  bfd: BfdSlice;
}

/** Any child's slice (the IPC `config` message's payload). */
export type ConfigSlice = RoleSlices[Role];

/** The slice of `c` for `role`. */
export function sliceFor<R extends Role>(c: KeepalivedConfig, role: R): RoleSlices[R];
export function sliceFor(c: KeepalivedConfig, role: Role): ConfigSlice {
  if (role === "vrrp") {
    return { file: c.file, global: c.global, vrrp: c.vrrp, bgp: c.bgp, bfd: c.bfd } satisfies VrrpSlice;
  }
  if (role === "bfd") return { file: c.file, global: c.global, bfd: c.bfd } satisfies BfdSlice;
  // The shared notify_fifo's reader script is the VRRP child's to start; with no VRRP child, the check
  // child's (keepalived starts it whatever processes run).
  const nf = c.global.notifyFifo;
  const global = nf?.script && needsRole(c, "vrrp") ? { ...c.global, notifyFifo: { ...nf, script: null } } : c.global;
  return {
    file: c.file,
    global,
    check: c.check,
    vrrp: { trackFiles: c.vrrp.trackFiles },
  } satisfies CheckSlice;
}

/** Whether the configuration needs the given child process at all. */
export function needsRole(c: KeepalivedConfig, role: Role): boolean {
  if (role === "vrrp") {
    const v = c.vrrp;
    return v.instances.length > 0 || v.staticIpaddresses.length > 0 || v.staticRoutes.length > 0 ||
      v.staticRules.length > 0;
  }
  // lvs_sync_daemon is run by the check child (IPVS has one writer), with or without virtual servers.
  if (role === "check") return c.check.virtualServers.length > 0 || c.global.lvsSyncDaemon !== null;
  return c.bfd.instances.length > 0;
}

/** The areas each slice carries, each with the arrays a child reads first. */
const AREAS: { readonly [R in Role]: Readonly<Record<string, readonly string[]>> } = {
  vrrp: { global: [], vrrp: ["instances", "scripts", "syncGroups", "staticIpaddresses"], bgp: ["announces"], bfd: ["instances"] },
  check: { global: [], check: ["virtualServers", "virtualServerGroups"], vrrp: ["trackFiles"] },
  bfd: { global: [], bfd: ["instances"] },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why `s` is not a slice for `role` (as sent by sliceFor), or undefined. */
export function sliceProblem(role: Role, s: unknown): string | undefined {
  if (!isObject(s)) return "slice is not an object";
  if (typeof s.file !== "string") return "slice.file is not a string";
  for (const [area, lists] of Object.entries(AREAS[role])) {
    const v = s[area];
    if (!isObject(v)) return `slice.${area} is not an object (not a ${role} slice)`;
    for (const l of lists) if (!Array.isArray(v[l])) return `slice.${area}.${l} is not an array`;
  }
  return undefined;
}

/** Whether `s` is shaped like `role`'s slice (sliceProblem finds nothing). */
export function isSliceFor<R extends Role>(role: R, s: unknown): s is RoleSlices[R] {
  return sliceProblem(role, s) === undefined;
}
