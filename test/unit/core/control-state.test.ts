/** Snapshot validation (src/core/control-state.ts): enum-valued fields hold only their state names. */
import { describe, expect, test } from "bun:test";
import { snapshotProblem, type VrrpInstanceSnap } from "../../../src/core/control-state.ts";
import { BFD_STATE_NAMES, VRRP_STATE_NAMES } from "../../../src/core/states.ts";

const inst: VrrpInstanceSnap = {
  name: "VI_1",
  state: "MASTER",
  interface: "eth0",
  vrid: 51,
  priority: 100,
  effectivePriority: 100,
  priorityReasons: [],
  faultReasons: [],
  master: null,
  advertIntMs: 1000,
  sinceMs: 0,
  lastTransition: { from: "BACKUP", to: "MASTER", reason: "Master_Down_Timer expired", atMs: 0 },
  syncGroup: null,
  vips: [],
  holdUntilMs: null,
};
const session = {
  name: "b1",
  state: "Up",
  neighbor: "192.0.2.2",
  txMs: 300,
  detectMs: 900,
  diag: "No Diagnostic",
  remoteState: "Up",
};
const vrrp = (i: object, groups: object[] = []) => ({ kind: "vrrp", instances: [i], groups });
const bfd = (s: object) => ({ kind: "bfd", sessions: [s] });

describe("snapshot state names", () => {
  test("every VRRP and BFD state name is accepted where a state is", () => {
    for (const state of VRRP_STATE_NAMES) {
      expect(snapshotProblem("vrrp", vrrp({ ...inst, state }, [{ name: "G", state, members: [] }])))
        .toBeUndefined();
      expect(
        snapshotProblem("vrrp", vrrp({ ...inst, lastTransition: { ...inst.lastTransition, from: state } })),
      ).toBeUndefined();
    }
    for (const state of BFD_STATE_NAMES) {
      expect(snapshotProblem("bfd", bfd({ ...session, state, remoteState: state }))).toBeUndefined();
    }
    expect(snapshotProblem("vrrp", vrrp({ ...inst, lastTransition: null }))).toBeUndefined();
  });

  test("any other value is refused with the field named", () => {
    expect(snapshotProblem("vrrp", vrrp({ ...inst, state: "master" }))).toBe(
      'instances[0].state = "master", not one of INIT|BACKUP|MASTER|FAULT|STOP|DELETED',
    );
    expect(snapshotProblem("vrrp", vrrp(inst, [{ name: "G", state: 3, members: [] }]))).toMatch(
      /^groups\[0\]\.state = 3/,
    );
    expect(snapshotProblem("vrrp", vrrp({ ...inst, lastTransition: { ...inst.lastTransition, to: "UP" } })))
      .toBe(
        'instances[0].lastTransition.to = "UP"',
      );
    expect(snapshotProblem("bfd", bfd({ ...session, remoteState: "UP" }))).toMatch(
      /^sessions\[0\]\.remoteState = "UP"/,
    );
    expect(snapshotProblem("bfd", bfd({ ...session, state: null }))).toMatch(/^sessions\[0\]\.state = null/);
  });
});
