/** Topology and desired-table rules as tables: RS alive/weight, quorum with hysteresis, sorry server, inhibit, groups. */
import { describe, expect, test } from "bun:test";
import type { RealServer, VirtualServer, VirtualServerGroup } from "../../../src/config/model-check.ts";
import { describeChanges, expandRange, granularity, vsTable } from "../../../src/check/table.ts";
import { evaluateRsChange, evaluateVs, fifoRsLine, fifoVsLine, nextQuorum, rsWeight, type VsStatus } from "../../../src/check/topology.ts";

const st = (up: boolean, weightDelta = 0) => ({ up, weightDelta, hasRun: true, lastReason: "" });
const SRC = { file: "t", line: 1 };
const NO_TIMING = { connectTimeoutMs: null, retry: null, delayBeforeRetryMs: null, warmupMs: null, delayLoopMs: null };
const NAT = { method: "NAT" as const, tunnelType: null, tunnelPort: null, tunnelChecksum: null };

function rs(address: string, over: Partial<RealServer> = {}): RealServer {
  return {
    address,
    family: "ipv4",
    port: 80,
    weight: 1,
    forward: null,
    inhibitOnFailure: null,
    uthreshold: null,
    lthreshold: null,
    notifyUp: null,
    notifyDown: null,
    smtpAlert: null,
    virtualhost: null,
    snmpName: null,
    alpha: null,
    timing: NO_TIMING,
    checkers: [],
    src: SRC,
    ...over,
  };
}

function vs(over: Partial<VirtualServer> = {}): VirtualServer {
  return {
    kind: "address",
    address: "203.0.113.10",
    port: 80,
    fwmark: null,
    group: null,
    family: "ipv4",
    protocol: "TCP",
    scheduler: "wlc",
    schedFlags: [],
    ops: false,
    forward: NAT,
    persistenceTimeoutMs: null,
    persistenceGranularity: null,
    persistenceEngine: null,
    haSuspend: false,
    virtualhost: null,
    snmpName: null,
    alpha: false,
    omega: false,
    timing: NO_TIMING,
    quorum: 1,
    hysteresis: 0,
    quorumUp: null,
    quorumDown: null,
    sorryServer: null,
    inhibitOnFailure: false,
    delayLoopMs: 60000,
    smtpAlert: null,
    weight: 1,
    realServers: [rs("192.0.2.2"), rs("192.0.2.3")],
    src: SRC,
    ...over,
  };
}

const status = (quorumUp: boolean, entries: [string, boolean, number][]): VsStatus => ({
  quorumUp,
  liveWeight: entries.filter((e) => e[1]).reduce((a, e) => a + e[2], 0),
  rs: new Map(entries.map(([k, alive, weight]) => [k, { alive, weight }])),
});

describe("topology", () => {
  test.each(
    [
      // [checkers, alive]
      [[], true],
      [[st(true)], true],
      [[st(true), st(false)], false],
      [[st(false), st(false)], false],
    ] as const,
  )("RS with checkers %j alive=%p (all must be up)", (checkers, alive) => {
    const { next } = evaluateVs({ quorum: 1, hysteresis: 0 }, undefined, [{
      key: "a",
      weight: 1,
      checkers: [...checkers],
    }]);
    expect(next.rs.get("a")?.alive).toBe(alive);
  });

  test.each(
    [
      [5, [], 5],
      [5, [3, -1], 7],
      [1, [-10], 0],
    ] as const,
  )("weight %i with deltas %j = %i", (base, deltas, want) => {
    expect(rsWeight(base, deltas.map((d) => st(true, d)))).toBe(want);
  });

  test.each(
    [
      // [wasUp, live, quorum, hysteresis, nextUp]
      [true, 3, 3, 0, true],
      [true, 2, 3, 0, false],
      [true, 2, 3, 1, true],
      [true, 1, 3, 1, false],
      [false, 3, 3, 1, false],
      [false, 4, 3, 1, true],
      [false, 3, 3, 0, true],
    ] as const,
  )("quorum wasUp=%p live=%i quorum=%i hysteresis=%i -> %p", (was, live, q, h, want) => {
    expect(nextQuorum(was, live, q, h)).toBe(want);
  });

  test("evaluateRsChange gives evaluateVs's events and status, one real server at a time (seeded random walk)", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const v of [{ quorum: 1, hysteresis: 0 }, { quorum: 6, hysteresis: 2 }, { quorum: 15, hysteresis: 1 }]) {
      const inputs = Array.from({ length: 8 }, (_, i) => ({ key: `r${i}`, weight: 1 + (i % 3), checkers: [st(true), st(true)] }));
      let full = evaluateVs(v, undefined, inputs).next;
      let inc: VsStatus = { ...full, rs: new Map(full.rs) };
      for (let step = 0; step < 2000; step++) {
        const i = Math.floor(rnd() * inputs.length);
        const checkers = [st(rnd() < 0.6, Math.floor(rnd() * 3) - 1), st(rnd() < 0.8)];
        inputs[i] = { ...inputs[i]!, checkers };
        const f = evaluateVs(v, full, inputs);
        const g = evaluateRsChange(v, inc, inputs[i]!);
        expect(g.events).toEqual(f.events);
        expect({ q: g.next.quorumUp, w: g.next.liveWeight, rs: [...g.next.rs] }).toEqual({
          q: f.next.quorumUp,
          w: f.next.liveWeight,
          rs: [...f.next.rs],
        });
        full = f.next;
        inc = g.next;
      }
    }
  });

  test("events: RS down, quorum lost, RS back, weight change", () => {
    const v = { quorum: 2, hysteresis: 0 };
    const a = { key: "a", weight: 1, checkers: [st(true)] };
    const b = { key: "b", weight: 1, checkers: [st(true)] };
    const s0 = evaluateVs(v, undefined, [a, b]);
    expect(s0.events).toEqual([
      { type: "rs", key: "a", up: true, weight: 1, initial: true },
      { type: "rs", key: "b", up: true, weight: 1, initial: true },
      { type: "quorum", up: true, liveWeight: 2, initial: true },
    ]);
    const s1 = evaluateVs(v, s0.next, [a, { ...b, checkers: [st(false)] }]);
    expect(s1.events).toEqual([
      { type: "rs", key: "b", up: false, weight: 1, initial: false },
      { type: "quorum", up: false, liveWeight: 1, initial: false },
    ]);
    const s2 = evaluateVs(v, s1.next, [{ ...a, checkers: [st(true, 4)] }, { ...b, checkers: [st(false)] }]);
    expect(s2.events).toEqual([{ type: "rsWeight", key: "a", from: 1, to: 5 }, {
      type: "quorum",
      up: true,
      liveWeight: 5,
      initial: false,
    }]);
  });

  test("FIFO lines follow keepalived.conf(5) lvs_notify_fifo", () => {
    const v = vs();
    expect(fifoVsLine(v, true)).toBe("VS [203.0.113.10]:tcp:80 UP");
    expect(fifoRsLine(v, rs("192.0.2.2", { port: 8080 }), false)).toBe(
      "RS [192.0.2.2]:tcp:8080 [203.0.113.10]:tcp:80 DOWN",
    );
    expect(fifoVsLine(vs({ kind: "fwmark", address: null, port: null, fwmark: 7 }), false)).toBe(
      "VS FWM 7 DOWN",
    );
  });
});

describe("desired table", () => {
  const dests = (v: VirtualServer, s: VsStatus) => vsTable(v, [], s)[0]!.dests.map((d) => `${d.addr}:${d.port}/${d.weight}`);

  test.each(
    [
      // [name, vs overrides, status, dests]
      ["all alive", {}, status(true, [["192.0.2.2|80", true, 1], ["192.0.2.3|80", true, 1]]), [
        "192.0.2.2:80/1",
        "192.0.2.3:80/1",
      ]],
      ["dead RS removed", {}, status(true, [["192.0.2.2|80", true, 1], ["192.0.2.3|80", false, 1]]), [
        "192.0.2.2:80/1",
      ]],
      [
        "inhibit_on_failure keeps it at weight 0",
        { inhibitOnFailure: true },
        status(true, [["192.0.2.2|80", true, 3], ["192.0.2.3|80", false, 1]]),
        ["192.0.2.2:80/3", "192.0.2.3:80/0"],
      ],
      [
        "no quorum, no sorry server: live RS stay",
        {},
        status(false, [["192.0.2.2|80", true, 1], ["192.0.2.3|80", false, 1]]),
        ["192.0.2.2:80/1"],
      ],
      [
        "no quorum: sorry server replaces every RS",
        { sorryServer: { address: "198.51.100.9", port: 8080, inhibit: false, forward: null } },
        status(false, [["192.0.2.2|80", true, 1], ["192.0.2.3|80", false, 1]]),
        ["198.51.100.9:8080/1"],
      ],
      [
        "quorum: sorry server absent",
        { sorryServer: { address: "198.51.100.9", port: null, inhibit: false, forward: null } },
        status(true, [["192.0.2.2|80", true, 1]]),
        ["192.0.2.2:80/1"],
      ],
      [
        "quorum: sorry_server_inhibit keeps it at weight 0",
        { sorryServer: { address: "198.51.100.9", port: null, inhibit: true, forward: null } },
        status(true, [["192.0.2.2|80", true, 1]]),
        ["192.0.2.2:80/1", "198.51.100.9:80/0"],
      ],
    ] as const,
  )("%s", (_n, over, s, want) => {
    expect(dests(vs(over as Partial<VirtualServer>), s)).toEqual([...want]);
  });

  test("service flags, persistence, forwarding", () => {
    const v = vs({
      persistenceTimeoutMs: 300000,
      persistenceGranularity: "255.255.255.0",
      schedFlags: ["sh-port"],
      ops: true,
      scheduler: "sh",
      forward: { method: "TUN", tunnelType: "gue", tunnelPort: 6080, tunnelChecksum: "csum" },
    });
    const [s] = vsTable(v, [], status(true, [["192.0.2.2|80", true, 2]]));
    expect(s).toMatchObject({
      af: 2,
      protocol: 6,
      addr: "203.0.113.10",
      port: 80,
      sched: "sh",
      flags: 0x1 | 0x4 | 0x10,
      timeout: 300,
      netmask: 0xffffff00,
    });
    expect(s!.dests[0]).toMatchObject({ fwd: "tunnel", tunType: 1, tunPort: 6080, tunFlags: 1, weight: 2 });
    expect(granularity("64", 10)).toBe(64);
  });

  test("virtual_server_group: address ranges and fwmarks become services", () => {
    const g: VirtualServerGroup = {
      name: "G",
      src: SRC,
      entries: [
        {
          kind: "address",
          family: "ipv4",
          address: "203.0.113.1",
          lastAddress: "203.0.113.3",
          port: 443,
          fwmark: null,
          src: SRC,
        },
        { kind: "fwmark", family: null, address: null, lastAddress: null, port: null, fwmark: 9, src: SRC },
      ],
    };
    const v = vs({ kind: "group", group: "G", address: null });
    const t = vsTable(v, [g], status(true, [["192.0.2.2|80", true, 1]]));
    expect(t.map((s) => s.fwmark ?? `${s.addr}:${s.port}`)).toEqual([
      "203.0.113.1:443",
      "203.0.113.2:443",
      "203.0.113.3:443",
      9,
    ]);
    expect(t.every((s) => s.dests.length === 1)).toBe(true);
    expect(expandRange("2001:db8::a", "2001:db8::c")).toEqual(["2001:db8::a", "2001:db8::b", "2001:db8::c"]);
  });

  test("describeChanges names added, removed and re-weighted destinations", () => {
    const v = vs();
    const a = vsTable(v, [], status(true, [["192.0.2.2|80", true, 1], ["192.0.2.3|80", true, 1]]));
    const b = vsTable(v, [], status(true, [["192.0.2.2|80", true, 5], ["192.0.2.3|80", false, 1]]));
    expect(describeChanges(a, b)).toEqual([
      "set [192.0.2.2]:80 weight 1 -> 5 in service 6:[203.0.113.10]:80",
      "remove [192.0.2.3]:80 from service 6:[203.0.113.10]:80",
    ]);
  });
});
