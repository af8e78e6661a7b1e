/**
 * Replays FRR bfdd's captured packets (test/fixtures/bfd/frr-bfdd.json, sent by 192.0.2.1) into our session
 * standing in for its peer 192.0.2.2: our session must follow the same path FRR's peer did.
 */
import { expect, test } from "bun:test";
import { parseBfdControl } from "../../../src/proto/bfd.ts";
import { createSession, step } from "../../../src/bfd/session.ts";
import type { BfdAction, BfdSession } from "../../../src/bfd/session.ts";
import fixture from "../../fixtures/bfd/frr-bfdd.json";
import { DEFAULT_CONFIG } from "../../support/bfd/sim.ts";

function captured(name: string) {
  const p = fixture.packets.find((x) => x.name === name);
  if (!p) throw new Error(`fixture ${name} missing`);
  const r = parseBfdControl(Uint8Array.from(Buffer.from(p.hex, "hex")));
  if (!r.ok) throw new Error(`${name}: ${r.reason}`);
  return r.value;
}

test("FRR's packets drive our session Down -> Init -> Up -> Down like they drove FRR's peer", () => {
  // Our local discriminator is the one FRR's peer (192.0.2.2) used, so FRR's Your Discriminator selects us.
  const peerDiscr = captured("v4-init").myDiscriminator;
  let s: BfdSession = createSession(DEFAULT_CONFIG, peerDiscr);
  const feed = (name: string, t: number): BfdAction[] => {
    const r = step(s, { kind: "packetReceived", packet: captured(name) }, t, () => 0.5);
    s = r.next;
    return r.actions;
  };
  s = step(s, { kind: "start" }, 0, () => 0.5).next;

  let a = feed("v4-down-no-peer", 10);
  expect(s.state).toBe("Init");
  expect(a).toContainEqual(expect.objectContaining({ kind: "send", reason: "stateChange" }));
  expect(s.remoteDiscr).toBe(captured("v4-down-no-peer").myDiscriminator);

  a = feed("v4-up-poll", 20);
  expect(s.state).toBe("Up");
  expect(a).toContainEqual(expect.objectContaining({ kind: "send", reason: "final" }));
  // FRR's Detect Mult 3 x max(our 50 ms, its 300 ms).
  expect(s.detectAtMs).toBe(20 + 900);

  a = feed("v4-timer-change-poll", 30);
  expect(a.filter((x) => x.kind === "send")).toMatchObject([{
    reason: "final",
    packet: { final: true, poll: false },
  }]);
  expect(s.detectAtMs).toBe(30 + 3 * 200);

  feed("v4-admindown", 40);
  expect(s.state).toBe("Down");
  expect(s.localDiag).toBe(3);
});
