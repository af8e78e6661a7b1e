/**
 * The control protocol's pure parts (src/core/control-proto.ts, src/core/control-state.ts) and the IPC
 * additions (ctlSnapshot, ctlCommand, ctlReply in src/core/ipc.ts): every command parses, each bad field
 * is named with its value, other versions and unknown commands are refused, and a fuzz run never throws.
 */
import { describe, expect, test } from "bun:test";
import { childCommandProblem, parseRequest, parseRsName } from "../../../src/core/control-proto.ts";
import { snapshotProblem } from "../../../src/core/control-state.ts";
import { decode, envelope } from "../../../src/core/ipc.ts";

const req = (o: Record<string, unknown>) => parseRequest(JSON.stringify({ v: 1, ...o }));

describe("parseRequest", () => {
  test("every command", () => {
    expect(req({ cmd: "status" })).toEqual({ ok: true, value: { cmd: "status" } });
    expect(req({ cmd: "watch" })).toEqual({ ok: true, value: { cmd: "watch" } });
    expect(req({ cmd: "failover", target: "VI_1" })).toEqual({ ok: true, value: { cmd: "failover", target: "VI_1", holdS: 60, force: false } });
    expect(req({ cmd: "failover", target: "G", holdS: 5, force: true })).toEqual({ ok: true, value: { cmd: "failover", target: "G", holdS: 5, force: true } });
    expect(req({ cmd: "drain", rs: "10.0.0.1:80", vs: "[192.0.2.1]:80", persist: true })).toEqual({
      ok: true,
      value: { cmd: "drain", rs: "10.0.0.1:80", vs: "[192.0.2.1]:80", persist: true },
    });
    expect(req({ cmd: "undrain", rs: "10.0.0.1" })).toEqual({ ok: true, value: { cmd: "undrain", rs: "10.0.0.1" } });
    expect(req({ cmd: "weight", rs: "10.0.0.1", weight: 0 })).toEqual({ ok: true, value: { cmd: "weight", rs: "10.0.0.1", weight: 0 } });
    expect(req({ cmd: "weight", rs: "10.0.0.1", weight: null })).toEqual({ ok: true, value: { cmd: "weight", rs: "10.0.0.1", weight: null } });
    expect(req({ cmd: "reload" })).toEqual({ ok: true, value: { cmd: "reload", check: false } });
    expect(req({ cmd: "reload", check: true })).toEqual({ ok: true, value: { cmd: "reload", check: true } });
    expect(req({ cmd: "logLevel", level: "debug" })).toEqual({ ok: true, value: { cmd: "logLevel", level: "debug" } });
  });

  test("malformed requests are refused with the field and the bad value", () => {
    const reason = (r: ReturnType<typeof parseRequest>) => (r.ok ? "accepted" : r.reason);
    expect(reason(parseRequest("{"))).toMatch(/^not JSON/);
    expect(reason(parseRequest("[1]"))).toMatch(/^not an object/);
    expect(reason(parseRequest("null"))).toMatch(/^not an object/);
    expect(reason(parseRequest(JSON.stringify({ cmd: "status" })))).toBe("version undefined is not 1");
    expect(reason(req({ v: 2, cmd: "status" }))).toBe("version 2 is not 1");
    expect(reason(req({ cmd: "rm -rf" }))).toBe('unknown cmd "rm -rf"');
    expect(reason(req({ cmd: "failover" }))).toBe("failover.target = undefined");
    expect(reason(req({ cmd: "failover", target: "x".repeat(300) }))).toMatch(/^failover.target = "xxx/);
    expect(reason(req({ cmd: "failover", target: "a\nb" }))).toMatch(/^failover.target/);
    expect(reason(req({ cmd: "failover", target: "VI_1", holdS: -1 }))).toBe("failover.holdS = -1 (0..86400)");
    expect(reason(req({ cmd: "failover", target: "VI_1", holdS: 1.5 }))).toMatch(/holdS = 1.5/);
    expect(reason(req({ cmd: "failover", target: "VI_1", force: "yes" }))).toBe('failover.force = "yes"');
    expect(reason(req({ cmd: "drain", rs: 5 }))).toBe("drain.rs = 5");
    expect(reason(req({ cmd: "drain", rs: "a", vs: "" }))).toBe('drain.vs = ""');
    expect(reason(req({ cmd: "drain", rs: "a", persist: 1 }))).toBe("drain.persist = 1");
    expect(reason(req({ cmd: "weight", rs: "a", weight: -1 }))).toMatch(/^weight.weight = -1/);
    expect(reason(req({ cmd: "weight", rs: "a", weight: 2 ** 31 }))).toMatch(/^weight.weight = 2147483648/);
    expect(reason(req({ cmd: "weight", rs: "a" }))).toMatch(/^weight.weight = undefined/);
    expect(reason(req({ cmd: "reload", check: "no" }))).toBe('reload.check = "no"');
    expect(reason(req({ cmd: "logLevel", level: "trace" }))).toBe('logLevel.level = "trace" (debug or info)');
  });

  test("fuzz: random bytes and mutated requests never throw", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const base = JSON.stringify({ v: 1, cmd: "weight", rs: "10.0.0.1:80", weight: 3, vs: "[192.0.2.1]:80" });
    for (let i = 0; i < 5000; i++) {
      const chars = [...base];
      for (let k = 0; k < 3; k++) chars[Math.floor(rnd() * chars.length)] = String.fromCharCode(Math.floor(rnd() * 128));
      const r = parseRequest(chars.join(""));
      expect(typeof r.ok).toBe("boolean");
    }
  });
});

describe("parseRsName", () => {
  test("IP, IP:PORT, [IP]:PORT, IPv6", () => {
    expect(parseRsName("10.0.0.1")).toEqual({ address: "10.0.0.1", port: null });
    expect(parseRsName("10.0.0.1:8080")).toEqual({ address: "10.0.0.1", port: 8080 });
    expect(parseRsName("[2001:DB8::1]:443")).toEqual({ address: "2001:db8::1", port: 443 });
    expect(parseRsName("[2001:db8::1]")).toEqual({ address: "2001:db8::1", port: null });
    expect(parseRsName("2001:db8::1")).toEqual({ address: "2001:db8::1", port: null });
    expect(parseRsName("10.0.0.1:99999")).toBeUndefined();
    expect(parseRsName("[x")).toBeUndefined();
  });
});

describe("child commands and snapshots over IPC", () => {
  test("ctlCommand / ctlReply / ctlSnapshot round-trip and are validated", () => {
    const cmd = { type: "ctlCommand" as const, id: 3, command: { op: "failover" as const, instances: ["VI_1"], holdMs: 60000, force: false } };
    expect(decode(JSON.parse(JSON.stringify(envelope(cmd))))).toEqual(cmd);
    expect(decode(envelope({ type: "ctlReply", id: 3, ok: false, message: "no" }))).toMatchObject({ ok: false });
    expect(() => decode({ v: 1, msg: { type: "ctlCommand", id: 1, command: { op: "reboot" } } })).toThrow(/unknown op "reboot"/);
    expect(() => decode({ v: 1, msg: { type: "ctlCommand", id: 1, command: { op: "overrides", drained: [], weights: { a: -1 } } } })).toThrow(
      /weights\[a\] = -1/,
    );
    const snap = {
      kind: "bfd",
      sessions: [{ name: "b", state: "Up", neighbor: "192.0.2.2", txMs: 300, detectMs: 900, diag: "No Diagnostic", remoteState: "Up" }],
    };
    expect(decode(envelope({ type: "ctlSnapshot", role: "bfd", snapshot: snap as never }))).toMatchObject({ role: "bfd" });
    expect(() => decode({ v: 1, msg: { type: "ctlSnapshot", role: "vrrp", snapshot: snap } })).toThrow(/kind = bfd from the vrrp child/);
  });

  test("childCommandProblem and snapshotProblem name the bad field", () => {
    expect(childCommandProblem({ op: "failover", instances: "VI_1", holdMs: 1, force: false })).toMatch(/instances/);
    expect(childCommandProblem({ op: "failover", instances: [], holdMs: 1 })).toMatch(/force/);
    expect(childCommandProblem({ op: "logLevel", detail: 1 })).toBe("logLevel.detail = 1");
    expect(childCommandProblem({ op: "overrides", drained: ["a|b"], weights: {} })).toBeUndefined();
    expect(
      snapshotProblem("check", { kind: "check", ipvs: true, virtualServers: [{ name: "v", quorumUp: true, liveWeight: 1, realServers: [{ name: "r" }] }] }),
    )
      .toBe("virtualServers[0].realServers[0].up is undefined, not boolean");
    expect(snapshotProblem("vrrp", { kind: "vrrp", instances: [], groups: [{ name: "g", state: "MASTER", members: "x" }] })).toBe(
      "groups[0].members is string, not array",
    );
    expect(snapshotProblem("vrrp", { kind: "vrrp", instances: [], groups: [] })).toBeUndefined();
  });
});
