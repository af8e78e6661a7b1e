/**
 * Validation of `bgp_announce` blocks (docs/bgp.md): every followed instance, sync group and virtual
 * server must exist; the prefixes default to the followed instances' virtual_ipaddress and
 * virtual_ipaddress_excluded addresses and the virtual servers' addresses, as host prefixes; a prefix is
 * announced by one block only. Errors carry the block's file:line.
 */
import type { DiagSink } from "./diag.ts";
import type { BgpAnnounce, BgpPrefix } from "./model-bgp.ts";
import type { SyncGroup, VirtualServer, VrrpInstance } from "./model.ts";
import type { BgpDraft } from "./kw-bgp.ts";
import { unique } from "./validate-side.ts";
import { vsName } from "../alert/names.ts";

/** What announcements may refer to. */
export interface BgpRefs {
  readonly instances: readonly VrrpInstance[];
  readonly syncGroups: readonly SyncGroup[];
  readonly virtualServers: readonly VirtualServer[];
}

/** Default device name. */
export const BGP_DEFAULT_DEVICE = "ka-bgp";

const key = (p: BgpPrefix): string => `${p.address}/${p.prefixLen}`;

function defaultPrefixes(d: BgpDraft, refs: BgpRefs): BgpPrefix[] {
  const out = new Map<string, BgpPrefix>();
  const members = new Set(d.instances);
  for (const g of refs.syncGroups) if (d.syncGroups.includes(g.name)) { for (const m of g.members) members.add(m); }
  for (const i of refs.instances) {
    if (!members.has(i.name)) continue;
    for (const a of [...i.virtualIpaddresses, ...i.virtualIpaddressesExcluded]) {
      const p = { family: a.family, address: a.address, prefixLen: a.family === "ipv4" ? 32 : 128 };
      out.set(key(p), p);
    }
  }
  for (const v of refs.virtualServers) {
    if (v.kind !== "address" || !v.address || !d.virtualServers.includes(vsName(v))) continue;
    const family = v.family ?? (v.address.includes(":") ? "ipv6" : "ipv4");
    const p: BgpPrefix = { family, address: v.address, prefixLen: family === "ipv4" ? 32 : 128 };
    out.set(key(p), p);
  }
  return [...out.values()];
}

/** Reports references to things that do not exist; returns false when any is missing. */
function refsExist(d: BgpDraft, refs: BgpRefs, diags: DiagSink): boolean {
  const where = `bgp_announce ${d.name}`;
  let ok = true;
  const missing = (what: string, n: string) => {
    diags.error(d.src!, `${where}: ${what} '${n}' is not defined (or was removed); announcement removed`);
    ok = false;
  };
  const inst = new Set(refs.instances.map((i) => i.name));
  const groups = new Set(refs.syncGroups.map((g) => g.name));
  const vss = new Set(refs.virtualServers.map((v) => vsName(v)));
  for (const n of d.instances) if (!inst.has(n)) missing("follow_instance: vrrp_instance", n);
  for (const n of d.syncGroups) if (!groups.has(n)) missing("follow_sync_group: vrrp_sync_group", n);
  for (const n of d.virtualServers) if (!vss.has(n)) missing("follow_virtual_server: virtual_server", n);
  return ok;
}

function finishOne(d: BgpDraft, refs: BgpRefs, diags: DiagSink): BgpAnnounce | undefined {
  const where = `bgp_announce ${d.name}`;
  if (d.instances.length + d.syncGroups.length + d.virtualServers.length === 0) {
    diags.error(d.src!, `${where} follows nothing (no follow_instance, follow_sync_group or follow_virtual_server); removed`);
    return undefined;
  }
  if (!refsExist(d, refs, diags)) return undefined;
  const vrrpFollowed = d.instances.length + d.syncGroups.length > 0;
  if (d.announceBackup && !vrrpFollowed) {
    diags.error(d.src!, `${where}: announce_backup needs a follow_instance or follow_sync_group; removed`);
    return undefined;
  }
  const prefixes = d.prefixSet ? d.prefixes : defaultPrefixes(d, refs);
  if (prefixes.length === 0) {
    diags.error(d.src!, `${where} has no prefix (none given and nothing it follows has an address); removed`);
    return undefined;
  }
  return {
    name: d.name!,
    instances: [...new Set(d.instances)],
    syncGroups: [...new Set(d.syncGroups)],
    virtualServers: [...new Set(d.virtualServers)],
    prefixes,
    device: d.device ?? BGP_DEFAULT_DEVICE,
    metric: d.metric ?? 0,
    announceBackup: d.announceBackup ?? false,
    src: d.src!,
  };
}

/** Validates every bgp_announce; a prefix claimed by an earlier block is an error in the later one. */
export function finishBgp(list: readonly BgpDraft[], refs: BgpRefs, diags: DiagSink): BgpAnnounce[] {
  const out: BgpAnnounce[] = [];
  const owner = new Map<string, string>();
  for (const d of unique(list, "bgp_announce", diags)) {
    const a = finishOne(d, refs, diags);
    if (!a) continue;
    const clash = a.prefixes.find((p) => owner.has(key(p)));
    if (clash) {
      diags.error(a.src, `bgp_announce ${a.name}: prefix ${key(clash)} is already announced by bgp_announce ${owner.get(key(clash))}; removed`);
      continue;
    }
    for (const p of a.prefixes) owner.set(key(p), a.name);
    out.push(a);
  }
  return out;
}
