import { afterAll, expect, test } from "bun:test";
import { Channel } from "../../../src/core/channel.ts";
import { Reactor } from "../../../src/ffi/reactor.ts";
import { SigioWatcher } from "../../../src/ffi/sigio.ts";
import { socketPair } from "../../../src/ffi/libc.ts";

const reactor = new Reactor();
const sigio = new SigioWatcher();
afterAll(() => {
  reactor.close();
  sigio.close();
});

test("messages cross in order both ways, large ones too; closing one end is EOF on the other", async () => {
  const [a, b] = socketPair();
  const gotA: unknown[] = [], gotB: unknown[] = [];
  let closedB = false;
  const ca = new Channel(a, reactor, (m) => gotA.push(m), () => {});
  const cb = new Channel(b, sigio, (m) => gotB.push(m), () => (closedB = true));
  const big = "x".repeat(300_000); // larger than a socket buffer: queued and written in parts
  ca.send({ n: 1 });
  ca.send({ big });
  ca.send({ n: 2, s: "line\nbreak" });
  cb.send({ back: true });
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 500 && !f(); i++) await Bun.sleep(10);
  };
  await until(() => gotB.length === 3 && gotA.length === 1);
  expect(gotB).toEqual([{ n: 1 }, { big }, { n: 2, s: "line\nbreak" }]);
  expect(gotA).toEqual([{ back: true }]);
  ca.close();
  await until(() => closedB);
  expect(closedB).toBe(true);
  expect(cb.closed).toBe(true);
});

test("a message of megabytes with multi-byte characters arrives whole among small ones", async () => {
  const [a, b] = socketPair();
  const got: unknown[] = [];
  const ca = new Channel(a, reactor, () => {}, () => {});
  const cb = new Channel(b, reactor, (m) => got.push(m), () => {});
  const big = "é✓😀x".repeat(400_000); // ~4 MB of UTF-8: reads end inside characters
  ca.send({ first: 1 });
  ca.send({ big });
  ca.send({ last: 2 });
  for (let i = 0; i < 1000 && got.length < 3; i++) await Bun.sleep(10);
  expect(got).toHaveLength(3);
  expect(got[0]).toEqual({ first: 1 });
  expect((got[1] as { big: string }).big === big).toBe(true);
  expect(got[2]).toEqual({ last: 2 });
  ca.close();
  cb.close();
});

test("poll() delivers what was written before the watcher reported anything, and the watcher's later report delivers nothing twice", async () => {
  const [a, b] = socketPair();
  const got: unknown[] = [];
  let report: (() => void) | undefined;
  // A watcher that has not reported yet (a child's reactor thread still starting); it reports once, later.
  const silent = { add: (_fd: number, onReady: () => void) => (report = onReady), remove: () => {}, close: () => {} };
  const ca = new Channel(a, reactor, () => {}, () => {});
  ca.send({ slice: 1 });
  ca.send({ slice: 2 });
  const cb = new Channel(b, silent, (m) => got.push(m), () => {});
  expect(got).toEqual([]);
  cb.poll();
  expect(got).toEqual([{ slice: 1 }, { slice: 2 }]);
  report!();
  expect(got).toHaveLength(2);
  ca.send({ after: 3 });
  for (let i = 0; i < 200 && got.length < 3; i++) {
    await Bun.sleep(5);
    report!();
  }
  expect(got).toEqual([{ slice: 1 }, { slice: 2 }, { after: 3 }]);
  ca.close();
  cb.close();
});

test("onBytes is told the size of every message after it was handled, newline included", async () => {
  const [a, b] = socketPair();
  let bytes = 0;
  const got: unknown[] = [];
  const ca = new Channel(a, reactor, () => {}, () => {});
  const sizes: number[] = [];
  const cb = new Channel(b, sigio, (m) => got.push(m), () => {}, (n) => {
    expect(got.length).toBe(sizes.length + 1); // after the message was handled
    sizes.push(n);
    bytes += n;
  });
  const msg = { s: "y".repeat(200_000) };
  ca.send(msg);
  ca.send({ n: 1 });
  for (let i = 0; i < 500 && got.length < 2; i++) await Bun.sleep(10);
  expect(got).toEqual([msg, { n: 1 }]);
  expect(sizes).toEqual([JSON.stringify(msg).length + 1, JSON.stringify({ n: 1 }).length + 1]);
  expect(bytes).toBe(sizes[0]! + sizes[1]!);
  ca.close();
  cb.close();
});
