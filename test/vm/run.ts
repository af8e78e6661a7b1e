/**
 * Runs the IPVS tests in a qemu VM with Debian's kernel (this host's kernel has no IPVS).
 *   bun test/vm/run.ts [--only=SUBSTRING] [--timeout=SECONDS] [--smp=N] [--verbose] [--no-build] [--keep]
 * Steps: compile our binaries (the daemon from src/main.ts, the reconciler probe from
 * test/vm/guest-ipvs.ts), fetch/unpack the kernel (cached), build the initramfs with test/vm/tests/*.sh,
 * boot `qemu-system-x86_64 -accel tcg`, read the serial console, print one line per test and finally
 * exactly one line `VM-RESULT <N> passed, <M> failed`. Each run builds in its own work/run-XXXX/
 * (removed at the end unless --keep), so concurrent runs do not clobber each other's image. A missing
 * qemu, kernel or busybox is a failure, never a skip. qemu is killed by pid after --timeout (default
 * 600 s) or when this runner is interrupted; the guest also powers itself off 30 s after that.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildInitramfs, ensureKernel, makeRunDir, need } from "./build.ts";
import { bootVm } from "./boot.ts";
import { compileBinaries } from "./compile.ts";
import { ConsoleParser, type TestResult } from "./console.ts";

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = opt("only");
const timeoutS = Number(opt("timeout") ?? 600);
const cpus = opt("smp") ?? "2";
const verbose = args.includes("--verbose");

const t0 = performance.now();
const runDir = makeRunDir();
const secs = (from = t0) => ((performance.now() - from) / 1000).toFixed(1);
const results: TestResult[] = [];

/** Ends the run: per-test lines, then the one summary line test-all.ts parses. */
function finish(extra: TestResult[] = []): never {
  if (!args.includes("--keep")) rmSync(runDir, { recursive: true, force: true });
  const all = [...results, ...extra];
  for (const r of all) {
    console.log(`${r.ok ? "ok  " : "FAIL"} vm/${r.name}${r.detail ? `  (${r.detail})` : ""}`);
    if (!r.ok && r.output.length) console.log(r.output.map((l) => `    ${l}`).join("\n"));
  }
  const passed = all.filter((r) => r.ok).length;
  const failed = all.length - passed;
  console.log(`VM-RESULT ${passed} passed, ${failed} failed`);
  process.exit(failed || all.length === 0 ? 1 : 0);
}

/** A failure of the bed itself (not of one test). */
function bedFailure(name: string, err: unknown): TestResult {
  return { name, ok: false, detail: err instanceof Error ? err.message : String(err), output: [] };
}

const testNames = readdirSync(join(import.meta.dir, "tests"))
  .filter((f) => /^\d+-.*\.sh$/.test(f) && (!only || f.includes(only)))
  .sort()
  .map((f) => f.slice(0, -3));
if (testNames.length === 0) finish([bedFailure("select", `no test matches --only=${only}`)]);

let qemu: string, kernel, initrd;
try {
  qemu = need("qemu-system-x86_64", "qemu-system-x86");
  need("busybox", "busybox-static");
  need("ipvsadm", "ipvsadm");
  if (!args.includes("--no-build")) { for (const l of compileBinaries(runDir)) console.log(l); }
  const tk = performance.now();
  kernel = ensureKernel();
  const kernelS = secs(tk);
  const ti = performance.now();
  initrd = buildInitramfs(kernel, runDir, only);
  console.log(
    `vm: kernel ${kernel.release} ready in ${kernelS} s (download only when not cached), initramfs ` +
      `${(initrd.bytes / 1048576).toFixed(1)} MiB built in ${secs(ti)} s, binaries: ${initrd.binaries.join(" ") || "none"}`,
  );
} catch (e) {
  finish([bedFailure("bed", e)]);
}

const tBoot = performance.now();
const parser = new ConsoleParser(testNames);
const { code, timedOut, stderr } = await bootVm({
  qemu,
  kernel,
  initrd: initrd.path,
  cwd: runDir,
  smp: cpus,
  memMiB: 1024,
  timeoutS,
  onLine(line) {
    if (verbose) console.log(`vm| ${line}`);
    const ev = parser.feed(line);
    if (ev === "booted") console.log(`vm: booted after ${secs(tBoot)} s`);
    else if (ev) {
      console.log(`vm: ${ev.ok ? "PASS" : "FAIL"} ${ev.name}${ev.detail ? ` (${ev.detail})` : ""}`);
    }
  },
});
console.log(
  `vm: qemu exited ${timedOut ? `(killed after ${timeoutS} s timeout)` : `with ${code}`}; ` +
    `boot to result ${secs(tBoot)} s; whole VM stage ${secs()} s`,
);
if (parser.done) {
  console.log(`vm: guest uptime ${parser.bootedAt} s at /init, ${parser.doneAt} s when the tests ended`);
}
if (stderr) console.log(`vm: qemu stderr: ${stderr}`);
const why = timedOut ? `VM timed out after ${timeoutS} s` : parser.done ? "" : `VM ended before VM-DONE (qemu exit ${code})`;
results.push(...parser.results(why));
if (!parser.booted) {
  results.push(bedFailure("boot", `the guest never reached /init: ${parser.tail().join(" / ")}`));
}
finish();
