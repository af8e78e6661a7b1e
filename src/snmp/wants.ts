/**
 * Whether a child must push its metrics snapshots to the parent: for /metrics, and for SNMP and
 * D-Bus, which the parent answers from the same snapshots (src/snmp/live.ts).
 */
import type { KeepalivedConfig } from "../config/model.ts";

/** True when /metrics, SNMP (any enable_snmp_* or -x) or D-Bus needs the child's snapshots. */
export function parentWantsReports(g: KeepalivedConfig["global"], cliSnmp: boolean): boolean {
  return g.metricsListen !== null || cliSnmp || g.enableSnmpVrrp || g.enableSnmpChecker || g.enableSnmpRfcV2 ||
    g.enableSnmpRfcV3 || g.enableDbus;
}
