import { describe, expect, test } from "bun:test";
import { Diag } from "../../../src/proto/bfd.ts";
import { currentDetectionTimeUs, currentTxIntervalUs } from "../../../src/bfd/session.ts";
import { BackToBack, lastEntered, sent, transitions } from "../../support/bfd/sim.ts";

describe("two sessions back to back", () => {
  test("come Up: the first to start goes Down->Init->Up, the later one Down->Up", () => {
    const sim = new BackToBack();
    sim.apply(sim.a, { kind: "start" });
    sim.runUntil(300);
    // b is not started: what reaches it is discarded, it sends nothing and stays Down.
    expect(sim.b.log.filter((r) => r.kind === "action").map((r) => r.kind === "action" && r.action.kind))
      .toEqual(["discarded"]);
    expect(sim.b.session.state).toBe("Down");
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    expect(transitions(sim.a)).toEqual(["Down->Init", "Init->Up"]);
    expect(transitions(sim.b)).toEqual(["Down->Up"]);
    expect(sim.a.session.remoteDiscr).toBe(sim.b.session.localDiscr);
    expect(sim.b.session.remoteDiscr).toBe(sim.a.session.localDiscr);
  });

  test("started together, both go Down->Init->Up within a few link delays", () => {
    const sim = new BackToBack();
    sim.apply(sim.a, { kind: "start" });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.a.session.state === "Up" && sim.b.session.state === "Up");
    expect(sim.nowMs).toBe(2);
    expect(transitions(sim.a)).toEqual(["Down->Init", "Init->Up"]);
    expect(transitions(sim.b)).toEqual(["Down->Init", "Init->Up"]);
  });

  test("while not Up the advertised Desired Min TX is idle_tx; once Up, min_tx after a Poll/Final", () => {
    const sim = new BackToBack();
    sim.apply(sim.a, { kind: "start" });
    expect(sent(sim.a)[0]!.packet).toMatchObject({
      state: "Down",
      desiredMinTxUs: 1_000_000,
      yourDiscriminator: 0,
      poll: false,
    });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    const polls = sent(sim.a).filter((s) => s.packet.poll);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls[0]!.packet).toMatchObject({ state: "Up", desiredMinTxUs: 50_000 });
    expect(currentTxIntervalUs(sim.a.session)).toBe(50_000);
    // Steady state: every gap between periodic packets is 75-100 % of 50 ms.
    const t0 = sim.nowMs;
    sim.runUntil(t0 + 5000);
    const times = sent(sim.a).filter((s) => s.atMs > t0 && s.reason === "periodic").map((s) => s.atMs);
    expect(times.length).toBeGreaterThan(90);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(37.5);
      expect(gap).toBeLessThan(50);
    }
  });

  test("a silent peer is declared Down exactly one Detection Time after its last packet", () => {
    const sim = new BackToBack({ requiredMinRxUs: 80_000 }, { desiredMinTxUs: 50_000, detectMult: 3 });
    sim.apply(sim.a, { kind: "start" });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    // Detection Time at a: b's Detect Mult (3) x max(a's min RX 80 ms, b's min TX 50 ms) = 240 ms.
    expect(currentDetectionTimeUs(sim.a.session)).toBe(240_000);
    sim.runUntil(sim.nowMs + 1000);
    sim.cut.b = true;
    const lastHeard = Math.max(...sim.a.log.filter((r) => r.kind === "received").map((r) => r.atMs));
    sim.runUntilTrue(() => sim.a.session.state === "Down");
    expect(lastEntered(sim.a, "Down")).toBe(lastHeard + 240);
    expect(sim.a.session.localDiag).toBe(Diag.ControlDetectionTimeExpired);
    expect(sim.a.session.remoteDiscr).toBe(0);
    const downPacket = sent(sim.a).at(-1)!;
    expect(downPacket).toMatchObject({ atMs: lastHeard + 240, reason: "stateChange" });
    expect(downPacket.packet).toMatchObject({
      state: "Down",
      diag: 1,
      yourDiscriminator: 0,
      desiredMinTxUs: 1_000_000,
    });
  });

  test("the peer comes back after a cut and the session returns to Up", () => {
    const sim = new BackToBack();
    sim.apply(sim.a, { kind: "start" });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    sim.cut.b = true;
    sim.runUntilTrue(() => sim.a.session.state === "Down");
    sim.cut.b = false;
    sim.runUntilTrue(() => sim.settled());
    expect(transitions(sim.a).slice(-3)).toEqual(["Up->Down", "Down->Init", "Init->Up"]);
  });

  test("AdminDown: the peer goes Down with diag 3 and stays Down until we start again", () => {
    const sim = new BackToBack();
    sim.apply(sim.a, { kind: "start" });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    sim.apply(sim.a, { kind: "adminDown" });
    expect(sim.a.session.state).toBe("AdminDown");
    expect(sent(sim.a).at(-1)!.packet).toMatchObject({ state: "AdminDown", diag: Diag.AdministrativelyDown });
    sim.runUntilTrue(() => sim.b.session.state === "Down");
    expect(sim.b.session.localDiag).toBe(Diag.NeighborSignaledSessionDown);
    sim.runUntil(sim.nowMs + 5000);
    expect(sim.a.session.state).toBe("AdminDown");
    expect(sim.b.session.state).toBe("Down");
    expect(
      sim.a.log.some((r) => r.kind === "action" && r.action.kind === "discarded" && r.action.reason === "admin-down"),
    ).toBe(true);
    sim.apply(sim.a, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    expect(transitions(sim.b).slice(-2)).toEqual(["Down->Init", "Init->Up"]);
  });
});

describe("Poll / Final when timers change (RFC 5880 §6.5, §6.8.3)", () => {
  function upPair(): BackToBack {
    const sim = new BackToBack();
    sim.apply(sim.a, { kind: "start" });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    sim.runUntil(sim.nowMs + 500);
    return sim;
  }

  test("a slower TX only applies once the Final arrives; the peer answers P with F at once", () => {
    const sim = upPair();
    sim.apply(sim.a, { kind: "timersChanged", desiredMinTxUs: 200_000 });
    expect(sim.a.session.polling).toBe(true);
    expect(sim.a.session.advertisedMinTxUs).toBe(200_000);
    expect(currentTxIntervalUs(sim.a.session)).toBe(50_000); // not yet
    const t0 = sim.nowMs;
    sim.runUntilTrue(() => !sim.a.session.polling);
    const poll = sent(sim.a).find((s) => s.atMs >= t0 && s.packet.poll)!;
    expect(poll.packet.desiredMinTxUs).toBe(200_000);
    const final = sent(sim.b).find((s) => s.atMs >= t0 && s.packet.final)!;
    expect(final.reason).toBe("final");
    expect(final.packet.poll).toBe(false);
    expect(final.atMs).toBe(poll.atMs + sim.delayMs); // sent as soon as the Poll arrived
    expect(currentTxIntervalUs(sim.a.session)).toBe(200_000);
    // b already used a's new TX for its Detection Time when it answered.
    expect(currentDetectionTimeUs(sim.b.session)).toBe(5 * 200_000);
  });

  test("a faster TX applies at once, before the Final", () => {
    const sim = upPair();
    sim.apply(sim.a, { kind: "timersChanged", desiredMinTxUs: 20_000 });
    expect(sim.a.session.polling).toBe(true);
    expect(currentTxIntervalUs(sim.a.session)).toBe(50_000); // b's min RX (50 ms) still limits it
    sim.apply(sim.b, { kind: "timersChanged", requiredMinRxUs: 20_000 });
    sim.runUntilTrue(() => sim.settled());
    expect(currentTxIntervalUs(sim.a.session)).toBe(20_000);
  });

  test("a shorter RX keeps the old Detection Time until the Final; a longer one applies at once", () => {
    const sim = upPair();
    sim.apply(sim.b, { kind: "timersChanged", desiredMinTxUs: 10_000 });
    sim.runUntilTrue(() => sim.settled());
    expect(currentDetectionTimeUs(sim.a.session)).toBe(5 * 50_000);
    sim.apply(sim.a, { kind: "timersChanged", requiredMinRxUs: 10_000 });
    expect(sim.a.session.rxBasisUs).toBe(50_000);
    expect(currentDetectionTimeUs(sim.a.session)).toBe(5 * 50_000);
    sim.runUntilTrue(() => !sim.a.session.polling);
    expect(currentDetectionTimeUs(sim.a.session)).toBe(5 * 10_000);
    sim.apply(sim.a, { kind: "timersChanged", requiredMinRxUs: 100_000 });
    expect(sim.a.session.rxBasisUs).toBe(100_000);
    expect(currentDetectionTimeUs(sim.a.session)).toBe(5 * 100_000);
  });

  test("the other direction: b changes, a answers, and the session stays Up throughout", () => {
    const sim = upPair();
    sim.apply(sim.b, { kind: "timersChanged", desiredMinTxUs: 300_000, requiredMinRxUs: 300_000 });
    const t0 = sim.nowMs;
    sim.runUntilTrue(() => sim.settled());
    expect(sent(sim.a).some((s) => s.atMs >= t0 && s.reason === "final")).toBe(true);
    expect(currentTxIntervalUs(sim.a.session)).toBe(300_000);
    expect(currentTxIntervalUs(sim.b.session)).toBe(300_000);
    sim.runUntil(sim.nowMs + 10_000);
    expect(transitions(sim.a).at(-1)).toBe("Init->Up");
    expect(sim.a.session.state).toBe("Up");
  });

  test("a timer change that alters nothing starts no Poll", () => {
    const sim = upPair();
    sim.apply(sim.a, { kind: "timersChanged", desiredMinTxUs: 50_000 });
    expect(sim.a.session.polling).toBe(false);
  });
});

describe("passive role", () => {
  test("a passive session sends nothing until it hears its peer, then comes Up", () => {
    const sim = new BackToBack({}, { passive: true });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntil(10_000);
    expect(sent(sim.b)).toEqual([]);
    sim.apply(sim.a, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    expect(sent(sim.b)[0]!.packet).toMatchObject({
      state: "Init",
      yourDiscriminator: sim.a.session.localDiscr,
    });
  });

  test("it falls silent again once the peer has been gone for a Detection Time", () => {
    const sim = new BackToBack({}, { passive: true });
    sim.apply(sim.a, { kind: "start" });
    sim.apply(sim.b, { kind: "start" });
    sim.runUntilTrue(() => sim.settled());
    sim.cut.a = true;
    sim.runUntilTrue(() => sim.b.session.state === "Down");
    sim.runUntil(sim.nowMs + 1);
    const count = sent(sim.b).length;
    sim.runUntil(sim.nowMs + 10_000);
    expect(sent(sim.b).length).toBe(count);
  });
});
