/**
 * Project lint: deno lint (rules in deno.json), plus our own rules that no linter knows:
 * bun:ffi is imported only under src/ffi/; no skipped or todo tests; no import cycle in src/
 * (scripts/import-graph.ts); no double cast through `unknown` outside src/ffi/ (type the value, or
 * narrow it with a check: a double cast claims what nothing checks); no function in src/ over 80
 * lines (scripts/function-length.ts).
 */
import { Glob } from "bun";
import { join } from "node:path";
import { functionLengths } from "./function-length.ts";
import { importCycles, importGraph } from "./import-graph.ts";

const root = join(import.meta.dir, "..");
const problems: string[] = [];

for (const f of new Glob("{src,test,scripts,bench}/**/*.ts").scanSync({ cwd: root })) {
  const text = await Bun.file(join(root, f)).text();
  if (/from\s+["']bun:ffi["']|import\(\s*["']bun:ffi["']\s*\)/.test(text) && !f.startsWith("src/ffi/")) {
    problems.push(`${f}: imports bun:ffi outside src/ffi/`);
  }
  if (!f.startsWith("src/ffi/") && /\bas\s+unknown\s+as\b/.test(text)) {
    problems.push(`${f}: a double cast through unknown outside src/ffi/`);
  }
  if (f.startsWith("test/") && /\b(test|it|describe)\.(skip|todo)\s*\(|\bskipIf\s*\(/.test(text)) {
    problems.push(`${f}: skipped or todo test`);
  }
}

const MAX_FUNCTION_LINES = 80;
for (const f of functionLengths(root).filter((f) => f.lines > MAX_FUNCTION_LINES)) {
  problems.push(`${f.file}:${f.line}: ${f.name} is ${f.lines} lines (over ${MAX_FUNCTION_LINES}): split it where a reader would name the parts`);
}
for (const c of importCycles(importGraph(root))) problems.push(`import cycle: ${c.join(" <-> ")}`);

const deno = Bun.spawnSync([join(root, "node_modules/.bin/deno"), "lint", "--quiet"], { cwd: root, stdout: "pipe", stderr: "pipe" });
if (deno.exitCode !== 0) problems.push(`deno lint:\n${deno.stdout.toString()}${deno.stderr.toString()}`);

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("lint ok");
