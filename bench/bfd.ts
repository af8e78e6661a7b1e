/**
 * BFD benchmark, one run, three implementations side by side as the system under test (SUT): Debian's
 * keepalived 2.2.7, FRR bfdd 8.4 and ours. The peer is always FRR bfdd (min_rx/min_tx 10 ms, mult 3).
 * - detection: one session at 10 ms × 3 (RFC 5880 §6.8.4: 30 ms). Each trial freezes the peer (SIGSTOP)
 *   and measures, from a packet capture on the SUT's link (kernel timestamps), the time from the last packet
 *   the peer sent to the SUT's first Down packet (diag 1, Control Detection Time Expired); then SIGCONT and
 *   wait for Up. Median and p99 over BENCH_BFD_TRIALS (default 50) trials.
 * - load: 100 sessions at 10 ms; once all are Up, CPU (bench/cpu.ts: the SUT's process tree in its own cgroup) over 10 s and RSS.
 * Namespaces kbr-ba (SUT) and kbr-bb (peer); BENCH_NS replaces the kbr prefix. Run: `bun bench/bfd.ts`. Nothing is asserted.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type BfdControlPacket, parseBfdControl } from "../src/proto/bfd.ts";
import { Netns, vethPair, waitFor } from "../test/support/netns.ts";
import { type FrrBfdd, type FrrBfdPeer, startFrrBfdd } from "../test/support/bfd/frr.ts";
import { renderConf } from "../test/support/bfd/daemon.ts";
import { ensureBinary } from "../test/support/binary.ts";
import { cpuMeter } from "./cpu.ts";
import { median, processTree, quantile, rssKiB } from "./lib.ts";

// Session i runs between sutAddr(i) and peerAddr(i): FRR without zebra cannot tell apart sessions that
// share a peer address, so every session has its own address on both sides.
const sutAddr = (i: number) => `192.0.2.${10 + i}`;
const peerAddr = (i: number) => `192.0.2.${130 + i}`;
const TRIALS = Number(process.env.BENCH_BFD_TRIALS ?? 50);
const SESSIONS = 100;
const CPU_WINDOW_MS = 10_000;
const NS = process.env.BENCH_NS ?? "kbr";

type Kind = "keepalived" | "frr" | "ours";

/** A running system under test. */
interface Sut {
  pid: number;
  stop(): Promise<void>;
}

/** One captured BFD packet. */
interface Seen {
  tsMs: number;
  src: string;
  packet: BfdControlPacket;
}

/** Reads `tcpdump -w -` output (Ethernet, IPv4, UDP) and calls `on` for every BFD Control packet. */
async function readPcap(stream: ReadableStream<Uint8Array>, on: (s: Seen) => void): Promise<void> {
  let buf = new Uint8Array(0);
  let nanos = false;
  let headerDone = false;
  for await (const chunk of stream) {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    let off = 0;
    const dv = new DataView(buf.buffer);
    if (!headerDone && buf.length >= 24) {
      nanos = dv.getUint32(0, true) === 0xa1b23c4d;
      headerDone = true;
      off = 24;
    }
    while (headerDone && off + 16 <= buf.length) {
      const len = dv.getUint32(off + 8, true);
      if (off + 16 + len > buf.length) break;
      const tsMs = dv.getUint32(off, true) * 1000 + dv.getUint32(off + 4, true) / (nanos ? 1e6 : 1e3);
      const frame = buf.subarray(off + 16, off + 16 + len);
      off += 16 + len;
      const ihl = ((frame[14] ?? 0) & 0x0f) * 4;
      const src = `${frame[26]}.${frame[27]}.${frame[28]}.${frame[29]}`;
      const r = parseBfdControl(frame.subarray(14 + ihl + 8));
      if (r.ok) on({ tsMs, src, packet: r.value });
    }
    buf = buf.slice(off);
  }
}

function peersOfPeer(n: number): FrrBfdPeer[] {
  return Array.from({ length: n }, (_, i) => ({
    peer: sutAddr(i),
    localAddress: peerAddr(i),
    receiveIntervalMs: 10,
    transmitIntervalMs: 10,
    detectMultiplier: 3,
  }));
}

async function startSut(kind: Kind, ns: Netns, dir: string, n: number, ours: string): Promise<Sut> {
  if (kind === "frr") {
    const f = await startFrrBfdd({
      namespace: ns.name,
      dir: join(dir, "sut-frr"),
      peers: Array.from({ length: n }, (_, i) => ({
        peer: peerAddr(i),
        localAddress: sutAddr(i),
        receiveIntervalMs: 10,
        transmitIntervalMs: 10,
        detectMultiplier: 3,
      })),
    });
    return { pid: f.pid, stop: () => f.stop() };
  }
  const conf = join(dir, `${kind}.conf`);
  writeFileSync(
    conf,
    renderConf(Array.from({ length: n }, (_, i) => ({
      name: `s${i}`,
      neighbor: peerAddr(i),
      source: sutAddr(i),
      minRxMs: 10,
      minTxMs: 10,
      multiplier: 3,
    }))),
  );
  const bin = kind === "ours" ? ours : "/usr/sbin/keepalived";
  const p: Subprocess = ns.spawn([
    bin,
    "-n",
    "-G",
    "-f",
    conf,
    "-p",
    join(dir, "k.pid"),
    "-r",
    join(dir, "v.pid"),
    "-c",
    join(dir, "c.pid"),
    "-b",
    join(dir, "b.pid"),
  ], { env: { TMPDIR: dir } });
  return {
    pid: p.pid,
    stop: async () => {
      p.kill("SIGTERM");
      await p.exited;
    },
  };
}

/** Detection-time trials against one peer session; returns milliseconds per trial. */
async function detection(peer: FrrBfdd, seen: Seen[], missed: { n: number }): Promise<number[]> {
  const out: number[] = [];
  const lastState = (src: string) => seen.findLast((s) => s.src === src)?.packet.state;
  for (let t = 0; t < TRIALS; t++) {
    await waitFor(
      "both sides Up",
      () => lastState(sutAddr(0)) === "Up" && lastState(peerAddr(0)) === "Up",
      20_000,
      5,
    );
    await Bun.sleep(200);
    const from = seen.length;
    process.kill(peer.pid, "SIGSTOP");
    try {
      const down = await waitFor(
        "SUT Down packet",
        () => seen.slice(from).find((s) => s.src === sutAddr(0) && s.packet.state === "Down" && s.packet.diag === 1),
        5_000,
        2,
      );
      const lastPeer = seen.findLast((s) => s.src === peerAddr(0) && s.tsMs <= down.tsMs);
      if (lastPeer) out.push(down.tsMs - lastPeer.tsMs);
    } catch {
      const tail = seen.slice(from).slice(-4).map((s) => `${s.src} ${s.packet.state}/${s.packet.diag}`);
      console.error(`bench bfd: trial ${t}: no Down packet within 5 s (last: ${tail.join(", ")})`);
      missed.n++;
    } finally {
      process.kill(peer.pid, "SIGCONT");
    }
  }
  return out;
}

/** CPU % and RSS of the SUT with `SESSIONS` sessions Up. */
async function load(sut: Sut, peer: FrrBfdd): Promise<{ cpuPct: number; rssMiB: number }> {
  let up = 0;
  await waitFor(
    `${SESSIONS} sessions up`,
    async () => {
      const ps = await peer.peers();
      up = ps.filter((p) => p.status === "up").length;
      return ps.length === SESSIONS && up === SESSIONS;
    },
    60_000,
    500,
  ).catch((e) => {
    throw new Error(`${(e as Error).message} (${up} up)`);
  });
  await Bun.sleep(1000);
  const meter = cpuMeter(sut.pid, "bfd"), t0 = performance.now();
  await Bun.sleep(CPU_WINDOW_MS);
  const cpuPct = (meter.ns() / 1e6 / (performance.now() - t0)) * 100;
  meter.close();
  return { cpuPct, rssMiB: rssKiB(processTree(sut.pid)) / 1024 };
}

async function scenario(
  kind: Kind,
  ours: string,
): Promise<{ det: number[]; missed: number; cpuPct: number; rssMiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), `${NS}-bench-${kind}-`));
  chmodSync(dir, 0o755);
  const a = new Netns(`${NS}-ba`), b = new Netns(`${NS}-bb`);
  const started: Sut[] = []; // bfdd is not a child Netns knows about: stop everything here, also on errors
  const track = <T extends Sut>(p: T): T => (started.push(p), p);
  try {
    vethPair(a, "a0", b, "b0");
    for (let i = 0; i < SESSIONS; i++) {
      a.ip("addr", "add", `${sutAddr(i)}/24`, "dev", "a0");
      b.ip("addr", "add", `${peerAddr(i)}/24`, "dev", "b0");
    }
    const cap = a.spawn(["tcpdump", "-i", "a0", "-U", "-n", "-w", "-", "udp", "port", "3784"], {
      stdout: "pipe",
    });
    const seen: Seen[] = [];
    void readPcap(cap.stdout as ReadableStream<Uint8Array>, (s) => seen.push(s));
    await Bun.sleep(500);
    const peer1 = track(
      await startFrrBfdd({ namespace: b.name, dir: join(dir, "peer1"), peers: peersOfPeer(1) }),
    );
    const sut1 = track(await startSut(kind, a, dir, 1, ours));
    const missed = { n: 0 };
    const det = await detection(peer1, seen, missed);
    await sut1.stop();
    await peer1.stop();
    cap.kill("SIGTERM");
    const peer = track(
      await startFrrBfdd({ namespace: b.name, dir: join(dir, "peer100"), peers: peersOfPeer(SESSIONS) }),
    );
    const sut = track(await startSut(kind, a, dir, SESSIONS, ours));
    const l = await load(sut, peer);
    return { det, missed: missed.n, ...l };
  } finally {
    for (const p of started.reverse()) {
      try {
        process.kill(p.pid, "SIGCONT"); // a frozen process cannot act on SIGTERM
      } catch { /* already gone */ }
      await p.stop();
    }
    await a.destroy();
    await b.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ours = process.env.BENCH_BFD_OURS || await ensureBinary();
const kinds = (process.env.BENCH_BFD_KINDS?.split(",") ?? ["keepalived", "frr", "ours"]) as Kind[];
const res: Record<string, Awaited<ReturnType<typeof scenario>>> = {};
for (const k of kinds) {
  res[k] = await scenario(k, ours);
  console.error(`bench bfd: ${k} done (${res[k]!.det.length} detection trials)`);
}
const f = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 2) : "n/a");
const rows: [string, (k: Kind) => number, string][] = [
  [`detection 10 ms × 3, median (${TRIALS} trials)`, (k) => median(res[k]!.det), "ms"],
  [`detection 10 ms × 3, p99 (${TRIALS} trials)`, (k) => quantile(res[k]!.det, 0.99), "ms"],
  [`detection 10 ms × 3, max`, (k) => Math.max(...res[k]!.det), "ms"],
  [`detection trials without a Down packet in 5 s`, (k) => res[k]!.missed, "count"],
  [`CPU, ${SESSIONS} sessions at 10 ms`, (k) => res[k]!.cpuPct, "% of one core"],
  [`RSS, ${SESSIONS} sessions`, (k) => res[k]!.rssMiB, "MiB"],
];
console.log("| BFD metric | keepalived 2.2.7 | FRR bfdd 8.4 | ours | ours / FRR |");
console.log("|---|---|---|---|---|");
for (const [name, measured, unit] of rows) {
  const get = (k: Kind) => (res[k] ? measured(k) : NaN);
  console.log(
    `| ${name} (${unit}) | ${f(get("keepalived"))} | ${f(get("frr"))} | ${f(get("ours"))} | ${f(get("ours") / get("frr"))}× |`,
  );
}
process.exit(0);
