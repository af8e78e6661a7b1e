/**
 * Builds the single keepalived executable with `bun build --compile`.
 *   bun scripts/build-binary.ts            -> dist/keepalived (linux-x64, glibc)
 *   bun scripts/build-binary.ts --all      -> also dist/keepalived-linux-x64-musl and dist/keepalived-linux-arm64
 *   bun scripts/build-binary.ts --target=bun-linux-arm64
 * The reactor worker is a second entry point so it is embedded in the binary. Autoload of .env and
 * bunfig.toml is off: the daemon runs as root and must not read files from its working directory.
 */
import { EXTERNAL_FLAGS, SPLIT_FLAGS } from "./build-flags.ts";
import { statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const bun = process.execPath;

interface Target {
  target: string;
  out: string;
  libc: string;
}
const TARGETS: Target[] = [
  { target: "bun-linux-x64", out: "dist/keepalived", libc: "libc.so.6" },
  { target: "bun-linux-x64-musl", out: "dist/keepalived-linux-x64-musl", libc: "libc.musl-x86_64.so.1" },
  { target: "bun-linux-arm64", out: "dist/keepalived-linux-arm64", libc: "libc.so.6" },
];

function build(t: Target): void {
  const args = [
    "build",
    "--compile",
    "--minify",
    "--bytecode",
    "--format=esm",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    `--target=${t.target}`,
    ...EXTERNAL_FLAGS,
    ...SPLIT_FLAGS,
    `--define`,
    `process.env.KA_LIBC_NAME=${JSON.stringify(t.libc)}`,
    "src/main.ts",
    "src/ffi/reactor-worker.ts",
    "--outfile",
    t.out,
  ];
  const t0 = performance.now();
  const p = Bun.spawnSync([bun, ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) {
    process.stderr.write(p.stdout.toString() + p.stderr.toString());
    throw new Error(`build for ${t.target} failed (exit ${p.exitCode})`);
  }
  const size = statSync(join(root, t.out)).size;
  console.log(`${t.out}: ${(size / 1048576).toFixed(1)} MiB (${t.target}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

const argv = process.argv.slice(2);
const only = argv.find((a) => a.startsWith("--target="))?.slice(9);
const chosen = only ? TARGETS.filter((t) => t.target === only) : argv.includes("--all") ? TARGETS : [TARGETS[0]!];
if (chosen.length === 0) throw new Error(`unknown target ${only}; known: ${TARGETS.map((t) => t.target).join(", ")}`);
for (const t of chosen) build(t);
