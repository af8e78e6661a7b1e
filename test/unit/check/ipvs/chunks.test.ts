import { describe, expect, test } from "bun:test";
import { FakeIpvsKernel } from "../../../../src/check/ipvs/fake-kernel.ts";
import { ERRNO } from "../../../../src/check/ipvs/kernel.ts";
import { IpvsReconciler, readIpvsTable } from "../../../../src/check/ipvs/reconciler.ts";
import { type FlatService, IpvsLvsSink } from "../../../../src/check/ipvs/sink.ts";
import { entry, rs, tcp } from "../../../support/check/ipvs/helpers.ts";

/** One service with `n` real servers 127.0.1.x:8080 at weight `w`, in the sink's flat shape. */
function flat(n: number, w = 1): FlatService[] {
  const e = entry(tcp("192.0.2.10", 80, "rr"), ...Array.from({ length: n }, (_, i) => rs(`127.0.1.${i + 1}`, 8080, w)));
  return [{ ...e.service, dests: e.dests }];
}

const dests = (k: FakeIpvsKernel) => readIpvsTable(k).flatMap((e) => e.dests);

/** A sink over the fake kernel whose deferred chunks run only when the test says so. */
function chunked(every: number) {
  const k = new FakeIpvsKernel();
  const queue: (() => void)[] = [];
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), error: (m: string) => lines.push(`ERR ${m}`) };
  const sink = new IpvsLvsSink(new IpvsReconciler(k, log), log, undefined, { every, defer: (fn) => void queue.push(fn) });
  /** Runs the next deferred chunk; false when none is waiting. */
  const turn = () => {
    const f = queue.shift();
    f?.();
    return f !== undefined;
  };
  return { k, sink, lines, queue, turn };
}

describe("IpvsReconciler.begin", () => {
  test("a run applied step by step logs and models each step, and settles ownership at the end", () => {
    const k = new FakeIpvsKernel();
    const lines: string[] = [];
    const r = new IpvsReconciler(k, { info: (m) => lines.push(m), error: (m) => lines.push(m) });
    const e = flat(5)[0]!;
    const { dests: ds, ...service } = e;
    const run = r.begin([{ service, dests: ds }], true);
    run.step(2); // addService and the first addDest
    expect(dests(k)).toHaveLength(1);
    expect(lines).toHaveLength(2);
    expect(r.model()[0]!.dests).toHaveLength(1);
    expect(r.owned.size).toBe(1); // owned from the start of the run: a cleanup in between removes it
    expect(run.done).toBe(false);
    run.step(10);
    expect(run.done).toBe(true);
    const res = run.finish();
    expect(res.applied).toHaveLength(6);
    expect(dests(k)).toHaveLength(5);
    expect(r.needsSync).toBe(false);
  });
});

describe("IpvsLvsSink with chunks", () => {
  test("a long table goes in a chunk per turn; settled() resolves after the last one", async () => {
    const { k, sink, lines, turn } = chunked(4);
    sink.apply(flat(10));
    // First chunk inside apply(): addService + 3 addDests.
    expect(dests(k)).toHaveLength(3);
    let settled = false;
    const p = sink.settled().then(() => (settled = true));
    let turns = 0;
    while (turn()) turns++;
    await p;
    expect(settled).toBe(true);
    expect(turns).toBe(2); // 11 operations, 4 per turn
    expect(dests(k)).toHaveLength(10);
    expect(lines.filter((l) => l.startsWith("IPVS addDest"))).toHaveLength(10);
  });

  test("a table handed over during a run waits for it, and only the last one is applied then", () => {
    const { k, sink, turn } = chunked(3);
    sink.apply(flat(6, 1));
    sink.apply(flat(6, 2)); // superseded before it is applied
    sink.apply(flat(4, 5));
    expect(dests(k)).toHaveLength(2);
    while (turn());
    const ds = dests(k);
    expect(ds).toHaveLength(4);
    expect(ds.every((d) => d.weight === 5)).toBe(true);
  });

  test("cleanup during a run abandons the rest and removes what was added", async () => {
    const { k, sink, queue, turn } = chunked(3);
    sink.apply(flat(8));
    expect(dests(k)).toHaveLength(2);
    const p = sink.settled();
    sink.cleanup();
    await p; // resolved by the cleanup
    expect(queue).toHaveLength(1);
    turn(); // the abandoned run's next chunk does nothing
    expect(readIpvsTable(k)).toEqual([]);
  });

  test("a refused operation in a chunked run makes the next table sync with the kernel", () => {
    const { k, sink, lines, turn } = chunked(2);
    k.failOn = "127.0.1.2";
    k.failErrno = ERRNO.EINVAL;
    sink.apply(flat(3));
    while (turn());
    expect(lines.some((l) => l.startsWith("ERR IPVS addDest"))).toBe(true);
    expect(dests(k)).toHaveLength(2);
    sink.apply(flat(3));
    while (turn());
    expect(dests(k)).toHaveLength(3);
  });

  test("without chunks the whole table is in the kernel when apply() returns", async () => {
    const k = new FakeIpvsKernel();
    const sink = new IpvsLvsSink(new IpvsReconciler(k), { info() {}, error() {} });
    sink.apply(flat(600));
    expect(dests(k)).toHaveLength(600);
    await sink.settled();
  });
});
