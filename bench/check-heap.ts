/**
 * Where the check child's memory goes with N real servers (default 10,000) of TCP_CHECK, without the VM:
 * builds the child's state step by step in this process and prints, after a full collection at each step,
 * RSS, the JavaScript heap and the live objects by type (bun:jsc heapStats), as the difference from
 * the step before:
 *   parse    keepalived.conf text -> loadConfig (what the parent does)
 *   slice    sliceFor + JSON round trip, the parent's model dropped (what the child is handed over IPC)
 *   runtime  CheckRuntime.apply: VsRunners, CheckerRunners, plans, timers, topology, desired table,
 *            IPVS reconciler model (over the in-memory fake kernel)
 *   run      (--run=S) the checkers running for S seconds on the real scheduler against a listener
 *            in this process (real connects to 127.1.x.y: run as root inside a fresh network namespace,
 *            e.g. `ip netns add hrs-heap; ip netns exec hrs-heap bun bench/check-heap.ts --run=20`)
 *   bun bench/check-heap.ts [--n=10000] [--run=0] [--types=15]
 * Nothing is asserted; the figures go in docs/design.md (Footprint: check child at 10,000 real servers).
 */
import { heapStats } from "bun:jsc";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type KeepalivedConfig, loadConfig, sliceFor } from "../src/config/index.ts";
import { FakeIpvsKernel } from "../src/check/ipvs/fake-kernel.ts";
import { IpvsReconciler } from "../src/check/ipvs/reconciler.ts";
import { IpvsLvsSink } from "../src/check/ipvs/sink.ts";
import { CheckRuntime } from "../src/check/runtime.ts";
import { Logger } from "../src/core/log.ts";
import { RealScheduler } from "../src/core/scheduler.ts";
import { Reactor } from "../src/ffi/reactor.ts";

const arg = (k: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d);
const N = arg("n", 10000), RUN_S = arg("run", 0), TYPES = arg("types", 15);
const SNAPSHOT = process.argv.includes("--snapshot");

/** The parts of a JavaScriptCore heap snapshot read here. */
interface JscSnapshot {
  nodes: number[];
  nodeClassNames: string[];
  edges: number[];
  edgeNames: string[];
  edgeTypes: string[];
}

function isJscSnapshot(v: unknown): v is JscSnapshot {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return ["nodes", "nodeClassNames", "edges", "edgeNames", "edgeTypes"].every((k) => Array.isArray(o[k]));
}

/** Bytes by class (and strings by the property or variable that holds them) in a JSC heap snapshot. */
function heapBytes(): { byClass: Map<string, number>; stringsBy: Map<string, number> } {
  const raw: unknown = Bun.generateHeapSnapshot();
  if (!isJscSnapshot(raw)) throw new Error("heap snapshot: not JavaScriptCore's shape (nodes, edges, class/edge names)");
  const h = raw;
  const byClass = new Map<string, number>(), size = new Map<number, number>(), cls = new Map<number, string>();
  for (let i = 0; i < h.nodes.length; i += 4) {
    const c = h.nodeClassNames[h.nodes[i + 2]!]!;
    byClass.set(c, (byClass.get(c) ?? 0) + h.nodes[i + 1]!);
    size.set(h.nodes[i]!, h.nodes[i + 1]!);
    cls.set(h.nodes[i]!, c);
  }
  // A string's holder: the class and property (or variable) of its first incoming edge; the pieces of a
  // rope (a concatenation not yet flattened) are charged to the rope's holder.
  const holder = new Map<number, { from: number; name: string }>();
  for (let i = 0; i < h.edges.length; i += 4) {
    const to = h.edges[i + 1]!;
    if (cls.get(to) !== "string" || holder.has(to)) continue;
    const t = h.edgeTypes[h.edges[i + 2]!];
    holder.set(to, { from: h.edges[i]!, name: t === "Property" || t === "Variable" ? h.edgeNames[h.edges[i + 3]!]! : `(${t})` });
  }
  const stringsBy = new Map<string, number>();
  for (const [id, hd] of holder) {
    let at = hd, rope = "";
    for (let d = 0; d < 8 && cls.get(at.from) === "string" && holder.has(at.from); d++) {
      at = holder.get(at.from)!;
      rope = " (rope pieces)";
    }
    const k = `${cls.get(at.from) ?? "?"}.${at.name}${rope}`;
    stringsBy.set(k, (stringsBy.get(k) ?? 0) + size.get(id)!);
  }
  return { byClass, stringsBy };
}
const top = (m: Map<string, number>, before?: Map<string, number>) =>
  [...m].map(([k, v]) => [k, v - (before?.get(k) ?? 0)] as const).filter(([, v]) => v !== 0)
    .sort((a, b) => b[1] - a[1]).slice(0, TYPES).map(([k, v]) => `${k} ${(v / 1024).toFixed(0)} KiB`).join(", ");

const addr = (i: number) => `127.1.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
function configText(n: number): string {
  const out = ["global_defs {", "    router_id heap", "}", "virtual_server 192.0.2.10 80 {"];
  out.push("    delay_loop 1", "    lb_algo rr", "    lb_kind NAT", "    protocol TCP");
  for (let i = 0; i < n; i++) {
    out.push(`    real_server ${addr(i)} 8080 {`, "        weight 1", "        TCP_CHECK {", "            connect_timeout 1", "        }", "    }");
  }
  out.push("}", "");
  return out.join("\n");
}

interface Snap {
  rss: number;
  heap: number;
  objects: number;
  types: Record<string, number>;
}
function snap(): Snap {
  Bun.gc(true);
  Bun.gc(true);
  const h = heapStats();
  return { rss: process.memoryUsage().rss, heap: h.heapSize, objects: h.objectCount, types: { ...h.objectTypeCounts } };
}
const MiB = (b: number) => (b / 1048576).toFixed(1);
/** Starts the next step's peak at the RSS now (proc(5), /proc/PID/clear_refs: 5). */
const resetPeak = () => writeFileSync("/proc/self/clear_refs", "5");
/** The peak RSS since resetPeak (VmHWM), bytes: what a step's garbage pushed it to before a collection. */
const peakRss = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;
let prev = snap();
const first = prev;
function step(name: string): void {
  const s = snap();
  const diff = Object.entries(s.types).map(([t, c]) => [t, c - (prev.types[t] ?? 0)] as const)
    .filter(([, d]) => d !== 0).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, TYPES);
  console.log(
    `${name.padEnd(8)} RSS ${MiB(s.rss)} MiB (${s.rss >= prev.rss ? "+" : ""}${MiB(s.rss - prev.rss)}), step's peak ${MiB(peakRss())} MiB, heap ${
      MiB(s.heap)
    } MiB (${s.heap >= prev.heap ? "+" : ""}${MiB(s.heap - prev.heap)}), objects ${s.objects} (${s.objects - prev.objects >= 0 ? "+" : ""}${
      s.objects - prev.objects
    }; ${((s.objects - prev.objects) / N).toFixed(1)} per RS)`,
  );
  console.log(`         ${diff.map(([t, d]) => `${t} ${d > 0 ? "+" : ""}${d}`).join(", ")}`);
  prev = s;
  resetPeak();
}

const dir = mkdtempSync("/tmp/hrs-heap-");
const path = join(dir, "keepalived.conf");
writeFileSync(path, configText(N));
step("start");
let loaded: { config: KeepalivedConfig } | undefined = loadConfig(path, { configId: "heap" });
step("parse");
let json: string | undefined = JSON.stringify({ type: "config", slice: sliceFor(loaded.config, "check") });
console.log(`         slice JSON: ${MiB(json.length)} MiB`);
loaded = undefined;
const slice = (JSON.parse(json) as { slice: KeepalivedConfig }).slice;
json = undefined;
step("slice");
const before = SNAPSHOT ? heapBytes() : undefined;

const log = new Logger({ ident: "heap", console: false, syslog: false, facility: 3, detail: false });
const sched = new RealScheduler(20);
const reactor = new Reactor(0);
// The in-memory kernel keeps its table (as the kernel does, outside our heap) and a list of the writes
// it was asked for, which is emptied after each step: the netlink kernel keeps nothing.
const kernel = new FakeIpvsKernel();
const rt = new CheckRuntime({
  log,
  sched,
  watcher: reactor,
  lvs: new IpvsLvsSink(new IpvsReconciler(kernel), log),
  keepIpvsOnStop: false,
});
rt.apply(slice, false);
kernel.calls.length = 0;
step("runtime");
if (before) {
  const after = heapBytes();
  console.log(`         bytes by class: ${top(after.byClass, before.byClass)}`);
  console.log(`         string bytes by holder: ${top(after.stringsBy, before.stringsBy)}`);
}

if (RUN_S > 0) {
  // The real servers in their own process (test/vm/guest-listen.ts, as in the VM bench): 10,000 listening
  // sockets and the accepted ones would not fit this process's descriptor limit beside the checkers'.
  const listener = Bun.spawn([process.execPath, join(import.meta.dir, "..", "test", "vm", "guest-bench.ts"), "listen", String(N)], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = (listener.stdout as ReadableStream<Uint8Array>).getReader();
  await reader.read(); // "ready N"
  step("listen");
  for (let t = 0; t < RUN_S; t += 5) {
    await Bun.sleep(5000);
    const up = rt.table[0]?.dests.length ?? 0;
    kernel.calls.length = 0;
    step(`run ${t + 5}s`);
    console.log(`         ${up} real servers in the desired table`);
  }
  listener.kill();
}
rt.stop();
rmSync(dir, { recursive: true, force: true });
console.log(`total    RSS +${MiB(prev.rss - first.rss)} MiB, heap +${MiB(prev.heap - first.heap)} MiB over the start`);
process.exit(0);
