/**
 * Wake-up latency and timer jitter of the candidate fd-readiness designs, in one run:
 *  - worker: a Worker blocked in epoll_wait posts ready fds to the main thread (src/ffi/reactor.ts)
 *  - sigio:  O_ASYNC + SIGIO, every registered fd drained per signal (src/ffi/sigio.ts)
 * A sender process writes its monotonic send time into UDP datagrams on loopback every 10 ms; the
 * receiver records receive-time minus send-time in its callback. Meanwhile a 10 ms timer on our
 * scheduler records its lateness. Usage: bun bench/reactor.ts [packets=1000]
 */
import { type FdWatcher, Reactor } from "../src/ffi/reactor.ts";
import { SigioWatcher } from "../src/ffi/sigio.ts";
import { SOCK_DGRAM, Socket } from "../src/ffi/socket.ts";
import { sockaddrIn } from "../src/ffi/sockaddr.ts";
import { RealScheduler } from "../src/core/scheduler.ts";
import { monotonicNs } from "../src/ffi/libc.ts";

const LO = new Uint8Array([127, 0, 0, 1]);
const nowNs = monotonicNs;

if (process.argv[2] === "send") {
  const port = Number(process.argv[3]), count = Number(process.argv[4]);
  const s = new Socket(2, SOCK_DGRAM, 0);
  const to = sockaddrIn(LO, port);
  let i = 0;
  const tick = () => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, nowNs(), true);
    s.sendTo(b, to);
    if (++i < count) setTimeout(tick, 9.5 + Math.random());
    else setTimeout(() => process.exit(0), 50);
  };
  setTimeout(tick, 200);
} else {
  const count = Number(process.argv[2] ?? 1000);
  const rows: string[] = [];
  for (const mode of ["worker", "sigio"] as const) {
    const r = await measure(mode, count);
    rows.push(`| ${mode} | ${r.got}/${count} | ${f(r.lat, 0.5)} | ${f(r.lat, 0.99)} | ${f(r.jit, 0.5)} | ${f(r.jit, 0.99)} | ${r.cpuPct.toFixed(1)} |`);
  }
  console.log("| design | received | wake p50 µs | wake p99 µs | timer late p50 µs | timer late p99 µs | CPU % |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  process.exit(0);
}

function f(a: number[], q: number): string {
  const s = [...a].sort((x, y) => x - y);
  return (s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN).toFixed(0);
}

async function measure(mode: "worker" | "sigio", count: number) {
  const w: FdWatcher = mode === "worker" ? new Reactor() : new SigioWatcher();
  const rx = new Socket(2, SOCK_DGRAM, 0);
  rx.bind(sockaddrIn(LO, 0));
  const port = (rx.localAddress() as { port: number }).port;
  const lat: number[] = [];
  w.add(rx.fd, () => {
    for (let d = rx.recv(); d; d = rx.recv()) {
      const sent = new DataView(d.data.buffer).getBigUint64(0, true);
      lat.push(Number(nowNs() - sent) / 1000);
    }
  });
  const sched = new RealScheduler();
  const jit: number[] = [];
  let running = true;
  const arm = (at: number) =>
    sched.at(at, () => {
      jit.push((sched.now() - at) * 1000);
      if (running) arm(at + 10);
    });
  arm(sched.now() + 10);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const p = Bun.spawn([process.execPath, import.meta.path, "send", String(port), String(count)], { stdout: "inherit", stderr: "inherit" });
  await p.exited;
  await Bun.sleep(50);
  running = false;
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  w.remove(rx.fd);
  w.close();
  rx.close();
  return { got: lat.length, lat, jit, cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100 };
}
