/**
 * The compiled binaries for whole-daemon tests: dist/keepalived (and dist/keepalived-linux-arm64 for the
 * emulated tests), rebuilt first when any source file is newer (one build per binary at a time across
 * parallel test processes, serialised with a lock directory).
 */
import { Glob } from "bun";
import { existsSync, mkdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Repository root. */
export const ROOT = join(import.meta.dir, "../..");
/** Path of the compiled binary. */
export const BINARY = join(ROOT, "dist/keepalived");

function newestSource(): number {
  let t = 0;
  for (const f of new Glob("src/**/*.ts").scanSync({ cwd: ROOT })) t = Math.max(t, statSync(join(ROOT, f)).mtimeMs);
  return t;
}

/** Builds dist/keepalived if it is missing or stale; returns its path. */
export async function ensureBinary(): Promise<string> {
  return await ensureBuilt(BINARY, []);
}

/** Path of the linux-arm64 binary (run under qemu user-mode emulation by test/support/arm64.ts). */
export const ARM64_BINARY = join(ROOT, "dist/keepalived-linux-arm64");

/** Builds dist/keepalived-linux-arm64 if it is missing or stale (once per suite run); returns its path. */
export async function ensureArm64Binary(): Promise<string> {
  return await ensureBuilt(ARM64_BINARY, ["--target=bun-linux-arm64"]);
}

async function ensureBuilt(out: string, buildArgs: string[]): Promise<string> {
  const lock = `${out}.build-lock`;
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  for (;;) {
    const fresh = existsSync(out) && statSync(out).mtimeMs >= newestSource();
    if (fresh) return out;
    try {
      mkdirSync(lock);
    } catch {
      await Bun.sleep(200);
      continue;
    }
    try {
      const p = Bun.spawnSync([process.execPath, "scripts/build-binary.ts", ...buildArgs], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`build failed:\n${p.stdout}${p.stderr}`);
      return out;
    } finally {
      rmdirSync(lock);
    }
  }
}
