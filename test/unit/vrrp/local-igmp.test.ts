/**
 * disable_local_igmp across a VRRP child's SIGKILL (src/vrrp/sysctl.ts, src/vrrp/instance-vmac.ts,
 * src/procs/local-igmp.ts) over an in-memory /proc/sys: the parent saves the value before the first
 * child sets it, a restarted child that finds 0 restores the parent's value, and the parent writes it
 * back when the VRRP child is gone for good without restoring it.
 */
import { describe, expect, test } from "bun:test";
import { nullLogger } from "../../../src/core/log.ts";
import { ParentLocalIgmp } from "../../../src/procs/local-igmp.ts";
import { IGMP_REPORTS, IGMP_SAVED_ENV, type Sysctl, SysctlJournal } from "../../../src/vrrp/sysctl.ts";

const memSys = (init: Record<string, string>): Sysctl & { m: Map<string, string> } => {
  const m = new Map(Object.entries(init));
  return { m, read: (p) => m.get(p), write: (p, v) => void m.set(p, v) };
};
const conf = (on: boolean) => ({ global: { disableLocalIgmp: on } });

describe("disable_local_igmp across a VRRP child restart", () => {
  test("a restarted child restores the value the parent saw, not the 0 it found", () => {
    const sys = memSys({ [IGMP_REPORTS]: "1" });
    const parent = new ParentLocalIgmp(nullLogger, {}, sys);
    parent.note(conf(true));
    expect(parent.env[IGMP_SAVED_ENV]).toBe("1");
    const first = new SysctlJournal(sys, nullLogger);
    first.set(IGMP_REPORTS, "0", parent.env[IGMP_SAVED_ENV]);
    expect(sys.m.get(IGMP_REPORTS)).toBe("0");
    // SIGKILL: `first` restores nothing. The parent does not save again (it would read 0).
    parent.note(conf(true));
    expect(parent.env[IGMP_SAVED_ENV]).toBe("1");
    const second = new SysctlJournal(sys, nullLogger);
    second.set(IGMP_REPORTS, "0", parent.env[IGMP_SAVED_ENV]);
    expect(sys.m.get(IGMP_REPORTS)).toBe("0");
    second.restore();
    expect(sys.m.get(IGMP_REPORTS)).toBe("1");
    // Without the parent's value a restarted child would take 0 for the old value (keepalived 2.2.7 does).
    sys.m.set(IGMP_REPORTS, "0");
    const blind = new SysctlJournal(sys, nullLogger);
    blind.set(IGMP_REPORTS, "0");
    blind.restore();
    expect(sys.m.get(IGMP_REPORTS)).toBe("0");
  });

  test("the parent writes the saved value back when the child is gone for good and left reports off; not otherwise", () => {
    const sys = memSys({ [IGMP_REPORTS]: "1" });
    const parent = new ParentLocalIgmp(nullLogger, {}, sys);
    parent.restore(); // nothing saved: nothing written
    expect(sys.m.get(IGMP_REPORTS)).toBe("1");
    parent.note(conf(false));
    expect(parent.env[IGMP_SAVED_ENV]).toBeUndefined();
    parent.note(conf(true));
    sys.m.set(IGMP_REPORTS, "0"); // the child set it and was killed
    parent.restore();
    expect(sys.m.get(IGMP_REPORTS)).toBe("1");
    sys.m.set(IGMP_REPORTS, "2"); // someone else's value since: left alone
    parent.restore();
    expect(sys.m.get(IGMP_REPORTS)).toBe("2");
    const off = memSys({ [IGMP_REPORTS]: "0" }); // reports were off before us: stays off
    const p2 = new ParentLocalIgmp(nullLogger, {}, off);
    p2.note(conf(true));
    p2.restore();
    expect(off.m.get(IGMP_REPORTS)).toBe("0");
  });

  test("a journal given the original keeps it as the old value even when the path already holds the new one", () => {
    const sys = memSys({ a: "0" });
    const j = new SysctlJournal(sys, nullLogger);
    j.set("a", "0", "1");
    expect(sys.m.get("a")).toBe("0");
    j.restore();
    expect(sys.m.get("a")).toBe("1");
    const k = new SysctlJournal(sys, nullLogger);
    k.set("a", "1", "1"); // original equal to the value: nothing to do, nothing saved
    sys.m.set("a", "5");
    k.restore();
    expect(sys.m.get("a")).toBe("5");
  });
});
