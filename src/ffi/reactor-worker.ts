/**
 * The reactor's worker thread: it blocks in epoll_wait(2) on the epoll set the main thread owns and posts
 * the ready tokens back. It never reads the fds: the main thread drains them with recvmsg, so source
 * addresses and ancillary data survive (see docs/design.md for the measurements behind this design).
 * A token equal to the stop eventfd ends the loop. With a coalescing window, the worker spends the window
 * waiting on the urgent set (fds the main thread marked urgent, also in the main set): an urgent fd that
 * becomes ready is posted at once, then at most once per URGENT_MS, so its events wait at most that long.
 */
import { dlopen, FFIType } from "bun:ffi";
import { DATA_OFFSET, EVENT_SIZE } from "./epoll.ts";

declare const self: Worker;

const names = ["libc.so.6", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`, "libc.so"];
function open() {
  for (const n of names) {
    try {
      return dlopen(n, {
        epoll_wait: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
        epoll_create1: { args: [FFIType.i32], returns: FFIType.i32 },
        close: { args: [FFIType.i32], returns: FFIType.i32 },
      }).symbols;
    } catch { /* next name */ }
  }
  throw new Error("reactor worker: cannot open the C library");
}
const c = open();
const MAX = 64;
/** Rate limit of urgent wakes inside a coalescing window, ms. */
const URGENT_MS = 2;

self.onmessage = (ev: MessageEvent<{ epfd: number; stopToken: number; coalesceUs?: number; urgentEpfd?: number }>) => {
  const { epfd, stopToken } = ev.data;
  const urgent = ev.data.urgentEpfd ?? -1;
  const coalesceMs = (ev.data.coalesceUs ?? 0) / 1000;
  // An empty epoll set to sleep on: a plain kernel timeout, measured cheaper here than Atomics.wait.
  const nap = coalesceMs > 0 ? c.epoll_create1(0o2000000) : -1;
  const napBuf = new Uint8Array(EVENT_SIZE);
  const buf = new Uint8Array(EVENT_SIZE * MAX);
  const dv = new DataView(buf.buffer);
  const tokens = new Set<number>();
  let stop = false;
  /** The coalescing window: a plain sleep, or a wait on the urgent set that posts urgent fds early. */
  const napWindow = (ms: number): void => {
    if (urgent < 0) {
      c.epoll_wait(nap, napBuf, 1, Math.ceil(ms));
      return;
    }
    const end = performance.now() + ms;
    for (let left = ms; left > 0; left = end - performance.now()) {
      const n = c.epoll_wait(urgent, buf, MAX, Math.ceil(left));
      if (n <= 0) continue;
      collect(n);
      if (tokens.size) self.postMessage([...tokens]);
      tokens.clear();
      const rest = Math.ceil(end - performance.now()); // never a negative timeout: that would block for good
      if (rest > 0) c.epoll_wait(nap, napBuf, 1, Math.min(URGENT_MS, rest));
    }
  };
  const collect = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const t = dv.getUint32(i * EVENT_SIZE + DATA_OFFSET, true); // tokens are fds: the low half
      if (t === stopToken) stop = true;
      else tokens.add(t);
    }
  };
  for (;;) {
    const n = c.epoll_wait(epfd, buf, MAX, -1);
    if (n < 0) continue; // EINTR (JSC may signal the thread); anything else would repeat, see design notes
    collect(n);
    // A full batch may hide more ready fds (edge triggered: an fd reported twice is one token).
    if (n === MAX) { for (let m = c.epoll_wait(epfd, buf, MAX, 0); m > 0; m = m === MAX ? c.epoll_wait(epfd, buf, MAX, 0) : 0) collect(m); }
    if (tokens.size) self.postMessage([...tokens]);
    tokens.clear();
    if (stop) break;
    // Rate limit, not delay: the first readiness after a quiet spell is posted at once; while fds stay
    // busy the main thread is woken at most once per window and drains everything that arrived meanwhile.
    if (nap >= 0) napWindow(coalesceMs);
  }
  if (nap >= 0) c.close(nap);
  self.postMessage("stopped");
};
