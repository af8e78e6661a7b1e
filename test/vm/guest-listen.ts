/**
 * The benchmark's real servers (runs inside the VM as `guest-bench listen N`): one process with N
 * listening TCP sockets, real server i on benchAddr(i):BENCH_PORT, each accepting and closing at once
 * and counting what it accepted. Driven over stdin/stdout, one line each way:
 *   count       -> "count <accepted so far>"
 *   close <i>   -> "closed <i> <Date.now() ms after the listening socket was closed>"
 *   reopen      -> "reopened <how many>"   (every closed listener listens again)
 *   mark        -> "marked"                (starts per-server counting afresh)
 *   seen <k>    -> "seen <servers that accepted at least k connections since the mark>"
 * It prints "ready <N>" once every socket listens, and exits when stdin closes.
 */
import type { TCPSocketListener } from "bun";

/** Port every benchmark real server listens on. */
export const BENCH_PORT = 8080;

/** Address of real server i (0-based): 127.1.0.1, 127.1.0.2, ... (all of 127/8 is local on lo). */
export function benchAddr(i: number): string {
  const n = i + 1;
  return `127.1.${(n >> 8) & 255}.${n & 255}`;
}

/** How real server i appears in /proc/net/ip_vs ("7F010001:1F90"). */
export function benchHex(i: number): string {
  const n = i + 1;
  const h = (v: number) => v.toString(16).toUpperCase().padStart(2, "0");
  return `7F01${h((n >> 8) & 255)}${h(n & 255)}:${h(BENCH_PORT >> 8)}${h(BENCH_PORT & 255)}`;
}

/** Runs the listener process until stdin closes. */
export async function listenMain(n: number): Promise<void> {
  let accepted = 0;
  const perServer = new Float64Array(n);
  let base = new Float64Array(n);
  const servers: (TCPSocketListener<undefined> | null)[] = [];
  const open = (i: number) => {
    servers[i] = Bun.listen<undefined>({
      hostname: benchAddr(i),
      port: BENCH_PORT,
      socket: {
        open(s) {
          accepted++;
          perServer[i]!++;
          s.end();
        },
        data() {},
        error() {},
      },
    });
  };
  for (let i = 0; i < n; i++) open(i);
  const out = (l: string) => process.stdout.write(`${l}\n`);
  out(`ready ${n}`);
  for await (const line of console) {
    const [cmd, arg] = line.trim().split(" ");
    if (!cmd) continue;
    if (cmd === "count") out(`count ${accepted}`);
    else if (cmd === "close") {
      const i = Number(arg);
      servers[i]?.stop(true);
      servers[i] = null;
      out(`closed ${i} ${Date.now()}`);
    } else if (cmd === "reopen") {
      let k = 0;
      for (let i = 0; i < n; i++) if (!servers[i]) (open(i), k++);
      out(`reopened ${k}`);
    } else if (cmd === "mark") {
      base = perServer.slice();
      out("marked");
    } else if (cmd === "seen") {
      const k = Number(arg);
      let c = 0;
      for (let i = 0; i < n; i++) if (perServer[i]! - base[i]! >= k) c++;
      out(`seen ${c}`);
    } else out(`error unknown command ${line}`);
  }
  process.exit(0);
}
