/**
 * The parent's pure control pieces: target resolution (src/control/targets.ts), the override layers and
 * their state file (src/control/overrides.ts), watch events from snapshot diffs (src/control/watch.ts)
 * and the human output (src/control/format.ts).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { failoverInstances, rsKeys } from "../../../src/control/targets.ts";
import { Overrides, stateFilePath } from "../../../src/control/overrides.ts";
import { snapshotEvents } from "../../../src/control/watch.ts";
import { age, formatEvent, formatStatus, table } from "../../../src/control/format.ts";
import { buildStatus } from "../../../src/control/status.ts";
import type { CheckSnap, VrrpSnap } from "../../../src/core/control-state.ts";
import { loadText } from "../../support/config/helpers.ts";

const dir = mkdtempSync("/tmp/kct-ps-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = loadText(
  `
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress {
    192.0.2.100
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    192.0.2.101
  }
}
virtual_server 203.0.113.10 80 {
  protocol TCP
  real_server 192.0.2.5 8080 {
  }
  real_server 192.0.2.5 8081 {
  }
}
virtual_server 2001:db8::10 443 {
  protocol TCP
  real_server 2001:db8::5 443 {
  }
}
`,
  {},
  {},
  ["eth0"],
).config;

describe("targets", () => {
  test("failover: an instance, a sync group's members, or a reason listing what exists", () => {
    expect(failoverInstances(cfg, "VI_1")).toEqual({ names: ["VI_1"] });
    expect(failoverInstances(cfg, "G1")).toEqual({ names: ["VI_1", "VI_2"] });
    expect(failoverInstances(cfg, "VI_3")).toEqual({ reason: "no vrrp_instance or vrrp_sync_group named 'VI_3' (configured: VI_1, VI_2, G1 (group))" });
  });

  test("real servers by IP, IP:PORT, [IPv6]:PORT, in one VS with --vs", () => {
    expect(rsKeys(cfg, { rs: "192.0.2.5" })).toEqual({ keys: ["[203.0.113.10]:80|[192.0.2.5]:8080", "[203.0.113.10]:80|[192.0.2.5]:8081"] });
    expect(rsKeys(cfg, { rs: "192.0.2.5:8081" })).toEqual({ keys: ["[203.0.113.10]:80|[192.0.2.5]:8081"] });
    expect(rsKeys(cfg, { rs: "[2001:DB8:0::5]:443" })).toEqual({ keys: ["[2001:db8::10]:443|[2001:db8::5]:443"] });
    expect(rsKeys(cfg, { rs: "192.0.2.5", vs: "[2001:db8::10]:443" })).toEqual({ reason: "no real_server 192.0.2.5 in [2001:db8::10]:443" });
    expect(rsKeys(cfg, { rs: "192.0.2.5", vs: "[1.1.1.1]:80" })).toMatchObject({
      reason: expect.stringMatching(/^no virtual_server '\[1.1.1.1\]:80' \(configured: /),
    });
    expect(rsKeys(cfg, { rs: "bogus:name:x" })).toEqual({ reason: "'bogus:name:x' is not IP, IP:PORT or [IP]:PORT" });
  });
});

describe("overrides", () => {
  test("run-time ones end at reload; persisted ones are written and read back at the next start", () => {
    const file = stateFilePath(join(dir, "control.sock"));
    expect(file).toBe(join(dir, "control-state.json"));
    const o = new Overrides(file);
    expect(o.load()).toBeUndefined(); // no file yet: nothing to say
    o.setDrained(["V|A"], true, false);
    o.setWeight(["V|B"], 5, true);
    expect(o.command()).toEqual({ op: "overrides", drained: ["V|A"], weights: { "V|B": 5 } });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ v: 1, drained: [], weights: { "V|B": 5 } });
    o.reloaded();
    expect(o.command()).toEqual({ op: "overrides", drained: [], weights: { "V|B": 5 } });
    const next = new Overrides(file);
    next.load();
    expect(next.command().weights).toEqual({ "V|B": 5 });
    next.setWeight(["V|B"], null, false); // removal clears the persisted one too
    expect(JSON.parse(readFileSync(file, "utf8")).weights).toEqual({});
    writeFileSync(file, "{broken");
    expect(new Overrides(file).load()).toMatch(/control-state.json: .*; ignored$/);
  });
});

const vrrp = (prio: number): VrrpSnap => ({
  kind: "vrrp",
  groups: [],
  instances: [{
    name: "VI_1",
    state: "MASTER",
    interface: "eth0",
    vrid: 1,
    priority: 100,
    effectivePriority: prio,
    priorityReasons: prio === 100 ? [] : ["script chk down: -20"],
    faultReasons: [],
    master: null,
    advertIntMs: 1000,
    sinceMs: 0,
    lastTransition: null,
    syncGroup: null,
    vips: [],
    holdUntilMs: null,
  }],
});
const check = (up: boolean, reason: string): CheckSnap => ({
  kind: "check",
  ipvs: true,
  virtualServers: [{
    name: "[203.0.113.10]:80",
    quorumUp: true,
    liveWeight: 1,
    realServers: [{
      name: "[192.0.2.5]:8080",
      up,
      weight: up ? 1 : 0,
      configuredWeight: 1,
      weightOverride: null,
      drained: false,
      inIpvs: up,
      checkers: [{ name: "TCP_CHECK on [192.0.2.5]:tcp:8080", up, reason, latencyMs: 1.25 }],
    }],
  }],
});

describe("watch events and output", () => {
  test("priority changes and check results come from snapshot diffs", () => {
    expect(snapshotEvents(undefined, vrrp(100))).toEqual([]);
    expect(snapshotEvents(vrrp(100), vrrp(80))).toEqual([{ event: "priority", instance: "VI_1", from: 100, to: 80, reasons: ["script chk down: -20"] }]);
    expect(snapshotEvents(check(true, "connected"), check(true, "connected"))).toEqual([]);
    expect(snapshotEvents(check(true, "connected"), check(false, "connect: ECONNREFUSED"))).toEqual([
      {
        event: "check",
        vs: "[203.0.113.10]:80",
        rs: "[192.0.2.5]:8080",
        checker: "TCP_CHECK on [192.0.2.5]:tcp:8080",
        up: false,
        reason: "connect: ECONNREFUSED",
        latencyMs: 1.25,
      },
    ]);
    expect(formatEvent({ event: "vrrp", instance: "VI_1", state: "BACKUP", effectivePriority: 1, atMs: Date.UTC(2026, 0, 1, 10, 0, 0, 5) }))
      .toBe("10:00:00.005 vrrp VI_1 -> BACKUP (priority 1)");
  });

  test("tables and ages", () => {
    expect(age(59_999)).toBe("59s");
    expect(age(61_000)).toBe("1m01s");
    expect(age(7_260_000)).toBe("2h01m");
    expect(age(90_000_000)).toBe("1d01h");
    expect(table(["A", "BB"], [["xxx", "y"]])).toEqual(["A    BB", "xxx  y"]);
    const now = 1_000_000;
    const s = buildStatus({
      pid: 7,
      configFile: "/etc/k.conf",
      generation: 2,
      controlSocket: "/run/keepalived/control.sock",
      routerId: "r1",
      children: [{ role: "check", pid: 9, ready: true, restarts: 1, startedAtMs: now - 5000 }],
      snapshots: new Map([["check", { snap: check(false, "connect: ECONNREFUSED"), atMs: now - 2000 }], ["vrrp", { snap: vrrp(80), atMs: now }]]),
      overrides: { drained: ["[203.0.113.10]:80|[192.0.2.5]:8080"], weights: {} },
      persisted: { drained: [], weights: {} },
      requests: { requests: 3, rejected: 0 },
    }, now);
    expect(formatStatus(s)).toBe(`keepalived pid 7, config /etc/k.conf (generation 2), router_id r1
Processes
  ROLE   PID  UP  RESTARTS  READY
  check  9    5s  1         yes
VRRP instances (reported 0s ago)
  NAME  STATE   IF/VRID  PRIO  EFFECTIVE  LAST HEARD  ADVERT  IN STATE  LAST TRANSITION
  VI_1  MASTER  eth0/1   100   80         -           1s      16m40s    -
    VI_1: script chk down: -20
Virtual servers (reported 2s ago; IPVS programmed)
  [203.0.113.10]:80  quorum UP  live weight 1
    REAL SERVER       STATE  WEIGHT  IN IPVS  LAST CHECK
    [192.0.2.5]:8080  DOWN   0       no       TCP_CHECK: connect: ECONNREFUSED 1.3ms
Operator overrides
  drained [203.0.113.10]:80 [192.0.2.5]:8080
`);
  });
});
