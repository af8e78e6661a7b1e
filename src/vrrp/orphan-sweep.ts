/**
 * What the parent does when the VRRP child dies unexpectedly (SIGKILL, crash): the VIPs, virtual routes
 * and virtual rules of every configured instance are removed at once, as the child itself does when it
 * leaves MASTER (RFC 5798 §6.4.3: a router that no longer sends adverts must not keep answering for the
 * addresses). Without this the dead child's addresses stay up while the peer, hearing no adverts, becomes
 * MASTER after Master_Down_Interval: two masters until the next child takes over again.
 * An address is removed only from the interface the instance would have put it on (its `dev`, the
 * instance's interface, or a macvlan VMAC on that interface), never from anywhere else.
 */
import type { KeepalivedConfig, VrrpInstance } from "../config/model.ts";
import { formatIp, parseIp } from "../core/inet.ts";
import type { AddrInfo, LinkInfo, NetKernel } from "./netkernel.ts";
import { addrRequest, routeRequest, ruleRequest } from "./routes.ts";
import { addrDev } from "./addr-dev.ts";

/** What a sweep removed and what it could not. */
export interface SweepResult {
  /** "192.0.2.100/24 dev veth0" for each address removed. */
  removed: string[];
  /** Errors naming the address, route or rule. */
  errors: string[];
}

/** The canonical text of an address (so "2001:DB8::1" and "2001:db8:0::1" compare equal). */
function canon(a: string): string {
  const p = parseIp(a);
  return p ? formatIp(p.bytes) : a;
}

/** Interfaces (indexes) an instance's address may sit on: `dev`, else the instance's interface and its VMACs. */
function homes(i: VrrpInstance, dev: string | null, c: KeepalivedConfig, links: LinkInfo[]): Set<number> {
  const name = dev ?? i.interface ?? c.global.defaultInterface;
  const base = links.find((l) => l.name === name);
  const out = new Set<number>();
  if (!base) return out;
  out.add(base.index);
  if (!dev && i.vmac) { for (const l of links) if (l.kind === "macvlan" && l.link === base.index) out.add(l.index); }
  return out;
}

/** Removes every configured instance's VIPs (and excluded VIPs), virtual rules and virtual routes. */
export function sweepVrrpAddresses(c: KeepalivedConfig, kernel: NetKernel): SweepResult {
  const res: SweepResult = { removed: [], errors: [] };
  const links = kernel.dumpLinks();
  const addrs: AddrInfo[] = kernel.dumpAddrs();
  const ifindex = (n: string) => links.find((l) => l.name === n)?.index ?? 0;
  for (const i of c.vrrp.instances) {
    for (const spec of i.virtualRules) {
      const b = ruleRequest(spec);
      if (b.ok) attempt(res, `rule ${spec.from ?? "all"}`, () => kernel.delRule(b.value));
    }
    for (const spec of i.virtualRoutes) {
      const b = routeRequest(spec, ifindex);
      if (b.ok) attempt(res, `route ${spec.dest}`, () => kernel.delRoute(b.value));
    }
    for (const v of [...i.virtualIpaddresses, ...i.virtualIpaddressesExcluded]) {
      const where = homes(i, addrDev(v), c, links);
      const want = canon(v.address);
      for (const a of addrs) {
        if (!where.has(a.index) || a.prefixLen !== v.prefixLen || canon(a.address) !== want) continue;
        const dev = links.find((l) => l.index === a.index)?.name ?? String(a.index);
        const req = addrRequest(v, a.index);
        if (attempt(res, `address ${v.address}/${v.prefixLen} dev ${dev}`, () => kernel.delAddr(req))) {
          res.removed.push(`${v.address}/${v.prefixLen} dev ${dev}`);
        }
      }
    }
  }
  return res;
}

function attempt(res: SweepResult, what: string, f: () => boolean): boolean {
  try {
    return f();
  } catch (e) {
    res.errors.push(`cannot remove ${what}: ${(e as Error).message}`);
    return false;
  }
}
