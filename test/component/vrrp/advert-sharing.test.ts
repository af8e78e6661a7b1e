/**
 * MASTER instances whose advert deadlines fall within a few ms of each other share one wake
 * (TimerOpts.slackMs on the Adver_Timer, src/vrrp/instance.ts): the later one's advert goes out with
 * the earlier one's, once early, and from then on one interval after that wake. Deadlines further apart
 * than the slack, and Master_Down_Timers, keep their own times.
 */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const inst = (vrid: number) => `
vrrp_instance VI_${vrid} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 150
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.${100 + vrid}/24
  }
}
`;
const conf = (...vrids: number[]) => `global_defs {\n  vrrp_version 3\n}\n${vrids.map(inst).join("")}`;
const PEER = "192.0.2.2";

/** VI_1 and VI_2 both MASTER, VI_2 `lagMs` after VI_1 (a peer's advert restarted its Master_Down_Timer). */
function staggered(lagMs: number): { h: Harness; t1: number } {
  const h = new Harness();
  h.start(conf(1, 2));
  h.sched.advance(lagMs);
  h.advert("eth0", 2, 200, PEER, ["192.0.2.102"], 3, 10); // a higher priority master for VRID 2, once
  h.sched.advance(400);
  expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
  const t1 = h.sent.find((s) => s.vrid === 1)!.at;
  return { h, t1 };
}

const times = (h: Harness, vrid: number, t1: number) =>
  h.sent.filter((s) => s.vrid === vrid && s.priority > 0).map((s) => Math.round((s.at - t1) * 1000) / 1000);

describe("adverts of MASTER instances sharing a wake", () => {
  test("a deadline 4 ms after another's goes out with it, then exactly one interval apart", () => {
    const { h, t1 } = staggered(4);
    h.sched.advance(1000);
    const a = times(h, 1, t1), b = times(h, 2, t1);
    expect(b[0]).toBeGreaterThan(3); // became MASTER on its own, ~4 ms after VI_1 (its skew differs from the peer's)
    expect(b[0]).toBeLessThan(10);
    expect(a.slice(0, 6)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(b.slice(1, 6)).toEqual([100, 200, 300, 400, 500]); // the first interval shorter, then VI_1's wakes
  });

  test("deadlines further apart than the slack (10 ms at advert_int 0.1) keep their own times", () => {
    const { h, t1 } = staggered(15);
    h.sched.advance(1000);
    const b = times(h, 2, t1);
    const lag = b[0]!;
    expect(lag).toBeGreaterThan(10);
    expect(b.slice(1, 6)).toEqual([100, 200, 300, 400, 500].map((x) => Math.round((x + lag) * 1000) / 1000));
  });

  test("a Backup's Master_Down_Timer does not run early with a MASTER's advert wake", () => {
    const h = new Harness();
    const t0 = h.sched.now();
    h.start(conf(1, 2));
    h.sched.advance(3);
    h.advert("eth0", 2, 200, PEER, ["192.0.2.102"], 3, 10);
    const heardAt = h.sched.now();
    h.sched.advance(339); // VI_1 MASTER (at 341.4 ms), VI_2's Master_Down_Timer due 3 ms later
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "BACKUP" });
    h.sched.advance(100);
    expect(h.states().VI_2).toBe("MASTER");
    // The same Master_Down_Interval as VI_1's from the start (same priority and interval), from the peer's advert.
    const took = h.sent.find((s) => s.vrid === 2)!.at - heardAt;
    expect(took).toBeCloseTo(h.sent.find((s) => s.vrid === 1)!.at - t0, 6);
  });
});
