import { describe, expect, test } from "bun:test";
import { FakeIpvsKernel } from "../../../../src/check/ipvs/fake-kernel.ts";
import { ERRNO } from "../../../../src/check/ipvs/kernel.ts";
import { applyIpvsOps, IpvsReconciler, readIpvsTable } from "../../../../src/check/ipvs/reconciler.ts";
import { diffIpvs } from "../../../../src/check/ipvs/diff.ts";
import { entry, fwm, rs, tcp } from "../../../support/check/ipvs/helpers.ts";

const web = (w = 3) => entry(tcp("192.0.2.10", 80, "rr"), rs("127.0.0.2", 8080, w), rs("127.0.0.3", 8080, 1));
const mark = () => entry(fwm(7, "wrr"), rs("127.0.0.4", 0, 2, "route"));

function table(k: FakeIpvsKernel): string[] {
  return readIpvsTable(k).flatMap((e) => e.dests.map((d) => `${e.service.sched} ${d.addr}:${d.port} ${d.fwd} w${d.weight}`)).sort();
}

describe("IpvsReconciler", () => {
  test("sync on an empty kernel builds the table; a second sync does nothing", () => {
    const k = new FakeIpvsKernel();
    const r = new IpvsReconciler(k);
    expect(r.sync([web(), mark()]).failed).toEqual([]);
    expect(table(k)).toEqual([
      "rr 127.0.0.2:8080 masq w3",
      "rr 127.0.0.3:8080 masq w1",
      "wrr 127.0.0.4:0 route w2",
    ]);
    const before = k.calls.length;
    expect(r.sync([web(), mark()]).applied).toEqual([]);
    expect(k.calls.length).toBe(before);
  });

  test("after a restart a matching kernel table is adopted without writes", () => {
    const k = new FakeIpvsKernel();
    new IpvsReconciler(k).sync([web(), mark()]);
    k.calls.length = 0;
    const restarted = new IpvsReconciler(k);
    expect(restarted.sync([web(), mark()]).applied).toEqual([]);
    expect(k.calls).toEqual([]);
    expect(restarted.owned.size).toBe(2);
  });

  test("a weight change after restart is one editDest, no delete and re-add", () => {
    const k = new FakeIpvsKernel();
    new IpvsReconciler(k).sync([web(3)]);
    k.calls.length = 0;
    new IpvsReconciler(k).sync([web(9)]);
    expect(k.calls).toEqual(["editDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w9"]);
  });

  test("update diffs against the model only: a real server going down and up", () => {
    const k = new FakeIpvsKernel();
    const r = new IpvsReconciler(k);
    r.sync([web()]);
    k.calls.length = 0;
    const down = entry(tcp("192.0.2.10", 80, "rr"), rs("127.0.0.3", 8080, 1));
    r.update([down]);
    r.update([web()]);
    expect(k.calls).toEqual([
      "delDest tcp 192.0.2.10:80 127.0.0.2:8080",
      "addDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w3",
    ]);
  });

  test("reload: only what changed; a dropped virtual server is removed, foreign services stay", () => {
    const k = new FakeIpvsKernel();
    k.addService(tcp("198.51.100.1", 443, "sh"));
    k.addDest(tcp("198.51.100.1", 443), rs("127.0.0.9", 443));
    const r = new IpvsReconciler(k);
    r.sync([web(), mark()]);
    k.calls.length = 0;
    r.sync([web(), entry(tcp("192.0.2.20", 25, "lc"), rs("127.0.0.5", 25))]);
    expect(k.calls).toEqual([
      "addService tcp 192.0.2.20:25 lc",
      "addDest tcp 192.0.2.20:25 127.0.0.5:25 masq w1",
      "delService fwmark 7 af2",
    ]);
    expect(k.calls.some((c) => c.includes("198.51.100.1"))).toBe(false);
    expect(k.getServices().length).toBe(3);
  });

  test("a refused operation is reported, left out of the model and retried by the next update", () => {
    const k = new FakeIpvsKernel();
    const r = new IpvsReconciler(k);
    k.failOn = "127.0.0.3:8080";
    const res = r.sync([web()]);
    expect(res.failed.map((f) => f.error)).toEqual([expect.stringContaining("errno 22")]);
    expect(r.needsSync).toBe(true);
    r.update([web()]);
    expect(r.needsSync).toBe(false);
    expect(table(k)).toEqual(["rr 127.0.0.2:8080 masq w3", "rr 127.0.0.3:8080 masq w1"]);
  });

  test("sync repairs changes made behind its back", () => {
    const k = new FakeIpvsKernel();
    const r = new IpvsReconciler(k);
    r.sync([web()]);
    k.delDest(tcp("192.0.2.10", 80), rs("127.0.0.2", 8080));
    k.editDest(tcp("192.0.2.10", 80), rs("127.0.0.3", 8080, 50));
    k.calls.length = 0;
    r.sync([web()]);
    expect(k.calls).toEqual([
      "addDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w3",
      "editDest tcp 192.0.2.10:80 127.0.0.3:8080 masq w1",
    ]);
  });
});

describe("applyIpvsOps", () => {
  test("destinations of a service the kernel refused are not tried", () => {
    const k = new FakeIpvsKernel();
    const bad = entry(tcp("192.0.2.10", 80, "nosuch"), rs("127.0.0.2", 80));
    const res = applyIpvsOps(k, diffIpvs([bad, mark()], []));
    expect(res.failed.map((f) => [f.op.op, f.error])).toEqual([
      ["addService", expect.stringContaining(`errno ${ERRNO.ENOENT}`)],
      ["addDest", "its virtual server could not be added"],
    ]);
    expect(res.applied.map((o) => o.op)).toEqual(["addService", "addDest"]);
  });
});
