/** The USR1 dump text and its safe writer (a planted symlink is replaced, never followed). */
import { describe, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultDumpPath, diagText, formatBfdDump, writeFileAtomically } from "../../src/bfd/dump.ts";
import { createSession, sessionConfigOf } from "../../src/bfd/session.ts";
import { instance } from "./fake-net.ts";

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
        "   local discriminator = 0x00000abc",
        "   source port = 49200",
        "   discarded admin-down = 1",
        " bad-version = 4",
        "   poll sequence = none",
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

  test("default path honours TMPDIR", () => {
    expect(defaultDumpPath({ TMPDIR: "/var/tmp/x" })).toBe("/var/tmp/x/keepalived_bfd.data");
    expect(defaultDumpPath({})).toBe("/tmp/keepalived_bfd.data");
  });

  test("a symlink at the dump path is replaced by a new file; its target is untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), "kbr-dump-"));
    try {
      const victim = join(dir, "victim");
      writeFileSync(victim, "precious\n");
      const path = join(dir, "keepalived_bfd.data");
      symlinkSync(victim, path);
      writeFileAtomically(path, "dump\n");
      expect(lstatSync(path).isSymbolicLink()).toBe(false);
      expect(readFileSync(path, "utf8")).toBe("dump\n");
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(lstatSync(path).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
