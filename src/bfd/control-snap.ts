/**
 * The BFD child's status for `keepalived ctl status` (src/core/control-state.ts): each session's state
 * and the remote's (RFC 5880 §6.8.1 bfd.SessionState / bfd.RemoteSessionState), the transmit interval
 * and Detection Time in force (§6.8.2, §6.8.4) and the last local diagnostic (§4.1).
 */
import type { BfdSnap } from "../core/control-state.ts";
import { currentDetectionTimeUs, currentTxIntervalUs } from "./session.ts";
import type { BfdSessionView } from "./dump.ts";
import { diagText } from "./dump.ts";

/** The snapshot of every session. */
export function bfdSnapshot(views: readonly BfdSessionView[]): BfdSnap {
  return {
    kind: "bfd",
    sessions: views.map((v) => ({
      name: v.instance.name,
      state: v.session.state,
      neighbor: v.instance.neighborIp ?? "",
      txMs: currentTxIntervalUs(v.session) / 1000,
      detectMs: currentDetectionTimeUs(v.session) / 1000,
      diag: diagText(v.session.localDiag),
      remoteState: v.session.remoteState,
    })),
  };
}
