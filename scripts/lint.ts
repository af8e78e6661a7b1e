/**
 * Project lint: deno lint (rules in deno.json), `deno fmt --check` (options in deno.json), plus our own
 * rules that no linter knows: bun:ffi is imported only under src/ffi/; no skipped or todo tests; test
 * files live by privilege (test/unit, test/component, test/netns, test/vm; helpers in test/support,
 * data in test/fixtures), a unit test starts no process and touches no namespace, and tests draw random
 * numbers only from test/support/random.ts; no import cycle in src/ (scripts/import-graph.ts); no double
 * cast through `unknown` outside src/ffi/ (type the value, or narrow it with a check: a double cast
 * claims what nothing checks); no function in src/ over 80 lines (scripts/function-length.ts); no file in
 * src/ over 450 lines.
 */
import { Glob } from "bun";
import { join } from "node:path";
import { functionLengths } from "./function-length.ts";
import { importCycles, importGraph } from "./import-graph.ts";

const root = join(import.meta.dir, "..");
const problems: string[] = [];

/** Where a test file may live; the tiers are described in DEVELOPERS.md ("Tests"). */
const TEST_HOME = /^test\/(unit|component|netns|vm)\//;
/** Where a test helper (not a *.test.ts) may live. */
const HELPER_HOME = /^test\/(support|fixtures|vm)\//;
/** What a unit test must not use: processes, namespaces, the compiled binary. */
const UNIT_FORBIDDEN = /\bBun\.spawn(Sync)?\s*\(|node:child_process|support\/netns\.ts|support\/binary\.ts/;

function testLayout(f: string, text: string): void {
  if (!f.startsWith("test/")) return;
  if (f.endsWith(".test.ts") && !TEST_HOME.test(f)) {
    problems.push(`${f}: a test file belongs in test/unit, test/component, test/netns or test/vm (DEVELOPERS.md, Tests)`);
  }
  if (!f.endsWith(".test.ts") && !HELPER_HOME.test(f)) {
    problems.push(`${f}: a test helper belongs in test/support (or test/fixtures for data)`);
  }
  if (/\bMath\.random\s*\(/.test(text)) problems.push(`${f}: Math.random in a test: use test/support/random.ts (seeded, replayable)`);
  if (f.startsWith("test/unit/") && UNIT_FORBIDDEN.test(text)) {
    problems.push(`${f}: a unit test starts no process and creates no namespace: move it to test/component or test/netns`);
  }
}

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
  testLayout(f, text);
}

const MAX_FILE_LINES = 450;
for (const f of new Glob("src/**/*.ts").scanSync(root)) {
  const n = (await Bun.file(join(root, f)).text()).split("\n").length - 1;
  if (n > MAX_FILE_LINES) problems.push(`${f}: ${n} lines (over ${MAX_FILE_LINES}): split it by concern`);
}
const MAX_FUNCTION_LINES = 80;
for (const f of functionLengths(root).filter((f) => f.lines > MAX_FUNCTION_LINES)) {
  problems.push(`${f.file}:${f.line}: ${f.name} is ${f.lines} lines (over ${MAX_FUNCTION_LINES}): split it where a reader would name the parts`);
}
for (const c of importCycles(importGraph(root))) problems.push(`import cycle: ${c.join(" <-> ")}`);

const denoBin = join(root, "node_modules/.bin/deno");
const deno = Bun.spawnSync([denoBin, "lint", "--quiet"], { cwd: root, stdout: "pipe", stderr: "pipe" });
if (deno.exitCode !== 0) problems.push(`deno lint:\n${deno.stdout.toString()}${deno.stderr.toString()}`);

// The options (line width 160: the width that reflows the fewest lines of the tree as it was written) are in deno.json.
const fmt = Bun.spawnSync([denoBin, "fmt", "--check"], { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
if (fmt.exitCode !== 0) {
  const out = `${fmt.stdout.toString()}${fmt.stderr.toString()}`;
  const files = [...out.matchAll(/^from (.*):$/gm)].map((m) => m[1]!.replace(`${root}/`, ""));
  const head = files.slice(0, 20).join("\n  ") + (files.length > 20 ? `\n  … and ${files.length - 20} more` : "");
  problems.push(`deno fmt --check: ${files.length} file(s) not formatted (node_modules/.bin/deno fmt FILE formats one):\n  ${head || out.slice(0, 2000)}`);
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("lint ok");
