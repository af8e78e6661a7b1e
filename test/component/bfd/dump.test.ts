/** The USR1 dump text (the safe writer is src/core/dumpfile.ts, tested there). */
import { describe, expect, test } from "bun:test";
import { diagText, formatBfdDump } from "../../../src/bfd/dump.ts";
import { createSession, sessionConfigOf } from "../../../src/bfd/session.ts";
import { instance } from "../../support/bfd/fake-net.ts";

describe("BFD dump", () => {
  test("text names every session with its state, discriminators and drops", () => {
    const inst = instance("peer1", "192.0.2.2", { sourceIp: "192.0.2.1" });
    const session = createSession(sessionConfigOf(inst), 0xabc);
    const text = formatBfdDump(
      [{
        instance: inst,
        session,
        sourcePort: 49200,
        txPackets: 3,
        rxPackets: 2,
        discards: { "admin-down": 1 },
        lastRxWallMs: null,
      }],
      { "bad-version": 4 },
    );
    for (
      const line of [
        " BFD Instance = peer1",
        "   local state = Down",
        "   local discriminator = 0xabc",
        "   remote discriminator = 0x0",
        "   send event to VRRP process = Yes",
        "   source port = 49200",
        "   discarded admin-down = 1",
        " bad-version = 4",
        "   !poll, !final",
        "   poll sequence = none",
        "   last_seen = [never]",
      ]
    ) {
      expect(text).toContain(line + "\n");
    }
  });

  test("diagnostics read like keepalived's", () => {
    expect(diagText(1)).toBe("Control Detection Time Expired");
    expect(diagText(3)).toBe("Neighbor Signaled Session Down");
    expect(diagText(20)).toBe("Reserved(20)");
  });
});
