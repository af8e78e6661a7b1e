/**
 * Compiles the two programs the VM runs, fresh from the source tree on every run, into the run directory:
 *  - keepalived: the daemon (src/main.ts + the reactor worker), flags as in scripts/build-binary.ts;
 *  - guest-ipvs: test/vm/guest-ipvs.ts, which drives src/check/ipvs against the real kernel;
 *  - guest-bench: test/vm/guest-bench.ts, the IPVS checker benchmark's driver (bench/ipvs-vm.ts only).
 * A build that fails is logged and leaves no binary, so the VM tests that need it fail with that reason.
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build.ts";
import { EXTERNAL_FLAGS, SPLIT_FLAGS } from "../../scripts/build-flags.ts";

/** Flags shared with scripts/build-binary.ts: no autoload of .env / bunfig.toml in a root daemon. */
const FLAGS = [
  "build",
  "--compile",
  "--minify",
  "--bytecode",
  "--format=esm",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--target=bun-linux-x64",
  "--define",
  `process.env.KA_LIBC_NAME=${JSON.stringify("libc.so.6")}`,
  ...EXTERNAL_FLAGS,
  ...SPLIT_FLAGS,
];

/** What to build: output name and entry points. */
const PROGRAMS: { out: string; entries: string[] }[] = [
  { out: "keepalived", entries: ["src/main.ts", "src/ffi/reactor-worker.ts"] },
  { out: "guest-ipvs", entries: ["test/vm/guest-ipvs.ts"] },
  { out: "guest-bench", entries: ["test/vm/guest-bench.ts"] },
];

/** What the test run builds (bench/ipvs-vm.ts builds keepalived and guest-bench). */
export const TEST_PROGRAMS = ["keepalived", "guest-ipvs"];

/** Builds the named programs; returns the build log lines (failures name the compiler's first error). */
export function compileBinaries(runDir: string, names: string[] = TEST_PROGRAMS): string[] {
  const log: string[] = [];
  for (const p of PROGRAMS.filter((q) => names.includes(q.out))) {
    const out = join(runDir, p.out);
    rmSync(out, { force: true });
    rmSync(`${out}.build-error`, { force: true });
    const missing = p.entries.find((e) => !existsSync(join(ROOT, e)));
    const t0 = performance.now();
    const r = missing ? { exitCode: 1, text: `${missing} does not exist` } : (() => {
      const s = Bun.spawnSync([process.execPath, ...FLAGS, ...p.entries, "--outfile", out], {
        cwd: ROOT,
        stdout: "pipe",
        stderr: "pipe",
      });
      return { exitCode: s.exitCode, text: s.stderr.toString() + s.stdout.toString() };
    })();
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (r.exitCode === 0 && existsSync(out)) {
      log.push(`vm: built ${p.out} in ${secs} s`);
    } else {
      const first = r.text.split("\n").filter((l) => /error/i.test(l)).slice(0, 3).join(" / ") ||
        r.text.slice(0, 300);
      writeFileSync(`${out}.build-error`, r.text);
      log.push(`vm: could not build ${p.out} (${first.trim()}); tests that need it will fail`);
    }
  }
  return log;
}
