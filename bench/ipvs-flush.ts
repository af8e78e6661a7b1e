/**
 * The check child's first IPVS flush without the VM (this host has no IPVS): one virtual server with N
 * real servers (default 10,000) applied through IpvsLvsSink and NetlinkIpvsKernel over a real
 * NETLINK_GENERIC socket, each request sent as NLMSG_NOOP with NLM_F_ACK, which the kernel acknowledges
 * (echoing the request) without looking at it: the same sendto/recv/decode and log work per operation as
 * against IPVS, without IPVS. A dump request gets an empty answer, so the first sync finds an empty table.
 * Every operation's line goes through the daemon's Logger to the console (stderr: redirect it).
 *   bun bench/ipvs-flush.ts [--n=10000] [--chunk=0|K] [--hold=S] [--log=1|0] [--fake]
 * --log=0 logs nothing; --fake applies to the in-memory kernel (src/check/ipvs/fake-kernel.ts) instead.
 * --chunk=K applies K operations per loop turn (the check child's LOOP_CHUNKS), 0 all in one turn.
 * Prints (stdout) RSS before the flush, VmHWM after it, RSS S seconds later, and the flush's duration;
 * a sampler outside the process is needed for a timeline. Nothing is asserted.
 */
import { heapStats } from "bun:jsc";
import { readFileSync } from "node:fs";
import { FakeIpvsKernel } from "../src/check/ipvs/fake-kernel.ts";
import { IpvsReconciler } from "../src/check/ipvs/reconciler.ts";
import { IpvsLvsSink } from "../src/check/ipvs/sink.ts";
import { NetlinkIpvsKernel, type NlTransport } from "../src/check/ipvs/netlink-kernel.ts";
import { Logger } from "../src/core/log.ts";
import { localTime } from "../src/ffi/libc.ts";
import { NETLINK_GENERIC, NetlinkSocket } from "../src/ffi/netlink.ts";

const arg = (k: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d);
const N = arg("n", 10000), CHUNK = arg("chunk", 0), HOLD_S = arg("hold", 5), LOG = arg("log", 1), FAKE = process.argv.includes("--fake");

/** Each request goes out as NLMSG_NOOP: the kernel acks it (errno 0) with the request echoed. */
class NoopTransport implements NlTransport {
  constructor(readonly sock: NetlinkSocket) {}
  nextSeq(): number {
    return this.sock.nextSeq();
  }
  request(msg: Uint8Array, seq: number, what: string) {
    const v = new DataView(msg.buffer, msg.byteOffset);
    v.setUint16(4, 1, true);
    v.setUint16(6, v.getUint16(6, true) | 4, true); // a dump request is acked too

    return this.sock.request(msg, seq, what);
  }
  close(): void {
    this.sock.close();
  }
}

function status(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

const log = new Logger({ ident: "Keepalived_healthcheckers", console: LOG === 1, syslog: false, facility: 3, detail: false, localTime });
const kernel = FAKE ? new FakeIpvsKernel() : new NetlinkIpvsKernel(new NoopTransport(new NetlinkSocket(NETLINK_GENERIC, 0, 1 << 20)), 0x20);
const chunks = CHUNK > 0 ? { every: CHUNK, defer: (fn: () => void) => void setTimeout(fn, 0) } : undefined;
const sink = new IpvsLvsSink(new IpvsReconciler(kernel, log), log, undefined, chunks);
const service = { af: 2, protocol: 6, addr: "192.0.2.10", port: 80, sched: "wlc", flags: 0, timeout: 0, netmask: 0xffffffff };
const dests = Array.from({ length: N }, (_, i) => ({
  addr: `127.1.${i >> 8}.${i & 255}`,
  port: 8080,
  fwd: "masq" as const,
  weight: 1,
  uThresh: 0,
  lThresh: 0,
}));
Bun.gc(true);
await Bun.sleep(200);
const rss0 = status("VmRSS"), heap0 = heapStats().heapSize / 2 ** 20;
const t0 = performance.now();
sink.apply([{ ...service, dests }]);
await sink.settled();
const secs = (performance.now() - t0) / 1000;
const hwm = status("VmHWM");
const heapAfter = heapStats().heapSize / 2 ** 20, capAfter = heapStats().heapCapacity / 2 ** 20;
Bun.gc(true);
const heapLive = heapStats().heapSize / 2 ** 20;
await Bun.sleep(HOLD_S * 1000);
console.log(
  `ipvs-flush n=${N} chunk=${CHUNK}: RSS before ${rss0.toFixed(1)} MiB, peak ${hwm.toFixed(1)} MiB (+${(hwm - rss0).toFixed(1)}), ` +
    `${HOLD_S} s later ${status("VmRSS").toFixed(1)} MiB; flush ${secs.toFixed(2)} s; JS heap before ${heap0.toFixed(1)}, ` +
    `right after ${heapAfter.toFixed(1)} (capacity ${capAfter.toFixed(1)}), live after a full collection ${heapLive.toFixed(1)} MiB`,
);
kernel.close();
