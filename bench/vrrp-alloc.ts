/**
 * What the VRRP child allocates per advert: `bun bench/vrrp-alloc.ts [binary ...]` runs, for each binary
 * in turn (alternated BENCH_ROUNDS times, default 1), a MASTER of BENCH_N (default 100) instances at
 * advert_int 0.1 in namespace A and a BACKUP of the same instances in B (joined by a veth pair, `-n -G`),
 * settles BENCH_SETTLE_S (default 20 s), then over a BENCH_WINDOW_S (default 60 s) window reads:
 *  - the allocation rate of each VRRP child's JavaScript heap, from JavaScriptCore's own GC log
 *    (`BUN_JSC_logGC=1`: each collection prints the heap size when it starts and what it kept), each
 *    line stamped when it arrives here: bytes a second over the gaps between collections (rateOf),
 *    divided by the adverts a second (BENCH_N × 10) sent (MASTER) or received (BACKUP);
 *  - each VRRP child's CPU (utime + stime from /proc/PID/stat, clock ticks) and anonymous memory
 *    (/proc/PID/smaps_rollup) at the end of the window.
 * BENCH_EDEN_BYTES (below) sets how often the children collect; BENCH_NS_PREFIX (default k1a) prefixes the namespaces. The GC log costs a few lines per collection;
 * CPU for comparisons with keepalived is bench/vrrp-idle.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { collectOutput, Netns, vethPair, waitFor } from "../test/support/netns.ts";
import { parseSmapsRollup } from "./footprint-lib.ts";
import { median, processTree, vrrpConf } from "./lib.ts";

const N = Number(process.env.BENCH_N ?? 100);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 20);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const PREFIX = process.env.BENCH_NS_PREFIX ?? "k1a";
/**
 * JavaScriptCore's allowance between collections (BUN_JSC_largeHeapSize; its default here is 8 MiB), set
 * lower so that a child allocating a few hundred KiB a second still collects several times a window.
 * BENCH_EDEN_BYTES=0 keeps the runtime's default (and the child's memory as shipped).
 */
const EDEN = Number(process.env.BENCH_EDEN_BYTES ?? 1 << 20);

const conf = (prio: number): string => vrrpConf(N, prio, 3, "0.1");

/** A line of a daemon's stderr and when it arrived (performance.now()). */
interface Line {
  at: number;
  text: string;
}

/** Collects `p`'s stderr as stamped lines. */
function stampLines(p: Subprocess): Line[] {
  const out: Line[] = [];
  let part = "";
  collectOutput(p, (t) => {
    const at = performance.now();
    const lines = (part + t).split("\n");
    part = lines.pop()!;
    for (const text of lines) out.push({ at, text });
  });
  return out;
}

/** One collection in the log: when its START line arrived, the heap size then and what it kept, KiB. */
export interface Collection {
  at: number;
  eden: boolean;
  startKiB: number;
  keptKiB: number;
}

/** The collections of each heap (its address in the log), in order; a collection's lines may span several. */
export function collectionsByHeap(lines: readonly Line[]): Map<string, Collection[]> {
  const out = new Map<string, Collection[]>();
  const open = new Map<string, Collection>();
  for (const l of lines) {
    const heap = /^\[GC<(0x[0-9a-f]+)>: /.exec(l.text)?.[1];
    if (!heap) continue;
    const st = /START \S+ (\d+)kb => (\w+)Collection/.exec(l.text);
    if (st) open.set(heap, { at: l.at, eden: st[2] === "Eden", startKiB: Number(st[1]), keptKiB: NaN });
    const end = / => (\d+)kb, p=.* END\]/.exec(l.text);
    const c = open.get(heap);
    if (end && c) {
      c.keptKiB = Number(end[1]);
      (out.get(heap) ?? out.set(heap, []).get(heap)!).push(c);
      open.delete(heap);
    }
  }
  return out;
}

/**
 * Bytes a second allocated by one heap: over each gap between two collections whose first was an eden
 * collection, the second's start size minus what the first kept (after a full collection the next start
 * size also counts pages the full one left unswept, so those gaps are left out). `gaps`: how many counted.
 */
export function rateOf(cs: readonly Collection[]): { perS: number; gaps: number } {
  let kib = 0, ms = 0, gaps = 0;
  for (let i = 1; i < cs.length; i++) {
    const p = cs[i - 1]!, c = cs[i]!;
    if (!p.eden) continue;
    kib += Math.max(0, c.startKiB - p.keptKiB);
    ms += c.at - p.at;
    gaps++;
  }
  return { perS: ms > 0 ? (kib * 1024 * 1000) / ms : NaN, gaps };
}

function ticks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

function anonKiB(pid: number): number {
  return parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8")).anon;
}

/** The VRRP child of a daemon's tree (`--role=vrrp` on its command line). */
function vrrpChild(root: number): number {
  for (const p of processTree(root)) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes("--role=vrrp")) return p;
    } catch { /* gone */ }
  }
  throw new Error(`no VRRP child under ${root}`);
}

interface Side {
  bytesPerAdvert: number;
  /** Gaps between collections the rate was measured over (rateOf). */
  gaps: number;
  gcs: number;
  cpuMs: number;
  anonMiB: number;
}

async function once(bin: string, tag: string): Promise<{ master: Side; backup: Side }> {
  const dir = mkdtempSync(`/tmp/${PREFIX}-`);
  const a = new Netns(`${PREFIX}a${tag}`), b = new Netns(`${PREFIX}b${tag}`);
  try {
    vethPair(a, "veth0", b, "veth0");
    a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
    const env: Record<string, string> = { BUN_JSC_logGC: "1" };
    if (EDEN > 0) env.BUN_JSC_largeHeapSize = String(EDEN);
    const start = (ns: Netns, name: string, prio: number) => {
      const f = (x: string) => join(dir, `${name}${x}`);
      writeFileSync(f(".conf"), conf(prio));
      const p = ns.spawn(["sh", "-c", `exec ${bin} -n -G -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")} -c ${f("c.pid")} -b ${f("b.pid")}`], {
        env,
        stderr: "pipe",
      });
      return { p, lines: stampLines(p) };
    };
    const { p: pa, lines: la } = start(a, "a", 150);
    const vips = (ns: Netns) => (ns.ip("-4", "addr", "show", "dev", "veth0").match(/inet 192\.0\.2\.1\d\d\//g) ?? []).length;
    await waitFor("master of all", () => vips(a) >= N, 60_000);
    const { p: pb, lines: lb } = start(b, "b", 100);
    await Bun.sleep(SETTLE_S * 1000);
    if (vips(b) > 0) throw new Error(`backup holds ${vips(b)} VIPs`);
    const kids = [vrrpChild(pa.pid), vrrpChild(pb.pid)];
    const logs = [la, lb];
    const off = logs.map((l) => l.length);
    const t0 = kids.map(ticks), w0 = performance.now();
    await Bun.sleep(WINDOW_S * 1000);
    const t1 = kids.map(ticks), w1 = performance.now();
    const perS = N * 10;
    const side = (i: number): Side => {
      // The VRRP child's heap is the busiest one in the log (the parent's shares it).
      const heaps = [...collectionsByHeap(logs[i]!.slice(off[i]!)).values()].sort((x, y) => y.length - x.length);
      const r = rateOf(heaps[0] ?? []);
      // No gap: less than one allowance was allocated in the window.
      const bytesPerAdvert = r.gaps ? r.perS / perS : (EDEN || 8 << 20) / ((w1 - w0) / 1000) / perS;
      return { bytesPerAdvert, gaps: r.gaps, gcs: heaps[0]?.length ?? 0, cpuMs: (t1[i]! - t0[i]!) * 10, anonMiB: anonKiB(kids[i]!) / 1024 };
    };
    return { master: side(0), backup: side(1) };
  } finally {
    await a.destroy();
    await b.destroy();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

const bins = process.argv.slice(2).length ? process.argv.slice(2) : [join(import.meta.dir, "../dist/keepalived")];
const results = new Map<string, { master: Side; backup: Side }[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, bin] of bins.entries()) {
    const s = await once(bin, `${i}${process.pid % 100}`);
    (results.get(bin) ?? results.set(bin, []).get(bin)!).push(s);
    const f = (x: Side) =>
      `${x.gaps ? "" : "< "}${x.bytesPerAdvert.toFixed(0)} B/advert (${x.gcs} GCs, ${x.gaps} gaps), cpu ${x.cpuMs} ms/${WINDOW_S}s, anon ${
        x.anonMiB.toFixed(1)
      } MiB`;
    console.log(`round ${r + 1} ${bin}: master ${f(s.master)}; backup ${f(s.backup)}`);
  }
}
for (const [bin, list] of results) {
  const m = (pick: (s: { master: Side; backup: Side }) => number) => median(list.map(pick)).toFixed(1);
  console.log(
    `${bin} (median of ${list.length}): master ${m((s) => s.master.bytesPerAdvert)} B/advert, cpu ${m((s) => s.master.cpuMs)} ms, anon ${
      m((s) => s.master.anonMiB)
    } MiB; backup ${m((s) => s.backup.bytesPerAdvert)} B/advert, cpu ${m((s) => s.backup.cpuMs)} ms, anon ${m((s) => s.backup.anonMiB)} MiB`,
  );
}
