/**
 * The child half of control (src/control/child-side.ts): logLevel flips the logger's detail switch,
 * snapshot pushes at once, other commands go to the runtime (a throw is a refusal, not a crash), and
 * the reporter pushes once per debounce after changes (later after a costly push), only while enabled.
 */
import { describe, expect, test } from "bun:test";
import { runControl, SnapshotReporter, SPACING } from "../../../src/control/child-side.ts";
import { Logger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import type { Message } from "../../../src/core/ipc.ts";

const log = () => new Logger({ ident: "t", console: false, syslog: false, facility: 3, detail: false });

describe("child side of control", () => {
  test("reporter: nothing until enabled, one push per debounce, snapshot on demand", () => {
    const sched = new FakeScheduler();
    const sent: Message[] = [];
    let n = 0;
    const r = new SnapshotReporter({
      role: "bfd",
      send: (m) => void sent.push(m),
      sched,
      intervalMs: 0,
      collect: () => ({ kind: "bfd", sessions: [], n: ++n }) as never,
    });
    r.changed();
    sched.advance(1000);
    expect(sent).toEqual([]);
    r.enable(true);
    expect(sent).toHaveLength(1);
    r.changed();
    r.changed();
    sched.advance(100);
    expect(sent).toHaveLength(2);
    sched.advance(60_000);
    expect(sent).toHaveLength(2); // no periodic push
    expect(runControl(log(), { snapshot: r }, { op: "snapshot" })).toEqual({ ok: true, message: "snapshot sent" });
    expect(sent).toHaveLength(3);
    expect(sent[2]).toMatchObject({ type: "ctlSnapshot", role: "bfd", snapshot: { n: 3 } });
    r.enable(false);
    r.push();
    expect(sent).toHaveLength(3);
  });

  test("reporter: enabled without the first push, it pushes on the next change or when asked", () => {
    const sched = new FakeScheduler();
    const sent: Message[] = [];
    const r = new SnapshotReporter({ role: "check", send: (m) => void sent.push(m), sched, intervalMs: 0, collect: () => ({ kind: "check" }) as never });
    r.enable(true, false);
    sched.advance(10_000);
    expect(sent).toEqual([]);
    r.changed();
    sched.advance(100);
    expect(sent).toHaveLength(1);
    expect(runControl(log(), { snapshot: r }, { op: "snapshot" }).ok).toBe(true);
    expect(sent).toHaveLength(2);
  });

  test("reporter: after a costly push, the next change waits SPACING times its cost", () => {
    const sched = new FakeScheduler();
    const sent: Message[] = [];
    let cost = 50, t = 0;
    const r = new SnapshotReporter({
      role: "check",
      send: (m) => {
        sent.push(m);
        t += cost; // what collecting and serialising took
      },
      sched,
      intervalMs: 0,
      clock: () => t,
      collect: () => ({ kind: "check", n: sent.length }) as never,
    });
    r.enable(true); // a push of 50 ms
    expect(sent).toHaveLength(1);
    r.changed();
    sched.advance(50 * SPACING - 1);
    expect(sent).toHaveLength(1);
    sched.advance(1);
    expect(sent).toHaveLength(2);
    cost = 1; // a cheap push spaces only by the debounce
    r.changed();
    sched.advance(50 * SPACING);
    expect(sent).toHaveLength(3);
    r.changed();
    sched.advance(100);
    expect(sent).toHaveLength(4);
  });

  test("logLevel, runtime commands, refusals", () => {
    const l = log();
    expect(runControl(l, {}, { op: "logLevel", detail: true })).toEqual({ ok: true, message: "debug" });
    expect(l.opts.detail).toBe(true);
    expect(runControl(l, {}, { op: "snapshot" }).ok).toBe(false);
    expect(runControl(l, {}, { op: "failover", instances: [], holdMs: 0, force: false })).toEqual({
      ok: false,
      message: "this child takes no failover command",
    });
    const rt = {
      control: () => {
        throw new Error("boom");
      },
    };
    expect(runControl(l, rt, { op: "overrides", drained: [], weights: {} })).toEqual({ ok: false, message: "overrides failed: boom" });
  });
});
