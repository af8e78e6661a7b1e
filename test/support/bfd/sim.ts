/**
 * Test harness: two BFD sessions wired back to back through a fake link and a fake clock. It performs the
 * actions `step` returns: `send` goes through our encoder, the link (delay, optional cut) and our parser;
 * `setTimer` arms or cancels a timer that the clock later fires as an event. Everything is deterministic.
 */
import { encodeBfdControl, parseBfdControl } from "../../../src/proto/bfd.ts";
import type { BfdControlFields, BfdState } from "../../../src/proto/bfd.ts";
import { createSession, step } from "../../../src/bfd/session.ts";
import type { BfdAction, BfdEvent, BfdSession, BfdSessionConfig } from "../../../src/bfd/session.ts";
import type { Rand } from "../../../src/bfd/timers.ts";
import { seededFloats } from "../random.ts";

/** keepalived's defaults in µs, but with 10 ms timers raised to 50 ms to keep runs short. */
export const DEFAULT_CONFIG: BfdSessionConfig = {
  desiredMinTxUs: 50_000,
  requiredMinRxUs: 50_000,
  idleTxUs: 1_000_000,
  detectMult: 5,
  passive: false,
};

/** Something that happened at a node, in order. */
export type SimRecord =
  | { atMs: number; kind: "action"; action: BfdAction }
  | { atMs: number; kind: "received"; packet: BfdControlFields };

/** One side of the link. */
export interface SimNode {
  name: "a" | "b";
  session: BfdSession;
  rand: Rand;
  timers: { tx: number | null; detect: number | null };
  log: SimRecord[];
}

interface InFlight {
  atMs: number;
  seq: number;
  to: "a" | "b";
  bytes: Uint8Array;
}

/** Two sessions, a link with a fixed one-way delay, and a clock that only moves when told to. */
export class BackToBack {
  nowMs = 0;
  /** One-way link delay, ms. */
  delayMs = 1;
  /** Drop everything sent from the named side. */
  cut = { a: false, b: false };
  readonly a: SimNode;
  readonly b: SimNode;
  private inflight: InFlight[] = [];
  private seq = 0;

  constructor(cfgA: Partial<BfdSessionConfig> = {}, cfgB: Partial<BfdSessionConfig> = {}, seed = 1) {
    this.a = this.node("a", { ...DEFAULT_CONFIG, ...cfgA }, 0x0a0a0a0a, seededFloats(seed));
    this.b = this.node("b", { ...DEFAULT_CONFIG, ...cfgB }, 0x0b0b0b0b, seededFloats(seed + 1));
  }

  private node(name: "a" | "b", cfg: BfdSessionConfig, discr: number, rand: Rand): SimNode {
    return { name, session: createSession(cfg, discr), rand, timers: { tx: null, detect: null }, log: [] };
  }

  /** Feeds an event to one side now and performs the resulting actions. */
  apply(n: SimNode, event: BfdEvent): BfdAction[] {
    const { next, actions } = step(n.session, event, this.nowMs, n.rand);
    n.session = next;
    for (const action of actions) {
      n.log.push({ atMs: this.nowMs, kind: "action", action });
      if (action.kind === "setTimer") n.timers[action.timer] = action.atMs;
      if (action.kind === "send" && !this.cut[n.name]) {
        const to = n.name === "a" ? "b" : "a";
        this.inflight.push({
          atMs: this.nowMs + this.delayMs,
          seq: this.seq++,
          to,
          bytes: encodeBfdControl(action.packet),
        });
      }
    }
    return actions;
  }

  /** The next thing due: a delivery or a timer, earliest first (deliveries win ties). */
  private nextDue(): { atMs: number; run: () => void } | null {
    let best: { atMs: number; run: () => void } | null = null;
    for (const f of [...this.inflight].sort((x, y) => x.atMs - y.atMs || x.seq - y.seq)) {
      best = { atMs: f.atMs, run: () => this.deliver(f) };
      break;
    }
    for (const n of [this.a, this.b]) {
      for (const timer of ["detect", "tx"] as const) {
        const at = n.timers[timer];
        if (at === null || (best && best.atMs <= at)) continue;
        best = { atMs: at, run: () => this.fire(n, timer) };
      }
    }
    return best;
  }

  private deliver(f: InFlight): void {
    this.inflight = this.inflight.filter((x) => x !== f);
    const n = f.to === "a" ? this.a : this.b;
    const r = parseBfdControl(f.bytes);
    if (!r.ok) throw new Error(`our own packet failed to parse: ${r.reason} ${r.detail}`);
    n.log.push({ atMs: this.nowMs, kind: "received", packet: r.value });
    this.apply(n, { kind: "packetReceived", packet: r.value });
  }

  private fire(n: SimNode, timer: "tx" | "detect"): void {
    n.timers[timer] = null;
    this.apply(n, { kind: timer === "tx" ? "txTimerExpired" : "detectTimerExpired" });
  }

  /** Runs everything due up to and including `untilMs`, then sets the clock to it. */
  runUntil(untilMs: number): void {
    for (;;) {
      const due = this.nextDue();
      if (!due || due.atMs > untilMs) break;
      this.nowMs = due.atMs;
      due.run();
    }
    this.nowMs = untilMs;
  }

  /** Runs until `pred` holds (checked after every event); throws after `maxMs` of simulated time. */
  runUntilTrue(pred: () => boolean, maxMs = 60_000): void {
    const limit = this.nowMs + maxMs;
    while (!pred()) {
      const due = this.nextDue();
      if (!due || due.atMs > limit) {
        throw new Error(`condition not reached within ${maxMs} ms of simulated time`);
      }
      this.nowMs = due.atMs;
      due.run();
    }
  }

  /** Both sides Up and neither polling. */
  settled(): boolean {
    return [this.a, this.b].every((n) => n.session.state === "Up" && !n.session.polling);
  }
}

/** The state transitions a node went through, as `from->to`. */
export function transitions(n: SimNode): string[] {
  return n.log.flatMap((r) => r.kind === "action" && r.action.kind === "stateChanged" ? [`${r.action.from}->${r.action.to}`] : []);
}

/** Packets a node sent, with their time. */
export function sent(n: SimNode): { atMs: number; packet: BfdControlFields; reason: string }[] {
  return n.log.flatMap((r) => r.kind === "action" && r.action.kind === "send" ? [{ atMs: r.atMs, packet: r.action.packet, reason: r.action.reason }] : []);
}

/** Time of the node's last transition into `state`. */
export function lastEntered(n: SimNode, state: BfdState): number | undefined {
  let t: number | undefined;
  for (const r of n.log) {
    if (r.kind === "action" && r.action.kind === "stateChanged" && r.action.to === state) t = r.atMs;
  }
  return t;
}
