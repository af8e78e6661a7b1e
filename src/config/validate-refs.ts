/**
 * Cross-block checks keepalived makes at config time (keepalived.conf(5) VRRPD and GLOBAL sections):
 * interfaces named by garp_group, sync-group track_interface, linkbeat_interfaces and
 * interface_up_down_delays must exist (the last two are fatal, exit 4, as in keepalived -t), and
 * track_group names used by static addresses/routes/rules must be defined.
 */
import type { DiagSink } from "./diag.ts";
import type { GarpGroup, InterfaceDelay, IpAddressSpec, RouteSpec, RuleSpec, SyncGroup, TrackGroup } from "./model.ts";

/** What the checks look at. */
export interface RefInputs {
  readonly garpGroups: readonly GarpGroup[];
  readonly syncGroups: readonly SyncGroup[];
  readonly linkbeat: readonly { name: string; src: { file: string; line: number } }[];
  readonly ifDelays: readonly (InterfaceDelay & { src: { file: string; line: number } })[];
  readonly statics: readonly (IpAddressSpec | RouteSpec | RuleSpec)[];
  readonly trackGroups: readonly TrackGroup[];
}

/** Report missing interfaces and undefined track groups. */
export function checkRefs(
  r: RefInputs,
  interfaceExists: (n: string) => boolean,
  dynamic: boolean,
  diags: DiagSink,
): void {
  if (!dynamic) {
    for (const g of r.garpGroups) {
      for (const i of g.interfaces) {
        if (!interfaceExists(i)) diags.error(g.src, `garp_group: interface '${i}' does not exist`);
      }
    }
    for (const s of r.syncGroups) {
      for (const t of s.trackInterfaces) {
        if (!interfaceExists(t.name)) {
          diags.error(t.src, `(${s.name}) tracked interface '${t.name}' does not exist`);
        }
      }
    }
  }
  for (const l of r.linkbeat) {
    if (!interfaceExists(l.name)) {
      diags.add(l.src, "fatal", `linkbeat_interfaces: interface '${l.name}' does not exist`);
    }
  }
  for (const d of r.ifDelays) {
    if (!interfaceExists(d.ifname)) {
      diags.add(d.src, "fatal", `interface_up_down_delays: interface '${d.ifname}' does not exist`);
    }
  }
  const groups = new Set(r.trackGroups.map((t) => t.name));
  for (const s of r.statics) {
    if (s.trackGroup !== null && !groups.has(s.trackGroup)) {
      diags.error(s.src, `track_group '${s.trackGroup}' is not defined`);
    }
  }
}
