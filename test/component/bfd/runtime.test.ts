/**
 * The BFD runtime on a fake network and a fake clock: sessions come Up, report every state, survive
 * malformed packets (counted per RFC 5880 §6.8.6 reason), follow reload (keep, retime with a Poll
 * Sequence, remove with AdminDown, add), and stop with AdminDown.
 */
import { describe, expect, test } from "bun:test";
import { encodeBfdControl, parseBfdControl } from "../../../src/proto/bfd.ts";
import type { BfdControlFields } from "../../../src/proto/bfd.ts";
import { FakeNet, instance } from "../../support/bfd/fake-net.ts";

const A = "192.0.2.1", B = "192.0.2.2";

function pair(overA = {}, overB = {}) {
  const net = new FakeNet();
  const a = net.node(A, undefined, 1), b = net.node(B, undefined, 2);
  a.rt.apply({ instances: [instance("toB", B, { sourceIp: A, ...overA })] }, false);
  b.rt.apply({ instances: [instance("toA", A, { sourceIp: B, ...overB })] }, false);
  return { net, a, b };
}

const up = (n: { rt: { states(): Map<string, string> } }, name: string) => n.rt.states().get(name) === "Up";

describe("BfdRuntime", () => {
  test("two runtimes come Up and report Down then Init/Up to the parent", () => {
    const { net, a, b } = pair();
    expect(a.reports[0]).toEqual({ name: "toB", state: "Down" }); // the start announcement
    net.until(() => up(a, "toB") && up(b, "toA"));
    expect(a.reports.at(-1)).toEqual({ name: "toB", state: "Up" });
    expect(b.reports.at(-1)).toEqual({ name: "toA", state: "Up" });
  });

  test("losing the peer brings the session Down with diag 1, and it recovers", () => {
    const { net, a, b } = pair();
    net.until(() => up(a, "toB") && up(b, "toA"));
    net.cut.add(B);
    net.until(() => a.rt.states().get("toB") === "Down");
    expect(a.rt.session("toB")!.localDiag).toBe(1);
    net.cut.delete(B);
    net.until(() => up(a, "toB") && up(b, "toA"));
  });

  test("malformed packets are counted per reason and leave the session Up", () => {
    const { net, a, b } = pair();
    net.until(() => up(a, "toB") && up(b, "toA"));
    const good = parseBfdControl(b.sent.at(-1)!);
    if (!good.ok) throw new Error("own packet does not parse");
    const base: BfdControlFields = { ...good.value };
    const bad = (f: Partial<BfdControlFields>) => encodeBfdControl({ ...base, ...f });
    const version = bad({});
    version[0] = (2 << 5) | (version[0]! & 0x1f);
    const short = bad({});
    short[3] = 20;
    const long = bad({});
    long[3] = 40;
    const mpoint = bad({});
    mpoint[1] = mpoint[1]! | 0x01;
    const auth = bad({});
    auth[1] = auth[1]! | 0x04;
    auth[3] = 26;
    const cases: [Uint8Array, string, Record<string, unknown>?][] = [
      [new Uint8Array(0), "truncated"],
      [version, "bad-version"],
      [short, "length-too-small"],
      [long, "length-exceeds-payload"],
      [bad({ detectMult: 0 }), "zero-detect-mult"],
      [mpoint, "multipoint"],
      [bad({ myDiscriminator: 0 }), "zero-my-discriminator"],
      [bad({ yourDiscriminator: 0, state: "Up" }), "zero-your-discriminator"],
      [new Uint8Array([...auth, 0, 0]), "auth-not-supported"],
      [bad({ poll: true, final: true }), "poll-and-final"],
      [bad({ yourDiscriminator: 12345 }), "unknown-your-discriminator"],
      [bad({}), "ttl-too-low", { ttl: 254 }],
      [bad({}), "wrong-peer", { peer: "192.0.2.9" }],
      [bad({ yourDiscriminator: 0, state: "Down" }), "no-session-for-path", { multihop: true }],
    ];
    for (const [bytes, reason, over] of cases) {
      const before = a.rt.drops()[reason] ?? 0;
      net.inject(A, B, bytes, over ?? {});
      expect({ reason, n: a.rt.drops()[reason] ?? 0 }).toEqual({ reason, n: before + 1 });
    }
    net.sched.advance(500);
    expect(a.rt.states().get("toB")).toBe("Up");
    expect(a.reports.filter((r) => r.state !== "Up").length).toBe(2); // Down at start, Init on the way up
    expect(a.rt.dumpText()).toContain(" ttl-too-low = 1");
  });

  test("reload: unchanged kept, timer change completes a Poll Sequence, removed ones go AdminDown", () => {
    const { net, a, b } = pair();
    net.until(() => up(a, "toB") && up(b, "toA"));
    const discr = a.rt.session("toB")!.localDiscr;
    const reports = a.reports.length;
    a.rt.apply({ instances: [instance("toB", B, { sourceIp: A, minRxMs: 50, minTxMs: 40 })] }, true);
    expect(a.rt.session("toB")!.polling).toBe(true);
    net.until(() => !a.rt.session("toB")!.polling);
    const s = a.rt.session("toB")!;
    expect([s.localDiscr, s.state, s.advertisedMinRxUs, s.advertisedMinTxUs]).toEqual([
      discr,
      "Up",
      50_000,
      40_000,
    ]);
    expect(a.reports.length).toBe(reports); // no state change to report
    b.rt.apply({ instances: [] }, true);
    net.until(() => a.rt.states().get("toB") === "Down");
    expect(a.rt.session("toB")!.localDiag).toBe(3); // neighbor signaled session down
    expect(b.reports.at(-1)).toEqual({ name: "toA", state: "AdminDown" });
    expect(b.rt.states().size).toBe(0);
  });

  test("stop sends AdminDown and the peer goes Down; nothing is reported after stop", () => {
    const { net, a, b } = pair();
    net.until(() => up(a, "toB") && up(b, "toA"));
    const n = b.reports.length;
    b.rt.stop();
    net.until(() => a.rt.states().get("toB") === "Down");
    expect(a.rt.session("toB")!.remoteState).toBe("AdminDown");
    expect(b.reports.length).toBe(n);
    expect(net.sched.pending).toBeGreaterThan(0); // a's timers still run; b's are gone
  });

  test("multihop with max_hops accepts packets that crossed routers, without it drops them", () => {
    const net = new FakeNet();
    net.hops = 2;
    const a = net.node(A, undefined, 3), b = net.node(B, undefined, 4);
    a.rt.apply({ instances: [instance("mh", B, { multihop: true, maxHops: 2 })] }, false);
    b.rt.apply({ instances: [instance("mh", A, { multihop: true, maxHops: 1 })] }, false);
    net.sched.advance(3000);
    expect(a.rt.states().get("mh")).not.toBe("Up");
    expect(b.rt.drops()["ttl-too-low"]).toBeGreaterThan(0);
    b.rt.apply({ instances: [instance("mh", A, { multihop: true, maxHops: 2 })] }, true);
    net.until(() => up(a, "mh") && up(b, "mh"));
  });
});
