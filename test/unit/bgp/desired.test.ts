/** src/bgp/desired.ts: when an announcement is on, with which metric, and the VIP metric for announced VIPs. */
import { describe, expect, test } from "bun:test";
import type { BgpAnnounce, SyncGroup } from "../../../src/config/model.ts";
import { type InstanceSeen, type Observed, verdict, vipMetric, wantedAddrs } from "../../../src/bgp/desired.ts";
import { BGP_METRIC_MAX, VIP_METRIC_UNDER_BGP } from "../../../src/config/model-bgp.ts";

const src = { file: "k.conf", line: 1 };
function ann(over: Partial<BgpAnnounce>): BgpAnnounce {
  return {
    name: "A",
    instances: [],
    syncGroups: [],
    virtualServers: [],
    device: "ka-bgp",
    metric: 10,
    announceBackup: false,
    prefixes: [{ family: "ipv4", address: "192.0.2.10", prefixLen: 32 }],
    src,
    ...over,
  };
}
const groups: Pick<SyncGroup, "name" | "members">[] = [{ name: "G", members: ["VI_1", "VI_2"] }];
function seen(inst: Record<string, [InstanceSeen["state"], number]>, vss: Record<string, boolean> = {}): Observed {
  return {
    instances: new Map(Object.entries(inst).map(([k, [state, effectivePriority]]) => [k, { state, effectivePriority }])),
    virtualServers: new Map(Object.entries(vss)),
  };
}

describe("verdict", () => {
  test("follows MASTER; anything else, or no report, is off and says why", () => {
    const a = ann({ instances: ["VI_1"] });
    expect(verdict(a, groups, seen({ VI_1: ["MASTER", 100] }))).toEqual({ on: true, metric: 10, why: "" });
    expect(verdict(a, groups, seen({ VI_1: ["BACKUP", 100] }))).toEqual({ on: false, metric: 10, why: "VI_1 is BACKUP" });
    expect(verdict(a, groups, seen({ VI_1: ["FAULT", 100] })).why).toBe("VI_1 is FAULT");
    expect(verdict(a, groups, seen({})).why).toBe("VI_1 has not reported a state");
  });

  test("announce_backup: BACKUP is on with metric + 256 - lowest effective priority; FAULT stays off", () => {
    const a = ann({ syncGroups: ["G"], announceBackup: true });
    expect(verdict(a, groups, seen({ VI_1: ["MASTER", 200], VI_2: ["MASTER", 200] })).metric).toBe(10);
    const b = verdict(a, groups, seen({ VI_1: ["BACKUP", 90], VI_2: ["BACKUP", 120] }));
    expect(b).toEqual({ on: true, metric: 10 + 256 - 90, why: "VI_1 is BACKUP" });
    expect(verdict(a, groups, seen({ VI_1: ["MASTER", 200], VI_2: ["FAULT", 0] })).on).toBe(false);
  });

  test("a sync group needs every member MASTER", () => {
    const a = ann({ syncGroups: ["G"] });
    expect(verdict(a, groups, seen({ VI_1: ["MASTER", 100], VI_2: ["BACKUP", 100] }))).toMatchObject({ on: false, why: "VI_2 is BACKUP" });
  });

  test("virtual servers need quorum, and gate the VRRP condition too", () => {
    const a = ann({ virtualServers: ["[192.0.2.10]:80"] });
    expect(verdict(a, groups, seen({}, { "[192.0.2.10]:80": true })).on).toBe(true);
    expect(verdict(a, groups, seen({}, { "[192.0.2.10]:80": false })).why).toBe("VS [192.0.2.10]:80 has no quorum");
    expect(verdict(a, groups, seen({})).why).toBe("VS [192.0.2.10]:80 has not reported its quorum");
    const both = ann({ instances: ["VI_1"], virtualServers: ["[192.0.2.10]:80"] });
    expect(verdict(both, groups, seen({ VI_1: ["BACKUP", 1] }, { "[192.0.2.10]:80": true })).on).toBe(false);
    expect(verdict(both, groups, seen({ VI_1: ["MASTER", 1] }, { "[192.0.2.10]:80": true })).on).toBe(true);
  });
});

describe("wantedAddrs and vipMetric", () => {
  test("every prefix of every announcement that is on, on its device", () => {
    const on = ann({ name: "ON", instances: ["VI_1"], device: "ka-a" });
    const off = ann({ name: "OFF", instances: ["VI_2"], prefixes: [{ family: "ipv6", address: "2001:db8::1", prefixLen: 128 }] });
    expect(wantedAddrs([on, off], groups, seen({ VI_1: ["MASTER", 1], VI_2: ["BACKUP", 1] }))).toEqual([
      { family: "ipv4", address: "192.0.2.10", prefixLen: 32, device: "ka-a", metric: 10, announce: "ON" },
    ]);
  });

  test("an announced VIP gets the metric that makes zebra prefer our copy; others none", () => {
    const a = [ann({ instances: ["VI_1"] })];
    expect(vipMetric(a, "192.0.2.10", 32)).toBe(VIP_METRIC_UNDER_BGP);
    expect(vipMetric(a, "192.0.2.10", 24)).toBeUndefined();
    expect(vipMetric(a, "192.0.2.11", 32)).toBeUndefined();
    expect(BGP_METRIC_MAX + 255).toBeLessThan(VIP_METRIC_UNDER_BGP);
  });
});
