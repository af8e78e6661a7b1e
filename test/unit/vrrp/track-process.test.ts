/** vrrp_track_process matching (process name, full_command, param_match) and quorum with delays. */
import { describe, expect, test } from "bun:test";
import { nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import type { TrackProcessDef } from "../../../src/config/model.ts";
import { processMatches, ProcessTrackerRunner, scanProc } from "../../../src/vrrp/track-process.ts";

const def = (over: Partial<TrackProcessDef>): TrackProcessDef => ({
  name: "p",
  process: "nginx",
  params: [],
  paramMatch: "exact",
  quorum: 1,
  quorumMax: null,
  weight: 0,
  weightReverse: false,
  forkDelayMs: 0,
  terminateDelayMs: 0,
  fullCommand: false,
  src: { file: "x", line: 1 },
  ...over,
});
const proc = (comm: string, ...argv: string[]) => ({ pid: 1, comm, argv });

describe("vrrp_track_process", () => {
  test("name and parameter matching", () => {
    const p = proc("nginx", "/usr/sbin/nginx", "-g", "daemon off;", "-c", "x");
    expect(processMatches(def({}), p)).toBe(true);
    expect(processMatches(def({ fullCommand: true }), p)).toBe(false);
    expect(processMatches(def({ fullCommand: true, process: "/usr/sbin/nginx" }), p)).toBe(true);
    expect(processMatches(def({ params: ["-g", "daemon off;"] }), p)).toBe(false);
    expect(processMatches(def({ params: ["-g", "daemon off;"], paramMatch: "initial" }), p)).toBe(true);
    expect(processMatches(def({ params: ["daemon off;", "-c"], paramMatch: "partial" }), p)).toBe(true);
    expect(processMatches(def({ params: ["-c", "-g"], paramMatch: "partial" }), p)).toBe(false);
    expect(processMatches(def({ process: "a-very-long-process-name" }), proc("a-very-long-pro"))).toBe(true);
  });

  test("quorum, quorum_max and the fork/terminate delays", () => {
    const s = new FakeScheduler();
    let changes = 0;
    const t = new ProcessTrackerRunner(def({ quorum: 2, quorumMax: 3, forkDelayMs: 500, terminateDelayMs: 1000 }), s, nullLogger, () => changes++);
    const n = (k: number) => Array.from({ length: k }, () => proc("nginx"));
    t.update(n(1), true);
    expect(t.up).toBe(false);
    t.update(n(2));
    expect(t.up).toBe(false);
    s.advance(500);
    expect(t.up).toBe(true);
    t.update(n(4)); // above quorum_max
    s.advance(400);
    t.update(n(3)); // back within: the pending change is dropped
    s.advance(1000);
    expect(t.up).toBe(true);
    expect(changes).toBe(1);
  });

  test("scanProc sees this process", () => {
    expect(scanProc().some((p) => p.pid === process.pid)).toBe(true);
  });
});
