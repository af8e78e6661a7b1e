/**
 * timer_expired_backup (src/vrrp/late-master.ts) and vrrp_owner_ignore_adverts: keywords of keepalived
 * releases after 2.2.7 (2.2.7 rejects both as unknown), tested against their keepalived.conf(5) text.
 */
import { describe, expect, test } from "bun:test";
import { lateMasterYields, otherMasterDownMs } from "../../../src/vrrp/late-master.ts";
import { loadText } from "../../support/config/helpers.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const inst = (extra: string, prio = 100, state = "BACKUP") =>
  `vrrp_instance VI_1 {\n  state ${state}\n  interface eth0\n  virtual_router_id 51\n  priority ${prio}\n  advert_int 1\n${extra}` +
  `  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

describe("timer_expired_backup", () => {
  const c = { version: 2 as const, advertIntervalCs: 100, downTimerAdverts: 3, preempt: false };

  test("the other router's Master_Down_Interval decides (v2: 3 s + (256 - prio)/256 s)", () => {
    expect(otherMasterDownMs(c, 254)).toBe(3007);
    expect(otherMasterDownMs(c, 100)).toBe(3609);
    expect(lateMasterYields(c, 254, 10_000, 10_000)).toBe(false); // on time: 1 s since the last advert
    expect(lateMasterYields(c, 254, 10_000, 12_006)).toBe(false); // 3006 ms since the last advert
    expect(lateMasterYields(c, 254, 10_000, 12_007)).toBe(true);
    expect(lateMasterYields(c, 100, 10_000, 12_007)).toBe(false); // a priority-100 backup waits 3609 ms
    expect(lateMasterYields(c, null, 10_000, 20_000)).toBe(false); // keyword absent
    expect(lateMasterYields({ ...c, preempt: true }, 254, 10_000, 20_000)).toBe(false); // only with nopreempt
  });

  test("parsed with an optional priority 1..254 (default 254)", () => {
    const get = (kw: string) => loadText(inst(`  nopreempt\n  ${kw}\n`), {}, {}, ["eth0"]).config.vrrp.instances[0]?.timerExpiredBackup;
    expect(get("timer_expired_backup")).toBe(254);
    expect(get("timer_expired_backup 120")).toBe(120);
    expect(loadText(inst("  timer_expired_backup 255\n"), {}, {}, ["eth0"]).diagnostics.some((d) => d.severity === "error")).toBe(true);
    expect(loadText(inst(""), {}, {}, ["eth0"]).config.vrrp.instances[0]?.timerExpiredBackup).toBe(null);
  });

  test("a MASTER stalled past the other's Master_Down_Interval goes BACKUP, VIPs removed; a short stall changes nothing", () => {
    const h = new Harness();
    h.start(inst("  nopreempt\n  timer_expired_backup\n"));
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    h.sched.stall(3000); // the last advert went ~0.4 s before the stall: ~3.4 s of silence, beyond a 254's 3.007 s
    h.sched.advance(0);
    expect(h.states().VI_1).toBe("BACKUP");
    expect(h.kernel.addrsOn("eth0")).not.toContain("192.0.2.100");

    const k = new Harness();
    k.start(inst("  nopreempt\n  timer_expired_backup\n"));
    k.sched.advance(4000);
    k.sched.stall(1500);
    k.sched.advance(0);
    expect(k.states().VI_1).toBe("MASTER");
  });

  test("an advert read before the late timer fires (the new master's, lower priority) finds us BACKUP", () => {
    const h = new Harness();
    h.start(inst("  nopreempt\n  timer_expired_backup\n", 200));
    h.sched.advance(4000);
    h.sched.stall(3000);
    h.advert("eth0", 51, 100, "192.0.2.200", ["192.0.2.100"], 2);
    expect(h.states().VI_1).toBe("BACKUP");
    h.sched.advance(900);
    h.advert("eth0", 51, 100, "192.0.2.200", ["192.0.2.100"], 2);
    expect(h.states().VI_1).toBe("BACKUP"); // nopreempt: the lower-priority master keeps the VIPs
  });

  test("without the keyword a stalled MASTER stays MASTER", () => {
    const h = new Harness();
    h.start(inst("  nopreempt\n"));
    h.sched.advance(4000);
    h.sched.stall(10_000);
    h.sched.advance(0);
    expect(h.states().VI_1).toBe("MASTER");
  });
});

describe("vrrp_owner_ignore_adverts", () => {
  const run = (global: string) => {
    const h = new Harness();
    h.start(`global_defs {\n${global}}\n${inst("", 255, "MASTER")}`);
    expect(h.states().VI_1).toBe("MASTER");
    // Another owner with a higher address: RFC 5798 §6.4.3 makes us BACKUP.
    h.advert("eth0", 51, 255, "192.0.2.200", ["192.0.2.100"], 2);
    return h;
  };

  test("an owner that hears an equal-priority advert from a higher address yields without the keyword", () => {
    expect(run("").states().VI_1).toBe("BACKUP");
  });

  test("with it the owner drops every advert and stays MASTER (counted as received)", () => {
    const h = run("  vrrp_owner_ignore_adverts\n");
    expect(h.states().VI_1).toBe("MASTER");
    expect(h.rt.instances()[0]!.stats.advertRcvd).toBe(1);
  });

  test("a non-owner is not affected", () => {
    const h = new Harness();
    h.start(`global_defs {\n  vrrp_owner_ignore_adverts\n}\n${inst("")}`);
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    h.advert("eth0", 51, 200, "192.0.2.200", ["192.0.2.100"], 2);
    expect(h.states().VI_1).toBe("BACKUP");
  });
});
