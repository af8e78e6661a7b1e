import { describe, expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { ScriptTracker } from "../../../src/vrrp/track-script.ts";

const cfg = { name: "chk", argv: ["/x"], uid: 0, gid: 0, intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3, initFail: false };

describe("vrrp_script tracker", () => {
  test("rise and fall count consecutive results", () => {
    const changes: boolean[] = [];
    const t = new ScriptTracker(cfg, new FakeScheduler(), async () => ({ status: 0, signal: null, timedOut: false }), (u) => changes.push(u));
    expect(t.up).toBe(true);
    t.result(false);
    t.result(false);
    t.result(true);
    t.result(false);
    t.result(false);
    expect(t.up).toBe(true);
    t.result(false);
    expect(changes).toEqual([false]);
    t.result(true);
    expect(t.up).toBe(false);
    t.result(true);
    expect(changes).toEqual([false, true]);
  });
  test("init_fail starts failed; runs every interval with the timeout passed on", async () => {
    const s = new FakeScheduler();
    const seen: number[] = [];
    let status = 0;
    const t = new ScriptTracker({ ...cfg, initFail: true, rise: 1 }, s, async (_a, _u, _g, timeout) => {
      seen.push(timeout);
      return { status, signal: null, timedOut: false };
    }, () => {});
    expect(t.up).toBe(false);
    t.start();
    s.advance(0);
    await Bun.sleep(0);
    expect(t.up).toBe(true);
    status = 1;
    for (let i = 0; i < 3; i++) {
      s.advance(1000);
      await Bun.sleep(0);
    }
    expect(t.runs).toBe(4);
    expect(t.up).toBe(false);
    expect(seen.every((x) => x === 500)).toBe(true);
    t.stop();
  });
});
