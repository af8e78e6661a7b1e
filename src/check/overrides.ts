/**
 * Operator overrides of real servers (drained, weight), set through the control socket: the shape one
 * virtual server receives and the IPVS table without its drained destinations.
 */
import type { RealServer, VirtualServer } from "../config/model-check.ts";
import type { DesiredService } from "./table.ts";
import { rsPort } from "./topology.ts";

/** The overrides of one virtual server, by real-server display name ("[198.51.100.5]:8080"). */
export interface RsOverrides {
  drained: ReadonlySet<string>;
  weights: ReadonlyMap<string, number>;
}

/**
 * Whether two sets of overrides drain the same servers and set the same weights: the parent sends the
 * overrides to every check child that starts, most often none, and an unchanged set re-evaluates nothing.
 */
export function sameOverrides(a: RsOverrides, b: RsOverrides): boolean {
  if (a.drained.size !== b.drained.size || a.weights.size !== b.weights.size) return false;
  for (const d of a.drained) if (!b.drained.has(d)) return false;
  for (const [k, w] of a.weights) if (b.weights.get(k) !== w) return false;
  return true;
}

/** `table` without the destinations of `drained` real servers. */
export function withoutDrained(
  table: DesiredService[],
  vs: VirtualServer,
  drained: readonly RealServer[],
): DesiredService[] {
  const gone = new Set(drained.map((rs) => `${rs.address.toLowerCase()}|${rsPort(vs, rs)}`));
  // A fwmark service's DR/tunnel destination has port 0 whatever the real server's port.
  const goneAddr = new Set(drained.map((rs) => rs.address.toLowerCase()));
  const kept = (s: DesiredService, d: DesiredService["dests"][number]) =>
    !gone.has(`${d.addr.toLowerCase()}|${d.port}`) && !(s.fwmark !== undefined && d.port === 0 && goneAddr.has(d.addr.toLowerCase()));
  return table.map((s) => ({ ...s, dests: s.dests.filter((d) => kept(s, d)) }));
}
