/** vrrp_startup_delay on the harness: no advert and no VIP before the delay has run, then the usual start. */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (delay: string) =>
  `global_defs {\n${delay}}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

describe("vrrp_startup_delay", () => {
  test("instances stay in INIT for the delay, then start as BACKUP and go MASTER after Master_Down_Interval", () => {
    const h = new Harness();
    h.start(conf("  vrrp_startup_delay 2.5\n"));
    h.sched.advance(2400);
    expect(h.states().VI_1).toBe("INIT");
    expect(h.sent.length).toBe(0);
    h.sched.advance(200);
    expect(h.states().VI_1).toBe("BACKUP");
    h.sched.advance(3700);
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.kernel.addrsOn("eth0")).toContain("192.0.2.100");
  });

  test("without the keyword instances start at once", () => {
    const h = new Harness();
    h.start(conf(""));
    expect(h.states().VI_1).toBe("BACKUP");
  });
});
