/**
 * TCP_CHECK (keepalived.conf(5)): the real server passes when a TCP connection to it can be
 * opened within connect_timeout; the connection is closed at once.
 * No Bun socket is made: a libc non-blocking connect (src/ffi/bound-socket.ts, which also applies
 * bind_if, fwmark, bindto and bind_port) is awaited with connect-wait.ts, then closed. A loopback or
 * LAN server answers before the first timer, so a check costs four system calls and no event-loop
 * round trip; with 10,000 real servers that is
 * the check child's main cost (bench/ipvs-vm.ts).
 */
import { closeFd, type PendingConnect, prepareBound, type PreparedBound, startBoundConnect } from "../../ffi/bound-socket.ts";
import { bunLater, type Later, schedLater, waitConnect } from "./connect-wait.ts";
import { boundOptions } from "./stream.ts";
import type { Scheduler } from "../../core/scheduler.ts";
import { type CheckResult, type Endpoint, errorText, fail, pass, type RunCheck } from "./types.ts";

/** Options of one TCP_CHECK. */
export interface TcpCheckOptions {
  /** Where to connect (connect_ip/connect_port/bindto/bind_port/bind_if/fwmark). */
  endpoint: Endpoint;
  /** Overall deadline of one attempt in ms (connect_timeout). */
  connectTimeoutMs: number;
  /** Where the looks at a pending connect are scheduled; Bun timers when absent. */
  sched?: Scheduler;
}

/** Builds a TCP_CHECK attempt: connect, then close. */
export function makeTcpCheck(opts: TcpCheckOptions): RunCheck {
  const o = boundOptions(opts.endpoint);
  const later = opts.sched ? schedLater(opts.sched) : bunLater;
  // Parsed at the first attempt, then kept: a bad address fails each attempt with its reason.
  let prepared: PreparedBound | undefined;
  const start = (done: (r: CheckResult) => void) => {
    try {
      prepared ??= prepareBound(o);
    } catch (e) {
      done(fail(`connect: ${errorText(e)}`));
      return () => {};
    }
    return startTcp(prepared, opts.connectTimeoutMs, later, done);
  };
  const run: RunCheck = (signal) =>
    new Promise<CheckResult>((resolve) => {
      if (signal.aborted) return resolve(fail("connect: aborted"));
      let settled = false;
      let cancel = (): void => {};
      const onAbort = (): void => {
        cancel();
        settled = true;
        resolve(fail("connect: aborted"));
      };
      cancel = start((r) => {
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve(r);
      });
      if (!settled) signal.addEventListener("abort", onAbort);
    });
  run.start = start;
  return run;
}

/** One connect attempt; calls `done` once within timeoutMs (unless cancelled), always closes the socket. */
function startTcp(
  o: PreparedBound,
  timeoutMs: number,
  later: Later,
  done: (r: CheckResult) => void,
): () => void {
  let p: PendingConnect;
  try {
    p = startBoundConnect(o);
  } catch (e) {
    done(fail(`connect: ${errorText(e)}`));
    return () => {};
  }
  let finished = false;
  // Set once the wait starts (its callback may run before waitConnect returns).
  let stopWait = (): void => {};
  const finish = (r: CheckResult | undefined): void => {
    if (finished) return;
    finished = true;
    stopWait();
    closeFd(p.fd);
    if (r) done(r);
  };
  stopWait = waitConnect(p, performance.now() + timeoutMs, later, (st) =>
    finish(
      st === "connected" ? pass("connected") : fail(st === "timeout" ? `connect: timeout after ${timeoutMs}ms` : `connect: ${st}`),
    ));
  if (finished) stopWait();
  return () => finish(undefined); // cancelled: closed, nothing reported
}
