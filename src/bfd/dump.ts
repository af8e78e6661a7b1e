/**
 * keepalived's USR1 data dump for the BFD child (`keepalived_bfd.data` in TMPDIR or /tmp): one block per
 * `bfd_instance` with its configuration and RFC 5880 §6.8.1 session variables, plus our drop counters.
 * src/core/dumpfile.ts writes it safely.
 */
import { diagName } from "../proto/bfd.ts";
import type { BfdInstance } from "../config/model.ts";
import type { BfdSession } from "./session.ts";
import { currentDetectionTimeUs, currentTxIntervalUs } from "./session.ts";

/** What the dump shows of one session. */
export interface BfdSessionView {
  instance: BfdInstance;
  session: BfdSession;
  /** Bound UDP source port (0 while not bound). */
  sourcePort: number;
  /** Control packets sent / accepted. */
  txPackets: number;
  rxPackets: number;
  /** Packets selected for this session but dropped by it, by reason. */
  discards: Readonly<Record<string, number>>;
  /** Wall-clock ms of the last accepted packet, or null. */
  lastRxWallMs: number | null;
}


/** keepalived-style readable diag, e.g. "Control Detection Time Expired". */
export function diagText(code: number): string {
  return diagName(code).replace(/([a-z])([A-Z])/g, "$1 $2");
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
}

function sessionLines(v: BfdSessionView): string[] {
  const i = v.instance;
  const s = v.session;
  const lines = [
    ` BFD Instance = ${i.name}`,
    `   Neighbor IP = ${i.neighborIp}`,
    `   Source IP = ${i.sourceIp ?? "(none)"}`,
    `   Required min RX interval = ${Math.round(i.minRxMs * 1000)} us`,
    `   Desired min TX interval = ${Math.round(i.minTxMs * 1000)} us`,
    `   Desired idle TX interval = ${Math.round(i.idleTxMs * 1000)} us`,
    `   Detection multiplier = ${i.multiplier}`,
    `   TTL = ${i.ttl}`,
    `   max_hops = ${i.maxHops}`,
    `   multihop = ${i.multihop}`,
    `   passive = ${i.passive}`,
    `   source port = ${v.sourcePort}`,
    `   local state = ${s.state}`,
    `   remote state = ${s.remoteState}`,
    `   local discriminator = ${hex(s.localDiscr)}`,
    `   remote discriminator = ${hex(s.remoteDiscr)}`,
    `   local diag = ${diagText(s.localDiag)}`,
    `   remote diag = ${diagText(s.remoteDiag)}`,
    `   advertised min tx intv = ${s.advertisedMinTxUs} us`,
    `   advertised min rx intv = ${s.advertisedMinRxUs} us`,
    `   remote min tx intv = ${s.remoteMinTxUs} us`,
    `   remote min rx intv = ${s.remoteMinRxUs} us`,
    `   remote detect multiplier = ${s.remoteDetectMult}`,
    `   remote demand = ${s.remoteDemand ? 1 : 0}`,
    `   poll sequence = ${s.polling ? "in progress" : "none"}`,
    `   local tx intv = ${currentTxIntervalUs(s)} us`,
    `   local detection time = ${currentDetectionTimeUs(s)} us`,
    `   packets sent = ${v.txPackets}`,
    `   packets received = ${v.rxPackets}`,
  ];
  for (const [reason, n] of Object.entries(v.discards)) lines.push(`   discarded ${reason} = ${n}`);
  if (v.lastRxWallMs !== null) lines.push(`   last seen = ${new Date(v.lastRxWallMs).toISOString()}`);
  return lines;
}

/** The dump text: sessions, then drops that reached no session, by reason. */
export function formatBfdDump(
  views: readonly BfdSessionView[],
  drops: Readonly<Record<string, number>>,
): string {
  const out = ["------< BFD Topology >------"];
  for (const v of views) out.push(...sessionLines(v));
  out.push("------< BFD packet drops >------");
  const entries = Object.entries(drops);
  if (entries.length === 0) out.push(" (none)");
  for (const [reason, n] of entries) out.push(` ${reason} = ${n}`);
  return out.join("\n") + "\n";
}

