/** `step` driven one event at a time, with hand-made packets. */
import { describe, expect, test } from "bun:test";
import { Diag } from "../../../src/proto/bfd.ts";
import type { BfdControlPacket, BfdState } from "../../../src/proto/bfd.ts";
import { createSession, pickLocalDiscriminator, sessionConfigOf, step } from "../../../src/bfd/session.ts";
import type { BfdAction, BfdEvent, BfdSession } from "../../../src/bfd/session.ts";
import { DEFAULT_CONFIG } from "../../support/bfd/sim.ts";

const LOCAL = 0x1234;
const REMOTE = 0x5678;
const half = () => 0.5;

function peerPacket(over: Partial<BfdControlPacket> = {}): BfdControlPacket {
  return {
    version: 1,
    diag: 0,
    state: "Down",
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    authPresent: false,
    demand: false,
    multipoint: false,
    detectMult: 3,
    length: 24,
    myDiscriminator: REMOTE,
    yourDiscriminator: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 1_000_000,
    requiredMinEchoRxUs: 0,
    ...over,
  };
}

/** Runs events in order at the given times, returning the final session and all actions. */
function run(s: BfdSession, events: [number, BfdEvent][]): { s: BfdSession; actions: BfdAction[] } {
  const actions: BfdAction[] = [];
  for (const [t, e] of events) {
    const r = step(s, e, t, half);
    s = r.next;
    actions.push(...r.actions);
  }
  return { s, actions };
}

/** A started session already moved to `state` (by real packets, not by poking fields). */
function sessionIn(state: BfdState): BfdSession {
  let s = run(createSession(DEFAULT_CONFIG, LOCAL), [[0, { kind: "start" }]]).s;
  if (state === "Init" || state === "Up") {
    s = run(s, [[1, { kind: "packetReceived", packet: peerPacket() }]]).s;
  }
  if (state === "Up") {
    s = run(s, [[2, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Init", yourDiscriminator: LOCAL }),
    }]]).s;
  }
  if (state === "AdminDown") s = run(s, [[1, { kind: "adminDown" }]]).s;
  expect(s.state).toBe(state);
  return s;
}

const sends = (a: BfdAction[]) => a.filter((x): x is Extract<BfdAction, { kind: "send" }> => x.kind === "send");

describe("RFC 5880 §6.8.6 reception table", () => {
  // Written from the RFC text, independently of RECEIVE_TABLE.
  const cases: [BfdState, BfdState, BfdState, number][] = [
    ["Down", "AdminDown", "Down", Diag.NoDiagnostic],
    ["Down", "Down", "Init", Diag.NoDiagnostic],
    ["Down", "Init", "Up", Diag.NoDiagnostic],
    ["Down", "Up", "Down", Diag.NoDiagnostic],
    ["Init", "AdminDown", "Down", Diag.NeighborSignaledSessionDown],
    ["Init", "Down", "Init", Diag.NoDiagnostic],
    ["Init", "Init", "Up", Diag.NoDiagnostic],
    ["Init", "Up", "Up", Diag.NoDiagnostic],
    ["Up", "AdminDown", "Down", Diag.NeighborSignaledSessionDown],
    ["Up", "Down", "Down", Diag.NeighborSignaledSessionDown],
    ["Up", "Init", "Up", Diag.NoDiagnostic],
    ["Up", "Up", "Up", Diag.NoDiagnostic],
    ["AdminDown", "Down", "AdminDown", Diag.AdministrativelyDown],
    ["AdminDown", "Up", "AdminDown", Diag.AdministrativelyDown],
  ];
  for (const [local, received, next, diag] of cases) {
    test(`${local} + received ${received} -> ${next}`, () => {
      const your = received === "Down" || received === "AdminDown" ? 0 : LOCAL;
      const { s, actions } = run(sessionIn(local), [[10, {
        kind: "packetReceived",
        packet: peerPacket({ state: received, yourDiscriminator: your }),
      }]]);
      expect(s.state).toBe(next);
      expect(s.localDiag).toBe(diag);
      const changed = actions.filter((a) => a.kind === "stateChanged");
      expect(changed).toEqual(next === local ? [] : [{ kind: "stateChanged", from: local, to: next, diag }]);
      // The peer's variables are learnt in every state, AdminDown included.
      expect(s.remoteDiscr).toBe(REMOTE);
      expect(s.remoteState).toBe(received);
    });
  }

  test("AdminDown discards the packet after learning from it, and answers no Poll", () => {
    const { actions } = run(sessionIn("AdminDown"), [[10, {
      kind: "packetReceived",
      packet: peerPacket({ poll: true }),
    }]]);
    expect(actions).toEqual([{ kind: "discarded", reason: "admin-down", detail: "session is AdminDown" }]);
  });

  test("a state change is announced at once", () => {
    const { actions } = run(sessionIn("Down"), [[10, { kind: "packetReceived", packet: peerPacket() }]]);
    expect(sends(actions)).toMatchObject([{
      reason: "stateChange",
      packet: { state: "Init", yourDiscriminator: REMOTE },
    }]);
  });
});

describe("session selection and discards", () => {
  test("a packet for another discriminator changes nothing", () => {
    const before = sessionIn("Init");
    const { s, actions } = run(before, [[10, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Up", yourDiscriminator: 0x9999 }),
    }]]);
    expect(actions).toMatchObject([{ kind: "discarded", reason: "unknown-your-discriminator" }]);
    expect(s).toEqual(before);
  });

  test("packets before start are discarded", () => {
    const { actions } = run(createSession(DEFAULT_CONFIG, LOCAL), [[0, {
      kind: "packetReceived",
      packet: peerPacket(),
    }]]);
    expect(actions).toMatchObject([{ kind: "discarded", reason: "not-started" }]);
  });

  test("a zero local discriminator is a programming error", () => {
    expect(() => createSession(DEFAULT_CONFIG, 0)).toThrow("non-zero");
  });

  test("pickLocalDiscriminator never returns 0 or one in use", () => {
    const seq = [0, 0.25, 0.5];
    let i = 0;
    const rand = () => seq[i++ % seq.length]!;
    expect(pickLocalDiscriminator(rand, new Set([0x40000000]))).toBe(0x80000000);
  });
});

describe("Poll and Final", () => {
  test("a received P is answered at once with F and P clear, even while we poll ourselves", () => {
    const s = sessionIn("Up");
    expect(s.polling).toBe(true); // coming Up switched idle_tx -> min_tx
    const { actions } = run(s, [[10, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Up", yourDiscriminator: LOCAL, poll: true }),
    }]]);
    expect(sends(actions)).toMatchObject([{
      reason: "final",
      packet: { final: true, poll: false, state: "Up" },
    }]);
  });

  test("P is answered in Down too (without respect to the session state)", () => {
    const { actions } = run(sessionIn("Down"), [[10, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Up", yourDiscriminator: LOCAL, poll: true }),
    }]]);
    expect(sends(actions)).toMatchObject([{ reason: "final", packet: { state: "Down", final: true } }]);
  });

  test("periodic packets carry P until a Final arrives", () => {
    let s = sessionIn("Up");
    const at = s.txAtMs!;
    let r = run(s, [[at, { kind: "txTimerExpired" }]]);
    expect(sends(r.actions)).toMatchObject([{
      reason: "periodic",
      packet: { poll: true, desiredMinTxUs: 50_000 },
    }]);
    s = run(r.s, [[at + 1, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Up", yourDiscriminator: LOCAL, final: true }),
    }]]).s;
    expect(s.polling).toBe(false);
    r = run(s, [[s.txAtMs!, { kind: "txTimerExpired" }]]);
    expect(sends(r.actions)).toMatchObject([{ reason: "periodic", packet: { poll: false } }]);
  });

  test("timersChanged before start needs no Poll", () => {
    const { s } = run(createSession(DEFAULT_CONFIG, LOCAL), [[0, {
      kind: "timersChanged",
      idleTxUs: 2_000_000,
    }]]);
    expect(s.polling).toBe(false);
    expect(s.advertisedMinTxUs).toBe(2_000_000);
  });
});

describe("transmission rules (RFC 5880 §6.8.7)", () => {
  test("remote Required Min RX 0: no periodic packets, but a Poll is still answered", () => {
    let s = run(sessionIn("Up"), [[10, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Up", yourDiscriminator: LOCAL, requiredMinRxUs: 0 }),
    }]]).s;
    const r = run(s, [[s.txAtMs!, { kind: "txTimerExpired" }]]);
    expect(sends(r.actions)).toEqual([]);
    expect(r.actions).toMatchObject([{ kind: "setTimer", timer: "tx" }]); // keeps ticking to re-check
    s = r.s;
    const f = run(s, [[s.txAtMs! - 1, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Up", yourDiscriminator: LOCAL, requiredMinRxUs: 0, poll: true }),
    }]]);
    expect(sends(f.actions)).toMatchObject([{ reason: "final" }]);
  });

  test("remote Demand mode with both Up: silent unless polling", () => {
    const up = { state: "Up" as const, yourDiscriminator: LOCAL, demand: true };
    let s = run(sessionIn("Up"), [[10, { kind: "packetReceived", packet: peerPacket({ ...up, final: true }) }]]).s;
    expect(s.polling).toBe(false);
    expect(sends(run(s, [[s.txAtMs!, { kind: "txTimerExpired" }]]).actions)).toEqual([]);
    s = run(s, [[20, { kind: "timersChanged", desiredMinTxUs: 60_000 }]]).s;
    expect(sends(run(s, [[s.txAtMs!, { kind: "txTimerExpired" }]]).actions)).toMatchObject([{
      packet: { poll: true },
    }]);
  });

  test("timer events that are early or stale do nothing", () => {
    const s = sessionIn("Up");
    expect(step(s, { kind: "txTimerExpired" }, s.txAtMs! - 0.5, half).actions).toEqual([]);
    expect(step(s, { kind: "detectTimerExpired" }, s.detectAtMs! - 0.5, half).actions).toEqual([]);
    const admin = sessionIn("AdminDown");
    expect(admin.detectAtMs).toBeNull();
    expect(step(admin, { kind: "detectTimerExpired" }, 1e9, half).actions).toEqual([]);
  });

  test("the first packet goes out at start, then one per jittered idle_tx while Down", () => {
    const { s, actions } = run(createSession(DEFAULT_CONFIG, LOCAL), [[100, { kind: "start" }]]);
    expect(sends(actions)).toMatchObject([{
      reason: "periodic",
      packet: { state: "Down", desiredMinTxUs: 1_000_000 },
    }]);
    expect(s.txAtMs).toBe(100 + 1000 * 0.875); // rand 0.5 -> 87.5 %
  });
});

describe("detection timer (RFC 5880 §6.8.4)", () => {
  test("armed at each packet for remote Detect Mult x max(our min RX, remote min TX)", () => {
    const s = run(sessionIn("Up"), [[50, {
      kind: "packetReceived",
      packet: peerPacket({ state: "Up", yourDiscriminator: LOCAL, detectMult: 4, desiredMinTxUs: 70_000 }),
    }]]).s;
    // Our min RX is 50 ms; max(50, 70) = 70 ms; x4 = 280 ms.
    expect(s.detectAtMs).toBe(50 + 280);
  });

  test("expiry while Down only forgets the remote discriminator", () => {
    const s = run(createSession(DEFAULT_CONFIG, LOCAL), [[0, { kind: "start" }]]).s;
    const heard = run(s, [[1, { kind: "packetReceived", packet: peerPacket({ state: "Up", yourDiscriminator: LOCAL }) }]])
      .s;
    expect(heard.state).toBe("Down");
    expect(heard.remoteDiscr).toBe(REMOTE);
    const { s: after, actions } = run(heard, [[heard.detectAtMs!, { kind: "detectTimerExpired" }]]);
    expect(after.remoteDiscr).toBe(0);
    expect(actions.filter((a) => a.kind === "stateChanged")).toEqual([]);
  });

  test("expiry in Init goes Down with diag 1", () => {
    const s = sessionIn("Init");
    const { s: after } = run(s, [[s.detectAtMs!, { kind: "detectTimerExpired" }]]);
    expect(after.state).toBe("Down");
    expect(after.localDiag).toBe(Diag.ControlDetectionTimeExpired);
  });
});

describe("administrative control", () => {
  test("adminDown cancels detection and announces AdminDown with diag 7; start returns to Down", () => {
    const { s, actions } = run(sessionIn("Up"), [[10, { kind: "adminDown" }]]);
    expect(actions).toContainEqual({ kind: "stateChanged", from: "Up", to: "AdminDown", diag: 7 });
    expect(actions).toContainEqual({ kind: "setTimer", timer: "detect", atMs: null });
    expect(sends(actions).at(-1)!.packet).toMatchObject({
      state: "AdminDown",
      diag: 7,
      desiredMinTxUs: 1_000_000,
    });
    const again = run(s, [[20, { kind: "start" }]]);
    expect(again.s.state).toBe("Down");
    expect(again.s.localDiag).toBe(Diag.NoDiagnostic);
  });

  test("adminDown with a caller-chosen diag (e.g. Path Down)", () => {
    expect(run(sessionIn("Up"), [[10, { kind: "adminDown", diag: Diag.PathDown }]]).s.localDiag).toBe(
      Diag.PathDown,
    );
  });

  test("start twice is a no-op", () => {
    const s = sessionIn("Down");
    expect(step(s, { kind: "start" }, 5, half).actions).toEqual([]);
  });
});

test("sessionConfigOf converts keepalived's millisecond settings", () => {
  expect(sessionConfigOf({ minTxMs: 10, minRxMs: 3.312, idleTxMs: 1000, multiplier: 5, passive: true }))
    .toEqual({
      desiredMinTxUs: 10_000,
      requiredMinRxUs: 3312,
      idleTxUs: 1_000_000,
      detectMult: 5,
      passive: true,
    });
});
