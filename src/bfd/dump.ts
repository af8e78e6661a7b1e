/**
 * keepalived's USR1 data dump for the BFD child (`keepalived_bfd.data` in TMPDIR or /tmp) in keepalived
 * 2.2.7's layout: one block per `bfd_instance` with its configuration and RFC 5880 §6.8.1 session
 * variables, our fields (ports, packet counts, drops) after keepalived's.
 * src/core/dumpfile.ts writes it safely.
 */
import { diagName } from "../proto/bfd.ts";
import type { BfdInstance, GlobalDefs } from "../config/model.ts";
export { bfdConfigLines };
import { globalSection } from "../dump/ka-global.ts";
import { kaTime } from "../dump/ka-vrrp.ts";
import { bfdConfigLines } from "../dump/ka-bfd.ts";
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
  return `0x${(n >>> 0).toString(16)}`;
}

function timerText(atMs: number | null, wallOffsetMs: number): string {
  return atMs === null ? "[disabled]" : kaTime(atMs + wallOffsetMs);
}

function sessionLines(v: BfdSessionView, wallOffsetMs: number): string[] {
  const s = v.session;
  const remoteTx = s.remoteMinTxUs ? Math.max(s.remoteMinTxUs, s.rxBasisUs) : 0;
  const lines = [
    ...bfdConfigLines(v.instance),
    // We hand out no descriptor numbers or thread pointers: -1 and (nil) are keepalived's unset values.
    "   fd_out -1",
    "   thread_open_fd_out 0x(nil)",
    "   thread_out 0x(nil)",
    `   sands_out = ${timerText(s.txAtMs, wallOffsetMs)}`,
    "   thread_exp 0x(nil)",
    `   sands_exp = ${timerText(s.detectAtMs, wallOffsetMs)}`,
    "   thread_rst 0x(nil)",
    "   sands_rst = [disabled]",
    "   send error = false",
    `   local state = ${s.state}`,
    `   remote state = ${s.remoteState}`,
    `   local discriminator = ${hex(s.localDiscr)}`,
    `   remote discriminator = ${hex(s.remoteDiscr)}`,
    `   local diag = ${diagText(s.localDiag)}`,
    `   remote diag = ${diagText(s.remoteDiag)}`,
    `   remote min tx intv = ${s.remoteMinTxUs} us`,
    `   remote min rx intv = ${s.remoteMinRxUs === 1 ? 0 : s.remoteMinRxUs} us`,
    "   local demand = 0",
    `   remote demand = ${s.remoteDemand ? 1 : 0}`,
    `   remote detect multiplier = ${s.remoteDetectMult}`,
    `   ${s.polling ? "poll" : "!poll"}, !final`,
    `   local tx intv = ${currentTxIntervalUs(s)} us`,
    `   remote tx intv = ${remoteTx} us`,
    `   local detection time = ${currentDetectionTimeUs(s)} us`,
    `   remote detection time = ${remoteTx * s.remoteDetectMult} us`,
    `   last_seen = ${v.lastRxWallMs === null ? "[never]" : kaTime(v.lastRxWallMs)}`,
    // Ours, after keepalived's fields.
    `   multihop = ${v.instance.multihop}`,
    `   source port = ${v.sourcePort}`,
    `   advertised min tx intv = ${s.advertisedMinTxUs} us`,
    `   advertised min rx intv = ${s.advertisedMinRxUs} us`,
    `   packets sent = ${v.txPackets}`,
    `   packets received = ${v.rxPackets}`,
    `   poll sequence = ${s.polling ? "in progress" : "none"}`,
  ];
  for (const [reason, n] of Object.entries(v.discards)) lines.push(`   discarded ${reason} = ${n}`);
  return lines;
}

/**
 * keepalived_bfd.data: Global definitions (as the BFD child writes them), BFD Data, BFD Topology with
 * one block per session, then ours: drops that reached no session, by reason. `wallOffsetMs` turns the
 * sessions' monotonic timer times into wall-clock times.
 */
export function formatBfdDump(
  views: readonly BfdSessionView[],
  drops: Readonly<Record<string, number>>,
  global: GlobalDefs | null = null,
  wallOffsetMs = Date.now() - performance.now(),
): string {
  const out = [...(global ? globalSection(global, "bfd") : []), "------< BFD Data >------", " fd_in = -1", " thread_in = 0x(nil)"];
  out.push("------< BFD Topology >------");
  for (const v of views) out.push(...sessionLines(v, wallOffsetMs));
  out.push("------< BFD packet drops >------");
  const entries = Object.entries(drops);
  if (entries.length === 0) out.push(" (none)");
  for (const [reason, n] of entries) out.push(` ${reason} = ${n}`);
  return out.join("\n") + "\n";
}
