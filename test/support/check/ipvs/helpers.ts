/** Builders for IPVS services and destinations in the reconciler tests. */
import type { IpvsDest, IpvsService } from "../../../../src/check/ipvs/kernel.ts";
import type { IpvsEntry } from "../../../../src/check/ipvs/diff.ts";

/** A TCP IPv4 service on `addr:port` with scheduler `sched`. */
export function tcp(
  addr: string,
  port: number,
  sched = "wlc",
  extra: Partial<IpvsService> = {},
): IpvsService {
  return { af: 2, protocol: 6, addr, port, sched, flags: 0, timeout: 0, netmask: 0xffffffff, ...extra };
}

/** A fwmark IPv4 service. */
export function fwm(mark: number, sched = "wlc"): IpvsService {
  return { af: 2, fwmark: mark, sched, flags: 0, timeout: 0, netmask: 0xffffffff };
}

/** A destination. */
export function rs(addr: string, port: number, weight = 1, fwd: IpvsDest["fwd"] = "masq"): IpvsDest {
  return { addr, port, fwd, weight, uThresh: 0, lThresh: 0 };
}

/** A table entry. */
export function entry(service: IpvsService, ...dests: IpvsDest[]): IpvsEntry {
  return { service, dests };
}
