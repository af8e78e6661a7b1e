/**
 * The import graph of src/ and its cycles, for scripts/lint.ts. Edges are the relative specifiers of
 * static `import` / `export ... from` statements and of `import("...")` calls; `import type` counts
 * too (a type-only cycle still means two modules that cannot be read apart).
 */
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const IMPORT = /(?:\bimport|\bexport)\s[^;]*?\sfrom\s*["'](\.[^"']+)["']|\bimport\s*\(\s*["'](\.[^"']+)["']\s*\)|\bimport\s*["'](\.[^"']+)["']/g;

/** Module -> the modules it imports, paths relative to `root` (e.g. "src/config/model.ts"). */
export function importGraph(root: string, under = "src"): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of new Glob(`${under}/**/*.ts`).scanSync({ cwd: root })) {
    const text = readFileSync(join(root, f), "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec) deps.push(normalize(join(dirname(f), spec)));
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Every strongly connected set of two or more modules (or one importing itself), each sorted. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative enough for a few hundred modules.
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) !== idx.get(v)) return;
    const scc: string[] = [];
    for (;;) {
      const w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

if (import.meta.main) {
  const cycles = importCycles(importGraph(join(import.meta.dir, "..")));
  for (const c of cycles) console.log(c.join(" <-> "));
  console.log(`${cycles.length} import cycle(s)`);
}
