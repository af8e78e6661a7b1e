/**
 * A MASTER's Adver_Timer makes no new scheduler handle per advert (InstanceTimers re-arms one handle with
 * Scheduler.again) and skips the state machine while its state object stays (AdverShortcut): the adverts
 * keep their exact interval and priority, and a priority change (a new state object) is on the wire from
 * the next advert on.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (trackFile: string) =>
  `global_defs {\n  vrrp_version 3\n}
vrrp_track_file tf {\n  file ${trackFile}\n  init_file 0\n}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 7
  priority 150
  advert_int 0.1
  track_file {
    tf weight -5
  }
  virtual_ipaddress {
    192.0.2.107/24
  }
}
`;

test("a MASTER's adverts: one timer handle, exact intervals, a priority change on the wire at the next advert", () => {
  const d = mkdtempSync("/tmp/k1-tick-");
  try {
    const f = join(d, "prio");
    const h = new Harness();
    h.start(conf(f));
    h.sched.advance(500);
    expect(h.states().VI_1).toBe("MASTER");
    let made = 0;
    const at = h.sched.at.bind(h.sched);
    h.sched.at = (ms, fn, opts) => (made++, at(ms, fn, opts));
    const from = h.sent.length;
    h.sched.advance(2000);
    const mine = h.sent.slice(from).filter((s) => s.vrid === 7);
    expect(mine.length).toBe(20);
    expect(made).toBe(0);
    expect(new Set(mine.map((s) => s.priority))).toEqual(new Set([150]));
    const gaps = mine.slice(1).map((s, i) => Math.round((s.at - mine[i]!.at) * 1000) / 1000);
    expect(new Set(gaps)).toEqual(new Set([100]));

    writeFileSync(f, "2\n");
    h.fileChanged(f);
    const changedAt = h.sched.now();
    h.sched.advance(1000);
    const after = h.sent.filter((s) => s.vrid === 7 && s.at > changedAt);
    expect(after.length).toBe(10);
    expect(new Set(after.map((s) => s.priority))).toEqual(new Set([140]));
    expect(after[0]!.at - changedAt).toBeLessThanOrEqual(100);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
