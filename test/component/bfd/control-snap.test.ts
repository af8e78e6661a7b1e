/**
 * The BFD child's status snapshot (src/bfd/control-snap.ts) on a fake network and clock: state, the
 * remote's state, negotiated timers and the last diagnostic follow the sessions (RFC 5880 §6.8.1-6.8.4).
 */
import { describe, expect, test } from "bun:test";
import { bfdSnapshot } from "../../../src/bfd/control-snap.ts";
import { snapshotProblem } from "../../../src/core/control-state.ts";
import { FakeNet, instance } from "../../support/bfd/fake-net.ts";

describe("BFD status snapshot", () => {
  test("Up with the negotiated timers, then Down with Control Detection Time Expired", () => {
    const net = new FakeNet();
    const a = net.node("192.0.2.1", undefined, 1), b = net.node("192.0.2.2", undefined, 2);
    a.rt.apply({ instances: [instance("toB", "192.0.2.2", { sourceIp: "192.0.2.1" })] }, false);
    b.rt.apply({ instances: [instance("toA", "192.0.2.1", { sourceIp: "192.0.2.2" })] }, false);
    net.until(() => a.rt.states().get("toB") === "Up" && a.rt.session("toB")!.remoteState === "Up");
    const s = bfdSnapshot(a.rt.views());
    expect(snapshotProblem("bfd", s)).toBeUndefined();
    expect(s.sessions).toHaveLength(1);
    const up = s.sessions[0]!;
    expect(up).toMatchObject({ name: "toB", state: "Up", neighbor: "192.0.2.2", remoteState: "Up", diag: "No Diagnostic" });
    expect(up.txMs).toBeGreaterThan(0);
    expect(up.detectMs).toBeGreaterThan(up.txMs);
    net.cut.add("192.0.2.2");
    net.until(() => a.rt.states().get("toB") === "Down");
    expect(bfdSnapshot(a.rt.views()).sessions[0]).toMatchObject({ state: "Down", diag: "Control Detection Time Expired" });
  });
});
