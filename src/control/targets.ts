/**
 * Finding what a control command names in the running configuration: a VRRP instance or sync group
 * for `failover`, real servers for `drain`/`undrain`/`weight` (by `IP`, `IP:PORT` or `[IP]:PORT`, in every
 * virtual server that has it, or in the one `--vs` names). Pure: configuration in, names or a reason out.
 */
import { rsName, vsName } from "../alert/names.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import { parseRsName, type RsTarget } from "../core/control-proto.ts";
import { bytesToIpv4, ipv4ToBytes } from "../proto/ipv4.ts";
import { bytesToIpv6, ipv6ToBytes } from "../proto/ipv6.ts";

/** Instance names a failover of `target` (an instance or a sync group) acts on, or a reason. */
export function failoverInstances(c: KeepalivedConfig, target: string): { names: string[] } | { reason: string } {
  if (c.vrrp.instances.some((i) => i.name === target)) return { names: [target] };
  const g = c.vrrp.syncGroups.find((x) => x.name === target);
  if (g) return { names: [...g.members] };
  const known = [...c.vrrp.instances.map((i) => i.name), ...c.vrrp.syncGroups.map((x) => `${x.name} (group)`)];
  return { reason: `no vrrp_instance or vrrp_sync_group named '${target}'${known.length ? ` (configured: ${known.join(", ")})` : ""}` };
}

/** An address in one canonical text form (dotted quad / RFC 5952), or as given in lower case. */
function canonical(a: string): string {
  const v4 = ipv4ToBytes(a);
  if (v4) return bytesToIpv4(v4);
  const v6 = ipv6ToBytes(a);
  return v6 ? bytesToIpv6(v6) : a.toLowerCase();
}

/** `VS|RS` keys of the real servers `t` names, or a reason. */
export function rsKeys(c: KeepalivedConfig, t: RsTarget): { keys: string[] } | { reason: string } {
  const want = parseRsName(t.rs);
  if (!want) return { reason: `'${t.rs}' is not IP, IP:PORT or [IP]:PORT` };
  const addr = canonical(want.address);
  const keys: string[] = [];
  const vsNames: string[] = [];
  for (const vs of c.check.virtualServers) {
    const vn = vsName(vs);
    vsNames.push(vn);
    if (t.vs !== undefined && vn !== t.vs) continue;
    for (const rs of vs.realServers) {
      if (canonical(rs.address) !== addr) continue;
      if (want.port !== null && (rs.port ?? vs.port) !== want.port) continue;
      keys.push(`${vn}|${rsName(vs, rs)}`);
    }
  }
  if (t.vs !== undefined && !vsNames.includes(t.vs)) return { reason: `no virtual_server '${t.vs}' (configured: ${vsNames.join(", ") || "none"})` };
  if (keys.length === 0) return { reason: `no real_server ${t.rs}${t.vs ? ` in ${t.vs}` : ""}` };
  return { keys };
}
