/**
 * A debugging aid for memory growth (docs/design.md, Footprint): with KA_HEAP_DEBUG=DIR in the
 * environment, SIGVTALRM makes a process collect fully and write what its heap holds to
 * DIR/ROLE-PID-N.json (RSS, heap size, objects by type, as bun:jsc heapStats reports them); with
 * KA_HEAP_DEBUG_SNAPSHOT=1 also a JavaScriptCore heap snapshot, DIR/ROLE-PID-N.heapsnapshot. Without
 * the variable nothing is installed. KA_HEAP_DEBUG_MIMALLOC=1 also prints mimalloc's statistics (size classes, pages,
 * arenas: peak and current) on the process's console. KA_HEAP_DEBUG_NOGC=1 skips the two full collections, so a series of
 * dumps shows the heap and mimalloc's figures as the process's own schedule leaves them (a collection per dump flattens what
 * is measured). bench/footprint-soak.ts uses it (BENCH_SOAK_HEAP).
 */
import { heapStats, memoryUsage } from "bun:jsc";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Installs the SIGVTALRM handler when KA_HEAP_DEBUG names a directory. */
export function installHeapDebug(role: string): void {
  const dir = process.env.KA_HEAP_DEBUG;
  if (!dir) return;
  let n = 0;
  const collect = process.env.KA_HEAP_DEBUG_NOGC !== "1";
  process.on("SIGVTALRM", () => {
    n++;
    if (collect) {
      Bun.gc(true);
      Bun.gc(true);
    }
    const h = heapStats();
    const out = {
      role,
      pid: process.pid,
      atMs: Date.now(),
      memory: process.memoryUsage(),
      /** mimalloc's committed bytes now and at most (bun:jsc memoryUsage). */
      process: memoryUsage(),
      heapSize: h.heapSize,
      heapCapacity: h.heapCapacity,
      extraMemorySize: h.extraMemorySize,
      objectCount: h.objectCount,
      protectedObjectCount: h.protectedObjectCount,
      objectTypeCounts: h.objectTypeCounts,
      protectedObjectTypeCounts: h.protectedObjectTypeCounts,
    };
    const base = join(dir, `${role}-${process.pid}-${n}`);
    try {
      writeFileSync(`${base}.json`, JSON.stringify(out));
      if (process.env.KA_HEAP_DEBUG_SNAPSHOT === "1") writeFileSync(`${base}.heapsnapshot`, JSON.stringify(Bun.generateHeapSnapshot()));
      if (process.env.KA_HEAP_DEBUG_MIMALLOC === "1") Bun.unsafe.mimallocDump();
    } catch (e) {
      process.stderr.write(`heap debug: ${(e as Error).message}\n`);
    }
  });
}
