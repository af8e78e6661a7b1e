/**
 * The Backup's receive path: an advert equal to the last one replays the verdict instead of being
 * parsed again (and still counts and restarts the Master_Down_Timer), a changed one is decoded, a
 * dropped one stays dropped, timers run from the kernel's receive time, and a Master_Down_Timer reads
 * the socket before it acts on silence (the reactor may not have woken the child for a queued advert).
 */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (version: 2 | 3, advert: string) => `
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int ${advert}
  version ${version}
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const PEER = "192.0.2.9";

function backup(version: 2 | 3 = 3, advert = "0.1"): Harness {
  const h = new Harness();
  h.start(conf(version, advert));
  h.sched.advance(1);
  expect(h.states()).toEqual({ VI_1: "BACKUP" });
  return h;
}
const stats = (h: Harness) => h.rt.instances()[0]!.stats;

describe("VRRP receive path", () => {
  test("identical adverts are replayed: counted, Master_Down_Timer restarted, no takeover", () => {
    const h = backup();
    for (let i = 0; i < 50; i++) {
      h.advert("eth0", 51, 150, PEER, ["192.0.2.100"], 3, 10);
      h.sched.advance(100);
    }
    expect(h.states()).toEqual({ VI_1: "BACKUP" });
    expect(h.repeats).toBe(49);
    expect(stats(h).advertRcvd).toBe(50);
    // Silence: Master_Down_Interval (3 x 100 ms + Skew_Time 60 ms) later it takes over.
    h.sched.advance(400);
    expect(h.states()).toEqual({ VI_1: "MASTER" });
  });

  test("a changed advert after repeats is decoded: priority 0 means takeover after Skew_Time", () => {
    const h = backup();
    for (let i = 0; i < 5; i++) {
      h.advert("eth0", 51, 150, PEER, ["192.0.2.100"], 3, 10);
      h.sched.advance(100);
    }
    h.advert("eth0", 51, 0, PEER, ["192.0.2.100"], 3, 10);
    expect(stats(h).pri0Rcvd).toBe(1);
    h.sched.advance(55); // Skew_Time for priority 100 at 100 ms (VRRPv3): (256 - 100) * 10 cs / 256, whole centiseconds: 60 ms
    expect(h.states()).toEqual({ VI_1: "BACKUP" });
    h.sched.advance(10);
    expect(h.states()).toEqual({ VI_1: "MASTER" });
  });

  test("a dropped advert is dropped again when it repeats", () => {
    const h = backup(2, "1");
    for (let i = 0; i < 3; i++) {
      h.advert("eth0", 51, 150, PEER, ["192.0.2.100"], 2, 200); // VRRPv2 with another advert_int: dropped
      h.sched.advance(500);
    }
    expect(stats(h).advertIntervalErr).toBe(3);
    expect(h.repeats).toBe(0);
    h.sched.advance(3000);
    expect(h.states()).toEqual({ VI_1: "MASTER" }); // nothing it accepted kept it BACKUP
  });

  test("the Master_Down_Timer restarts from the kernel's receive time, not from when the advert was read", () => {
    const h = backup();
    h.advert("eth0", 51, 150, PEER, ["192.0.2.100"], 3, 10);
    const t0 = h.sched.now();
    h.sched.advance(250);
    // Received 50 ms ago, read now: the timer runs to (t0 + 200) + 360 ms, not now + 360 ms.
    h.advert("eth0", 51, 150, PEER, ["192.0.2.100"], 3, 10, { at: t0 + 200 });
    h.sched.advance(200 + 360 - 250 - 1);
    expect(h.states()).toEqual({ VI_1: "BACKUP" });
    h.sched.advance(2);
    expect(h.states()).toEqual({ VI_1: "MASTER" });
  });

  test("an advert waiting in the socket when the Master_Down_Timer runs out keeps the Backup", () => {
    const h = backup();
    h.advert("eth0", 51, 150, PEER, ["192.0.2.100"], 3, 10);
    const t0 = h.sched.now();
    h.sched.advance(250);
    h.advert("eth0", 51, 150, PEER, ["192.0.2.100"], 3, 10, { queueOnly: true, at: t0 + 250 });
    h.sched.advance(150); // past t0 + 360: the timer reads the socket first and restarts from t0 + 250
    expect(h.states()).toEqual({ VI_1: "BACKUP" });
    expect(stats(h).advertRcvd).toBe(2);
    h.sched.advance(200); // t0 + 600: still inside t0 + 250 + 360
    expect(h.states()).toEqual({ VI_1: "BACKUP" });
    h.sched.advance(20);
    expect(h.states()).toEqual({ VI_1: "MASTER" });
  });
});
