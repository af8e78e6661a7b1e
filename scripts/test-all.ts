/**
 * The whole test suite, as `npm test` and CI run it: type check, lint, every test file under test/
 * (each in its own `bun test` process, a few at a time, so namespace tests run in parallel), and the
 * IPVS tests in a VM (test/vm). Ends with one line "N passed, N failed" from the runners' own counts.
 *   bun scripts/test-all.ts [--only=SUBSTRING] [--jobs=N] [--no-vm] [--no-static] [--no-deps]
 */
import { Glob } from "bun";
import { join, relative } from "node:path";

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

/** One bun test file; counts come from bun's own summary lines. */
async function bunTest(file: string): Promise<Outcome> {
  const r = await run(file, [process.execPath, "test", "--timeout=300000", file], 900_000);
  const pass = Number(/^\s*(\d+) pass\s*$/m.exec(r.out)?.[1] ?? 0);
  let fail = Number(/^\s*(\d+) fail\s*$/m.exec(r.out)?.[1] ?? 0);
  if (r.code !== 0 && fail === 0) fail = 1; // crashed, timed out, or no tests ran
  if (pass + fail === 0) fail = 1;
  return { name: file, passed: pass, failed: fail, seconds: r.seconds, output: r.out };
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

const files = [...new Glob("test/**/*.test.ts").scanSync({ cwd: root })]
  .filter((f) => !f.startsWith("test/vm/"))
  .filter((f) => !only || f.includes(only))
  .sort();
// Slow namespace tests first so they overlap with the many quick unit files.
const slow = (f: string) => f.startsWith("test/netns/") || f.includes("interop") || f.includes("conformance");
files.sort((a, b) => Number(slow(b)) - Number(slow(a)));
await pool(files, jobs, async (f) => {
  const o = await bunTest(relative(root, join(root, f)));
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
