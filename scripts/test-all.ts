/**
 * The whole test suite, as `npm test` and CI run it: type check, lint, test/unit (all files in one
 * `bun test` process), every test/component and test/netns file (each in its own `bun test` process, a
 * few at a time, so namespace tests run in parallel), and the IPVS tests in a VM (test/vm). A test file
 * outside those four directories is a failure, so none silently stops running. Ends with one line "N passed, N failed" from the runners' own counts.
 *   bun scripts/test-all.ts [--only=SUBSTRING] [--jobs=N] [--no-vm] [--no-static] [--no-deps]
 */
import { Glob } from "bun";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith("--only="))?.slice(7);
const jobs = Number(args.find((a) => a.startsWith("--jobs="))?.slice(7) ?? process.env.TEST_JOBS ?? 3);
const bin = (n: string) => join(root, "node_modules/.bin", n);

interface Outcome {
  name: string;
  passed: number;
  failed: number;
  seconds: number;
  output: string;
}

async function run(name: string, cmd: string[], timeoutMs: number): Promise<{ code: number; out: string; seconds: number }> {
  const t0 = performance.now();
  const p = Bun.spawn(cmd, { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, FORCE_COLOR: "0" } });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (p.signalCode === "SIGKILL") return { code: 124, out: `${out}${err}\n${name}: timed out after ${timeoutMs / 1000} s`, seconds };
  return { code, out: out + err, seconds };
}

/** A check that is one test: passes on exit 0. */
async function single(name: string, cmd: string[]): Promise<Outcome> {
  const r = await run(name, cmd, 600_000);
  return { name, passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, seconds: r.seconds, output: r.out };
}

/** One bun test process over `files` (one file, or all of test/unit); counts come from bun's own summary lines. */
async function bunTest(files: string[]): Promise<Outcome> {
  const name = files.length === 1 ? files[0]! : `test/unit (${files.length} files, one process)`;
  const r = await run(name, [process.execPath, "test", "--timeout=300000", ...files.map((f) => `./${f}`)], 900_000);
  const pass = Number(/^\s*(\d+) pass\s*$/m.exec(r.out)?.[1] ?? 0);
  let fail = Number(/^\s*(\d+) fail\s*$/m.exec(r.out)?.[1] ?? 0);
  if (r.code !== 0 && fail === 0) fail = 1; // crashed, timed out, or no tests ran
  if (pass + fail === 0) fail = 1;
  return { name, passed: pass, failed: fail, seconds: r.seconds, output: r.out };
}

async function pool<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, n) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  }));
  return out;
}

const t0 = performance.now();
const outcomes: Outcome[] = [];
const report = (o: Outcome) => {
  const mark = o.failed ? "FAIL" : "ok  ";
  console.log(`${mark} ${o.name}  (${o.passed} passed, ${o.failed} failed, ${o.seconds.toFixed(1)} s)`);
  if (o.failed) console.log(o.output.split("\n").map((l) => "    " + l).join("\n"));
  outcomes.push(o);
};

if (!args.includes("--no-deps")) {
  // Real peers come from Debian; a missing one is a failure, never a silent skip.
  const deps = await single("test dependencies (scripts/install-test-deps.sh)", ["bash", "scripts/install-test-deps.sh"]);
  if (deps.failed) {
    report(deps);
    console.log(`0 passed, 1 failed`);
    process.exit(1);
  }
}

if (!args.includes("--no-static") && !only) {
  report(await single("typecheck (tsc --noEmit)", [bin("tsc"), "--noEmit", "-p", "."]));
  report(await single("lint (scripts/lint.ts)", [process.execPath, "scripts/lint.ts"]));
}

// Tests live by privilege (DEVELOPERS.md, Tests): test/unit runs in one bun process (pure and quick);
// each test/component and test/netns file gets its own process; test/vm runs below through its runner.
const all = [...new Glob("test/**/*.test.ts").scanSync({ cwd: root })].sort();
const misplaced = all.filter((f) => !/^test\/(unit|component|netns|vm)\//.test(f));
if (misplaced.length) {
  report({
    name: "test layout",
    passed: 0,
    failed: misplaced.length,
    seconds: 0,
    output: `test files outside test/{unit,component,netns,vm} (they would not run):\n${misplaced.join("\n")}`,
  });
}
const picked = all.filter((f) => !f.startsWith("test/vm/") && (!only || f.includes(only)));
const unit = picked.filter((f) => f.startsWith("test/unit/"));
const files = picked.filter((f) => !f.startsWith("test/unit/"));
// Slow namespace tests first so they overlap with the quicker component files and the unit run.
const slow = (f: string) => f.startsWith("test/netns/") || f.includes("interop") || f.includes("conformance");
files.sort((a, b) => Number(slow(b)) - Number(slow(a)));
const units = unit.length ? [unit] : [];
await pool([...files.map((f) => [f]), ...units], jobs, async (group) => {
  const o = await bunTest(group);
  report(o);
  return o;
});

if (!args.includes("--no-vm") && (!only || "test/vm".includes(only))) {
  const r = await run("vm", [process.execPath, "test/vm/run.ts"], 1_800_000);
  const pass = Number(/^VM-RESULT (\d+) passed, (\d+) failed$/m.exec(r.out)?.[1] ?? 0);
  let fail = Number(/^VM-RESULT (\d+) passed, (\d+) failed$/m.exec(r.out)?.[2] ?? 0);
  if (r.code !== 0 && fail === 0) fail = 1;
  report({ name: "test/vm (IPVS in qemu)", passed: pass, failed: fail, seconds: r.seconds, output: r.out });
}

const passed = outcomes.reduce((s, o) => s + o.passed, 0);
const failed = outcomes.reduce((s, o) => s + o.failed, 0);
console.log(`\nwall time ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
