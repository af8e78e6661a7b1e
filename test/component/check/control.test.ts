/**
 * Operator overrides in the check child (src/check/control.ts): `drain` takes a real server out of the
 * IPVS table while its checkers keep running, `weight` replaces the configured weight (quorum follows),
 * the complete set replaces the previous one, overrides survive a reload of the child's configuration,
 * and the status snapshot shows weights, overrides, place in the table and checker results.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RecordingLvs } from "../../../src/check/lvs.ts";
import { CheckRuntime } from "../../../src/check/runtime.ts";
import { loadConfig, sliceFor } from "../../../src/config/index.ts";
import { nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { Reactor } from "../../../src/ffi/reactor.ts";
import { tempDir } from "../../support/check/servers.ts";

const dir = tempDir("kct-chk");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conf(extra = "") {
  const f = join(dir, "k.conf");
  writeFileSync(
    f,
    `
virtual_server 203.0.113.10 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  quorum 3
  real_server 192.0.2.5 8080 {
    weight 2
  }
  real_server 192.0.2.6 8080 {
    weight 1
  }
${extra}
}
virtual_server 203.0.113.11 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.5 8080 {
    weight 4
  }
}
`,
  );
  const r = loadConfig(f, { configId: "t" });
  if (r.exitCode === 4) throw new Error(JSON.stringify(r.diagnostics));
  return sliceFor(r.config, "check");
}

const dests = (lvs: RecordingLvs, vip: string) => lvs.last.find((s) => s.addr === vip)?.dests.map((d) => `${d.addr}:${d.port}/${d.weight}`) ?? [];

describe("check child overrides", () => {
  test("drain leaves the table, weight replaces the configured one, a new set replaces the old", () => {
    const sched = new FakeScheduler();
    const lvs = new RecordingLvs();
    const sent: string[] = [];
    const rt = new CheckRuntime({ log: nullLogger, sched, watcher: new Reactor(), lvs, keepIpvsOnStop: false, send: (m) => void sent.push(m.type) });
    rt.apply(conf(), false);
    sched.advance(10);
    expect(dests(lvs, "203.0.113.10")).toEqual(["192.0.2.5:8080/2", "192.0.2.6:8080/1"]);
    const r = rt.control({ op: "overrides", drained: ["[203.0.113.10]:80|[192.0.2.6]:8080"], weights: { "[203.0.113.10]:80|[192.0.2.5]:8080": 9 } });
    expect(r).toEqual({ ok: true, message: "1 drained, 1 weight override(s)", changed: true });
    sched.advance(10);
    expect(dests(lvs, "203.0.113.10")).toEqual(["192.0.2.5:8080/9"]);
    expect(dests(lvs, "203.0.113.11")).toEqual(["192.0.2.5:8080/4"]); // the same RS in another VS is untouched
    let snap = rt.snapshot();
    const vs = snap.virtualServers[0]!;
    expect(vs).toMatchObject({ name: "[203.0.113.10]:80", quorumUp: true, liveWeight: 10 });
    expect(vs.realServers).toEqual([
      { name: "[192.0.2.5]:8080", up: true, weight: 9, configuredWeight: 2, weightOverride: 9, drained: false, inIpvs: true, checkers: [] },
      { name: "[192.0.2.6]:8080", up: true, weight: 1, configuredWeight: 1, weightOverride: null, drained: true, inIpvs: false, checkers: [] },
    ]);
    // A reload of the child's configuration keeps the set in force.
    rt.apply(conf(), true);
    sched.advance(10);
    expect(dests(lvs, "203.0.113.10")).toEqual(["192.0.2.5:8080/9"]);
    // The next set replaces it: nothing overridden any more.
    rt.control({ op: "overrides", drained: [], weights: {} });
    sched.advance(10);
    expect(dests(lvs, "203.0.113.10")).toEqual(["192.0.2.5:8080/2", "192.0.2.6:8080/1"]);
    snap = rt.snapshot();
    expect(snap.virtualServers[0]!.realServers.every((x) => !x.drained && x.weightOverride === null && x.inIpvs)).toBe(true);
    expect(rt.control({ op: "failover", instances: [], holdMs: 0, force: false }).ok).toBe(false);
  });

  test("the same set again (the parent's at every child start: none) changes nothing and builds no table", () => {
    const sched = new FakeScheduler();
    const lvs = new RecordingLvs();
    const rt = new CheckRuntime({ log: nullLogger, sched, watcher: new Reactor(), lvs, keepIpvsOnStop: false });
    rt.apply(conf(), false);
    sched.advance(10);
    const tables = lvs.tables.length;
    expect(rt.control({ op: "overrides", drained: [], weights: {} })).toMatchObject({ ok: true, changed: false });
    sched.advance(10);
    expect(lvs.tables.length).toBe(tables);
    const set = { op: "overrides", drained: ["[203.0.113.10]:80|[192.0.2.6]:8080"], weights: { "[203.0.113.10]:80|[192.0.2.5]:8080": 9 } } as const;
    expect(rt.control({ ...set, drained: [...set.drained] })).toMatchObject({ changed: true });
    sched.advance(10);
    expect(lvs.tables.length).toBe(tables + 1);
    expect(rt.control({ ...set, drained: [...set.drained] })).toMatchObject({ changed: false });
    sched.advance(10);
    expect(lvs.tables.length).toBe(tables + 1);
    expect(dests(lvs, "203.0.113.10")).toEqual(["192.0.2.5:8080/9"]);
  });

  test("a weight override moves the quorum", () => {
    const sched = new FakeScheduler();
    const lvs = new RecordingLvs();
    const rt = new CheckRuntime({ log: nullLogger, sched, watcher: new Reactor(), lvs, keepIpvsOnStop: false });
    rt.apply(conf(), false);
    sched.advance(10);
    expect(rt.snapshot().virtualServers[0]!.quorumUp).toBe(true);
    rt.control({ op: "overrides", drained: [], weights: { "[203.0.113.10]:80|[192.0.2.5]:8080": 0 } });
    expect(rt.snapshot().virtualServers[0]).toMatchObject({ quorumUp: false, liveWeight: 1 });
  });
});
