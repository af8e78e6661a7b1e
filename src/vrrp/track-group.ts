/**
 * `track_group` on static addresses and routes (keepalived.conf(5) "Static track groups"), with the
 * meaning keepalived 2.2.7 gives it when run in a namespace (test/netns/vrrp-track-group.test.ts):
 * every instance a track group lists tracks the interface of each static address and static route
 * (its `dev` and its next hops' devs) that names the group. The link going down puts those instances
 * into FAULT ("Netlink reports dum0 down", "(VI_1) Entering FAULT STATE"); back up, they return to
 * BACKUP. Without a track_group the same link change leaves the instances alone. A static address
 * deleted by someone else is restored either way and causes no FAULT, as in keepalived.
 * keepalived 2.2.7 was seen to do nothing with track_group on a static rule (no FAULT when its
 * `oif` goes down, and a deleted static rule is not restored), so rules add no tracker here either.
 */
import type { IpAddressSpec, RouteSpec, TrackGroup } from "../config/model.ts";

/** The parts of the VRRP section and globals that decide which interfaces an instance tracks. */
export interface StaticTrackSource {
  readonly trackGroups?: readonly TrackGroup[];
  readonly staticIpaddresses?: readonly IpAddressSpec[];
  readonly staticRoutes?: readonly RouteSpec[];
  /** global_defs default_interface: the device of a static address without `dev`. */
  readonly defaultInterface?: string | null;
}

/** Interfaces that `instance` tracks through the track groups of static addresses and routes (no repeats). */
export function staticTrackedInterfaces(s: StaticTrackSource, instance: string): string[] {
  const groups = new Set((s.trackGroups ?? []).filter((g) => g.members.includes(instance)).map((g) => g.name));
  if (groups.size === 0) return [];
  const out = new Set<string>();
  for (const a of s.staticIpaddresses ?? []) {
    if (a.trackGroup === null || !groups.has(a.trackGroup)) continue;
    const dev = a.dev ?? s.defaultInterface ?? null;
    if (dev) out.add(dev);
  }
  for (const r of s.staticRoutes ?? []) {
    if (r.trackGroup === null || !groups.has(r.trackGroup)) continue;
    if (r.dev) out.add(r.dev);
    for (const h of r.nexthops) if (h.dev) out.add(h.dev);
  }
  return [...out];
}
