/**
 * Display names of virtual and real servers, shared by the check child (which puts them in rsState /
 * vsState messages) and the parent (which finds a server's smtp_alert by them and puts them in mail
 * subjects): `[192.0.2.10]:80`, `[2001:db8::1]:443`, `FWM 5`, `group NAME`.
 */
import type { RealServer, VirtualServer } from "../config/model-check.ts";

/** `[ADDR]:PORT`; the port is left out when there is none (fwmark services). */
export function endpointName(address: string, port: number | null): string {
  return port === null ? `[${address}]` : `[${address}]:${port}`;
}

/** The display name of a virtual server. */
export function vsName(vs: Pick<VirtualServer, "kind" | "address" | "port" | "fwmark" | "group">): string {
  if (vs.kind === "fwmark") return `FWM ${vs.fwmark ?? 0}`;
  if (vs.kind === "group") return `group ${vs.group ?? ""}`;
  return endpointName(vs.address ?? "", vs.port);
}

/** The display name of a real server of `vs` (its port defaults to the virtual server's). */
export function rsName(vs: Pick<VirtualServer, "port">, rs: Pick<RealServer, "address" | "port">): string {
  return endpointName(rs.address, rs.port ?? vs.port);
}
