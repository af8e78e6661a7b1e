/**
 * SigioWatcher on real sockets: only the fd that is ready is delivered; remove() clears O_ASYNC so the fd
 * raises nothing; add() sets it again and looks once, so input queued meanwhile is read. And the VRRP
 * child's rate limit built on it: an RxPump takes a busy socket out of the watcher (O_ASYNC off), reads it
 * on its timer, and gives it back (O_ASYNC on) when it calms down.
 */
import { afterAll, expect, test } from "bun:test";
import { closeQuietly, libc, setNonBlocking, socketPair } from "../../../src/ffi/libc.ts";
import { SigioWatcher } from "../../../src/ffi/sigio.ts";
import { RxPump } from "../../../src/core/rx-pump.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { holdsFor, waitFor } from "../../support/wait.ts";

const w = new SigioWatcher();
const opened: number[] = [];
afterAll(() => {
  w.close();
  for (const fd of opened) closeQuietly(fd);
});

function pair(): [number, number] {
  const p = socketPair();
  for (const fd of p) setNonBlocking(fd);
  opened.push(...p);
  return p;
}
const send = (fd: number, n = 1) => expect(Number(libc.write(fd, new Uint8Array(n).fill(120), n))).toBe(n);
/** Reads everything queued; returns the bytes read. */
function drain(fd: number): number {
  const buf = new Uint8Array(4096);
  let total = 0;
  for (let n = Number(libc.read(fd, buf, buf.length)); n > 0; n = Number(libc.read(fd, buf, buf.length))) total += n;
  return total;
}

test("a signal delivers only the fds with input", async () => {
  const [a, peerA] = pair(), [b, peerB] = pair();
  let readA = 0, readB = 0, callsB = 0;
  w.add(a, () => void (readA += drain(a)));
  w.add(b, () => {
    callsB++;
    readB += drain(b);
  });
  await Bun.sleep(20); // the look at add time (a microtask) has run
  expect(SigioWatcher.raises(a)).toBe(true);
  const before = callsB;
  send(peerA, 3);
  await waitFor("a read", () => readA === 3);
  await holdsFor("b not called", () => callsB === before, 100);
  send(peerB, 2);
  await waitFor("b read", () => readB === 2);
  expect(readA).toBe(3);
  w.remove(a);
  w.remove(b);
});

test("remove() stops the signals; add() re-arms and reads what queued meanwhile", async () => {
  const [a, peer] = pair();
  let got = 0, calls = 0;
  const cb = () => {
    calls++;
    got += drain(a);
  };
  w.add(a, cb);
  await Bun.sleep(20);
  w.remove(a);
  expect(SigioWatcher.raises(a)).toBe(false);
  const signals = w.signals;
  send(peer, 4);
  await holdsFor("no signal and no call while removed", () => w.signals === signals && got === 0, 150);
  const c0 = calls;
  w.add(a, cb);
  expect(SigioWatcher.raises(a)).toBe(true);
  await waitFor("queued input read after add", () => got === 4);
  expect(calls).toBe(c0 + 1);
  send(peer, 1);
  await waitFor("then on signals again", () => got === 5);
  w.remove(a);
});

test("an RxPump over SIGIO: a bunch turns O_ASYNC off and polls; quiet polls turn it back on", async () => {
  const [a, peer] = pair();
  const sched = new FakeScheduler();
  let got = 0;
  const pump = new RxPump(
    a,
    () => {
      const n = drain(a);
      got += n;
      return n;
    },
    w,
    sched,
    50,
  );
  await Bun.sleep(20);
  expect(pump.polling).toBe(false);
  send(peer, 1);
  await waitFor("one datagram read on its signal", () => got === 1);
  expect(pump.polling).toBe(false);
  expect(SigioWatcher.raises(a)).toBe(true);
  send(peer, 10); // a bunch, queued before the handler runs
  await waitFor("the bunch read", () => got === 11);
  expect(pump.polling).toBe(true);
  expect(SigioWatcher.raises(a)).toBe(false);
  const signals = w.signals;
  send(peer, 5);
  await holdsFor("no signal while polled", () => w.signals === signals && got === 11, 100);
  sched.advance(50);
  expect(got).toBe(16); // read on the timer
  for (let i = 0; i < 3; i++) sched.advance(50); // three quiet polls
  expect(pump.polling).toBe(false);
  expect(SigioWatcher.raises(a)).toBe(true);
  send(peer, 1);
  await waitFor("back on signals", () => got === 17);
  pump.close();
  expect(SigioWatcher.raises(a)).toBe(false);
});

test("holdMs: non-urgent fds that bring input twice within it are read on a timer; urgent ones keep raising", async () => {
  const h = new SigioWatcher(300);
  const [a, peerA] = pair(), [u, peerU] = pair();
  let gotA = 0, gotU = 0;
  h.add(a, () => void (gotA += drain(a)));
  h.add(u, () => void (gotU += drain(u)), true);
  await Bun.sleep(20);
  send(peerA);
  await waitFor("first input on its signal", () => gotA === 1, 20_000, 2);
  expect(h.holds).toBe(0);
  expect(SigioWatcher.raises(a)).toBe(true);
  send(peerA);
  await waitFor("second input on its signal", () => gotA === 2, 20_000, 2);
  expect(h.holds).toBe(1); // two deliveries within 300 ms
  expect(SigioWatcher.raises(a)).toBe(false);
  expect(SigioWatcher.raises(u)).toBe(true);
  // An fd added during the hold is not armed; the hold's timer reads it.
  const [b, peerB] = pair();
  let gotB = 0;
  h.add(b, () => void (gotB += drain(b)));
  expect(SigioWatcher.raises(b)).toBe(false);
  send(peerB, 3);
  send(peerU, 2);
  await waitFor("urgent input delivered", () => gotU === 2);
  await waitFor("held input read", () => gotB === 3);
  // A hold poll that finds nothing ready ends the hold: O_ASYNC is set again.
  await waitFor("armed again", () => SigioWatcher.raises(a) && SigioWatcher.raises(b));
  expect(SigioWatcher.raises(u)).toBe(true);
  send(peerA);
  await waitFor("back on signals", () => gotA === 3);
  h.remove(b);
  expect(SigioWatcher.raises(b)).toBe(false);
  h.close();
  expect(SigioWatcher.raises(a)).toBe(false);
  expect(SigioWatcher.raises(u)).toBe(false);
});
