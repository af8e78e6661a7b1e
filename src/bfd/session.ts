/**
 * BFD session state machine (pure): RFC 5880 Asynchronous mode, without Echo, Demand (local) or
 * authentication, as keepalived's `bfd_instance` needs it.
 *
 * - §6.2 states AdminDown / Down / Init / Up; §6.8.1 state variables; §6.8.6 reception (table below);
 * - §6.5 / §6.8.3 Poll Sequence: when the Desired Min TX or Required Min RX we advertise changes, our
 *   packets carry P until one with F arrives; an increased TX interval and a reduced RX interval only take
 *   effect when the Final arrives; a received P is answered at once with F;
 * - §6.8.3 while not Up we advertise keepalived's `idle_tx` (RFC: at least 1 s) instead of `min_tx`;
 * - §6.8.4 detection: remote Detect Mult × max(our Required Min RX, remote Desired Min TX);
 * - §6.8.7 transmission: jittered (see timers.ts); none while passive and the peer is unknown, while the
 *   peer asks for Required Min RX 0, or while the peer is in Demand mode and both are Up (unless polling).
 *   Like FRR's bfdd we also send one packet at once when our state changes, so sessions come up in RTTs.
 *
 * Shape: `step(session, event, nowMs, rand) -> { next, actions }`; a runner performs the actions (send a
 * packet, arm or cancel a timer, report a transition) and feeds timer expiries and packets back in.
 *
 *   state (bfd.SessionState)  event               -> actions                                   next
 *   (not started)/AdminDown   start               -> send (unless passive), arm TX             Down
 *   Down/Init/Up              adminDown           -> stateChanged, send, cancel detect         AdminDown
 *   AdminDown                 packetReceived      -> remember peer's variables, discard        AdminDown
 *   Down/Init/Up              packetReceived      -> RECEIVE_TABLE, F if P, arm detect         see table
 *   Init/Up                   detectTimerExpired  -> diag 1, RemoteDiscr := 0, send            Down
 *   Down                      detectTimerExpired  -> RemoteDiscr := 0                          Down
 *   any started               txTimerExpired      -> send if §6.8.7 allows, re-arm TX          same
 *   any                       timersChanged       -> new advertised values, Poll Sequence      same
 */
import { checkYourDiscriminator, Diag } from "../proto/bfd.ts";
import type { BfdControlFields, BfdControlPacket, BfdDiscardReason, BfdState } from "../proto/bfd.ts";
import type { BfdInstance } from "../config/model.ts";
import { detectionTimeUs, jitteredDelayMs, msToUs, txIntervalUs } from "./timers.ts";
import type { Rand } from "./timers.ts";

/** Per-session settings (keepalived `bfd_instance`), intervals in microseconds. */
export interface BfdSessionConfig {
  /** `min_tx`: Desired Min TX while Up, µs. */
  desiredMinTxUs: number;
  /** `min_rx`: Required Min RX, µs. */
  requiredMinRxUs: number;
  /** `idle_tx`: Desired Min TX while not Up, µs (RFC 5880 §6.8.3 wants >= 1 s). */
  idleTxUs: number;
  /** `multiplier`: our Detect Mult. */
  detectMult: number;
  /** `passive`: do not send until the peer has been heard. */
  passive: boolean;
}

/** Session settings from a validated `bfd_instance` (milliseconds with µs resolution -> µs). */
export function sessionConfigOf(
  inst: Pick<BfdInstance, "minTxMs" | "minRxMs" | "idleTxMs" | "multiplier" | "passive">,
): BfdSessionConfig {
  return {
    desiredMinTxUs: msToUs(inst.minTxMs),
    requiredMinRxUs: msToUs(inst.minRxMs),
    idleTxUs: msToUs(inst.idleTxMs),
    detectMult: inst.multiplier,
    passive: inst.passive,
  };
}

/** The session: RFC 5880 §6.8.1 variables plus our timer deadlines. Immutable; `step` returns a new one. */
export interface BfdSession {
  readonly config: BfdSessionConfig;
  /** `start` has been processed: timers run and packets flow. */
  readonly started: boolean;
  /** bfd.SessionState. */
  readonly state: BfdState;
  /** bfd.RemoteSessionState. */
  readonly remoteState: BfdState;
  /** bfd.LocalDiscr, non-zero. */
  readonly localDiscr: number;
  /** bfd.RemoteDiscr, 0 while unknown. */
  readonly remoteDiscr: number;
  /** bfd.LocalDiag. */
  readonly localDiag: number;
  /** Diag of the last packet received. */
  readonly remoteDiag: number;
  /** bfd.RemoteMinRxInterval, µs (initially 1). */
  readonly remoteMinRxUs: number;
  /** Desired Min TX of the last packet received, µs (0 before any). */
  readonly remoteMinTxUs: number;
  /** Detect Mult of the last packet received (0 before any). */
  readonly remoteDetectMult: number;
  /** bfd.RemoteDemandMode. */
  readonly remoteDemand: boolean;
  /** Desired Min TX we put in packets, µs. */
  readonly advertisedMinTxUs: number;
  /** Required Min RX we put in packets, µs. */
  readonly advertisedMinRxUs: number;
  /** bfd.DesiredMinTxInterval in force for our transmit interval, µs (lags an increase until the Final). */
  readonly txBasisUs: number;
  /** bfd.RequiredMinRxInterval in force for the Detection Time, µs (lags a decrease until the Final). */
  readonly rxBasisUs: number;
  /** A Poll Sequence is in progress: our packets carry P. */
  readonly polling: boolean;
  /** When the TX timer fires, ms; null = not armed. */
  readonly txAtMs: number | null;
  /** When the detection timer fires, ms; null = not armed. */
  readonly detectAtMs: number | null;
}

/** Inputs to {@link step}. */
export type BfdEvent =
  | { kind: "start" }
  | { kind: "adminDown"; diag?: number }
  | { kind: "packetReceived"; packet: BfdControlPacket }
  | { kind: "detectTimerExpired" }
  | { kind: "txTimerExpired" }
  | {
    kind: "timersChanged";
    desiredMinTxUs?: number;
    requiredMinRxUs?: number;
    idleTxUs?: number;
    detectMult?: number;
  };

/** Why a packet was sent. */
export type BfdSendReason = "periodic" | "final" | "stateChange";

/** Why the session (not the parser) dropped a packet. */
export type BfdSessionDiscardReason = BfdDiscardReason | "not-started" | "admin-down";

/** Outputs of {@link step}, performed in order by the runner. */
export type BfdAction =
  | { kind: "send"; packet: BfdControlFields; reason: BfdSendReason }
  | { kind: "setTimer"; timer: "tx" | "detect"; atMs: number | null }
  | { kind: "stateChanged"; from: BfdState; to: BfdState; diag: number }
  | { kind: "discarded"; reason: BfdSessionDiscardReason; detail: string };

/** Result of {@link step}. */
export interface BfdStep {
  next: BfdSession;
  actions: BfdAction[];
}

type Draft = { -readonly [K in keyof BfdSession]: BfdSession[K] };

interface Ctx {
  s: Draft;
  actions: BfdAction[];
  now: number;
  rand: Rand;
}

/** A §6.8.6 transition: next state and the diag to set (undefined keeps bfd.LocalDiag). */
export interface BfdTransition {
  next: BfdState;
  diag?: number;
}

const stay = (next: BfdState): BfdTransition => ({ next });
const UP: BfdTransition = { next: "Up", diag: Diag.NoDiagnostic };
const SIGNALED_DOWN: BfdTransition = { next: "Down", diag: Diag.NeighborSignaledSessionDown };

/** RFC 5880 §6.8.6: [bfd.SessionState][received State] -> transition. AdminDown discards before this. */
export const RECEIVE_TABLE: Readonly<
  Record<"Down" | "Init" | "Up", Readonly<Record<BfdState, BfdTransition>>>
> = {
  Down: { AdminDown: stay("Down"), Down: { next: "Init" }, Init: UP, Up: stay("Down") },
  Init: { AdminDown: SIGNALED_DOWN, Down: stay("Init"), Init: UP, Up: UP },
  Up: { AdminDown: SIGNALED_DOWN, Down: SIGNALED_DOWN, Init: stay("Up"), Up: stay("Up") },
};

/** A new, not yet started session in state Down (RFC 5880 §6.8.1 initial values). */
export function createSession(config: BfdSessionConfig, localDiscr: number): BfdSession {
  if (localDiscr >>> 0 === 0) {
    throw new Error(`BFD local discriminator must be a non-zero 32-bit value, got ${localDiscr}`);
  }
  return {
    config: { ...config },
    started: false,
    state: "Down",
    remoteState: "Down",
    localDiscr: localDiscr >>> 0,
    remoteDiscr: 0,
    localDiag: Diag.NoDiagnostic,
    remoteDiag: Diag.NoDiagnostic,
    remoteMinRxUs: 1,
    remoteMinTxUs: 0,
    remoteDetectMult: 0,
    remoteDemand: false,
    advertisedMinTxUs: config.idleTxUs,
    advertisedMinRxUs: config.requiredMinRxUs,
    txBasisUs: config.idleTxUs,
    rxBasisUs: config.requiredMinRxUs,
    polling: false,
    txAtMs: null,
    detectAtMs: null,
  };
}

/** Picks a random non-zero discriminator not in `inUse` (RFC 5880 §6.3: unique per system). */
export function pickLocalDiscriminator(rand: Rand, inUse: ReadonlySet<number>): number {
  for (;;) {
    const d = Math.floor(rand() * 0x100000000) >>> 0;
    if (d !== 0 && !inUse.has(d)) return d;
  }
}

/** The Control packet this session sends now; `final` answers a Poll (and then P is clear, §6.5). */
export function controlPacketOf(s: BfdSession, final: boolean): BfdControlFields {
  return {
    diag: s.localDiag,
    state: s.state,
    poll: s.polling && !final,
    final,
    controlPlaneIndependent: false,
    demand: false,
    detectMult: s.config.detectMult,
    myDiscriminator: s.localDiscr,
    yourDiscriminator: s.remoteDiscr,
    desiredMinTxUs: s.advertisedMinTxUs,
    requiredMinRxUs: s.advertisedMinRxUs,
    requiredMinEchoRxUs: 0,
  };
}

/** Negotiated transmit interval in force, µs (RFC 5880 §6.8.7). */
export function currentTxIntervalUs(s: BfdSession): number {
  return txIntervalUs(s.txBasisUs, s.remoteMinRxUs);
}

/** Detection Time in force, µs (RFC 5880 §6.8.4); 0 before the peer has been heard. */
export function currentDetectionTimeUs(s: BfdSession): number {
  return detectionTimeUs(s.remoteDetectMult, s.rxBasisUs, s.remoteMinTxUs);
}

/** RFC 5880 §6.8.7: may a periodic packet go out now? */
export function maySendPeriodic(s: BfdSession): boolean {
  if (s.config.passive && s.remoteDiscr === 0) return false;
  if (s.remoteMinRxUs === 0) return false;
  if (s.remoteDemand && s.state === "Up" && s.remoteState === "Up" && !s.polling) return false;
  return true;
}

function send(c: Ctx, reason: BfdSendReason): void {
  c.actions.push({ kind: "send", packet: controlPacketOf(c.s, reason === "final"), reason });
}

function armTx(c: Ctx): void {
  c.s.txAtMs = c.now + jitteredDelayMs(currentTxIntervalUs(c.s), c.s.config.detectMult, c.rand);
  c.actions.push({ kind: "setTimer", timer: "tx", atMs: c.s.txAtMs });
}

/** After the interval shrank: fire sooner if a fresh jittered delay ends before the armed one. */
function pullTxForward(c: Ctx, beforeUs: number): void {
  if (!c.s.started || currentTxIntervalUs(c.s) >= beforeUs) return;
  const at = c.now + jitteredDelayMs(currentTxIntervalUs(c.s), c.s.config.detectMult, c.rand);
  if (c.s.txAtMs !== null && at >= c.s.txAtMs) return;
  c.s.txAtMs = at;
  c.actions.push({ kind: "setTimer", timer: "tx", atMs: at });
}

function setDetect(c: Ctx, atMs: number | null): void {
  c.s.detectAtMs = atMs;
  c.actions.push({ kind: "setTimer", timer: "detect", atMs });
}

/** §6.8.3: advertise the values for the current state; a change starts a Poll Sequence. */
function retarget(c: Ctx): void {
  const s = c.s;
  const tx = s.state === "Up" ? s.config.desiredMinTxUs : s.config.idleTxUs;
  const rx = s.config.requiredMinRxUs;
  if (tx === s.advertisedMinTxUs && rx === s.advertisedMinRxUs) return;
  const before = currentTxIntervalUs(s);
  s.advertisedMinTxUs = tx;
  s.advertisedMinRxUs = rx;
  if (s.state === "Up") {
    if (tx < s.txBasisUs) s.txBasisUs = tx; // faster TX is safe at once; slower waits for the Final
    if (rx > s.rxBasisUs) s.rxBasisUs = rx; // longer detection is safe at once; shorter waits
  } else {
    s.txBasisUs = tx;
    s.rxBasisUs = rx;
  }
  if (s.started) s.polling = true; // nothing was advertised before start: no Poll needed
  pullTxForward(c, before);
}

function changeState(c: Ctx, to: BfdState, diag: number): void {
  const from = c.s.state;
  c.s.state = to;
  c.s.localDiag = diag;
  c.actions.push({ kind: "stateChanged", from, to, diag });
  retarget(c);
}

function onStart(c: Ctx): void {
  if (c.s.started && c.s.state !== "AdminDown") return;
  c.s.started = true;
  if (c.s.state === "AdminDown") changeState(c, "Down", Diag.NoDiagnostic);
  if (maySendPeriodic(c.s)) send(c, "periodic");
  armTx(c);
}

function onAdminDown(c: Ctx, diag: number): void {
  if (c.s.state === "AdminDown") return;
  changeState(c, "AdminDown", diag);
  if (c.s.detectAtMs !== null) setDetect(c, null);
  if (c.s.started && maySendPeriodic(c.s)) send(c, "stateChange");
}

/** Copies the peer's variables from an accepted packet (RFC 5880 §6.8.6, before the state table). */
function learnRemote(c: Ctx, p: BfdControlPacket): void {
  const s = c.s;
  s.remoteDiscr = p.myDiscriminator;
  s.remoteState = p.state;
  s.remoteDemand = p.demand;
  s.remoteMinRxUs = p.requiredMinRxUs;
  s.remoteMinTxUs = p.desiredMinTxUs;
  s.remoteDetectMult = p.detectMult;
  s.remoteDiag = p.diag;
  if (s.polling && p.final) {
    s.polling = false; // §6.5: the Final ends our Poll Sequence; deferred values now apply
    s.txBasisUs = s.advertisedMinTxUs;
    s.rxBasisUs = s.advertisedMinRxUs;
  }
}

function onPacket(c: Ctx, p: BfdControlPacket): void {
  if (!c.s.started) {
    c.actions.push({ kind: "discarded", reason: "not-started", detail: "session not started" });
    return;
  }
  const sel = checkYourDiscriminator(p, c.s.localDiscr);
  if (!sel.ok) {
    c.actions.push({ kind: "discarded", reason: sel.reason, detail: sel.detail });
    return;
  }
  const before = currentTxIntervalUs(c.s);
  learnRemote(c, p);
  if (c.s.state === "AdminDown") {
    c.actions.push({ kind: "discarded", reason: "admin-down", detail: "session is AdminDown" });
    return;
  }
  const t = RECEIVE_TABLE[c.s.state][p.state];
  const changed = t.next !== c.s.state;
  if (changed) changeState(c, t.next, t.diag ?? c.s.localDiag);
  if (p.poll) send(c, "final");
  else if (changed && maySendPeriodic(c.s)) send(c, "stateChange");
  pullTxForward(c, before);
  setDetect(c, c.now + currentDetectionTimeUs(c.s) / 1000);
}

function onDetectExpired(c: Ctx): void {
  const s = c.s;
  if (!s.started || s.detectAtMs === null || c.now < s.detectAtMs) return; // stale or early
  s.detectAtMs = null;
  s.remoteDiscr = 0; // §6.8.1: cleared when a Detection Time passes in silence
  if (s.state !== "Init" && s.state !== "Up") return;
  changeState(c, "Down", Diag.ControlDetectionTimeExpired);
  if (maySendPeriodic(s)) send(c, "stateChange");
}

function onTxExpired(c: Ctx): void {
  if (!c.s.started || c.s.txAtMs === null || c.now < c.s.txAtMs) return; // stale or early
  if (maySendPeriodic(c.s)) send(c, "periodic");
  armTx(c);
}

function onTimersChanged(c: Ctx, e: Extract<BfdEvent, { kind: "timersChanged" }>): void {
  c.s.config = {
    ...c.s.config,
    desiredMinTxUs: e.desiredMinTxUs ?? c.s.config.desiredMinTxUs,
    requiredMinRxUs: e.requiredMinRxUs ?? c.s.config.requiredMinRxUs,
    idleTxUs: e.idleTxUs ?? c.s.config.idleTxUs,
    detectMult: e.detectMult ?? c.s.config.detectMult,
  };
  retarget(c);
}

/** Advances the session by one event at `nowMs`; `rand` in [0, 1) drives the §6.8.7 jitter. */
export function step(session: BfdSession, event: BfdEvent, nowMs: number, rand: Rand): BfdStep {
  const c: Ctx = { s: { ...session }, actions: [], now: nowMs, rand };
  switch (event.kind) {
    case "start":
      onStart(c);
      break;
    case "adminDown":
      onAdminDown(c, event.diag ?? Diag.AdministrativelyDown);
      break;
    case "packetReceived":
      onPacket(c, event.packet);
      break;
    case "detectTimerExpired":
      onDetectExpired(c);
      break;
    case "txTimerExpired":
      onTxExpired(c);
      break;
    case "timersChanged":
      onTimersChanged(c, event);
      break;
  }
  return { next: c.s, actions: c.actions };
}
