/**
 * src/procs/supervise.ts, the watchdog's restart rule with real processes: a child that ran longer than
 * CRASH_LOOP_MS is restarted at once, every time; one that dies sooner is crash-looping and backs off
 * (restartDelayMs; the rule alone on a fake clock: test/unit/procs/supervise.test.ts). onDied runs before
 * every restart (the parent removes a dead VRRP child's VIPs there).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "../../../src/core/log.ts";
import { CRASH_LOOP_MS, Supervised } from "../../../src/procs/supervise.ts";
import { waitFor } from "../../support/netns.ts";

let dir = "";
let sup: Supervised | undefined;
afterEach(async () => {
  await sup?.stop(1000);
  rmSync(dir, { recursive: true, force: true });
});

function supervise(script: string) {
  dir = mkdtempSync("/tmp/kvx-sup-");
  const lines: string[] = [];
  const log = new Logger({ ident: "t", console: false, syslog: true, facility: 3, detail: false, syslogSend: (l) => void lines.push(l) });
  const died: number[] = [];
  sup = new Supervised(
    { role: "vrrp", argv: ["/bin/sh", "-c", script], pidFile: join(dir, "v.pid"), respawn: true },
    log,
    { onMessage: () => {}, onGone: () => {}, onDied: () => void died.push(performance.now()) },
    { add: () => {}, remove: () => {}, close: () => {} },
  );
  sup.start();
  return { lines, died };
}

describe("watchdog restarts", () => {
  test("a child dying at once is crash-looping: its restarts back off", async () => {
    const r = supervise("exit 3");
    await waitFor("three deaths", () => r.died.length >= 3, 10_000);
    expect(r.lines.some((l) => /exited with status 3 - restarting \(restart 2, in 500 ms\)/.test(l))).toBe(true);
  }, 20_000);

  test("a child that ran longer than CRASH_LOOP_MS is restarted at once each time", async () => {
    const r = supervise(`sleep ${(CRASH_LOOP_MS + 200) / 1000}; exit 1`);
    await waitFor("three deaths", () => r.died.length >= 3, 20_000);
    const restarts = r.lines.filter((l) => /restarting \(restart \d+/.test(l));
    expect(restarts.length).toBeGreaterThanOrEqual(3);
    for (const l of restarts) expect(l).not.toMatch(/ in \d+ ms/);
  }, 30_000);
});
