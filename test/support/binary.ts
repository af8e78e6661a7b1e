/**
 * The compiled binary for whole-daemon tests: dist/keepalived, rebuilt first when any source file is
 * newer (one build at a time across parallel test processes, serialised with a lock directory).
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
  const lock = join(ROOT, "dist/.build-lock");
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  for (;;) {
    const fresh = existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource();
    if (fresh) return BINARY;
    try {
      mkdirSync(lock);
    } catch {
      await Bun.sleep(200);
      continue;
    }
    try {
      const p = Bun.spawnSync([process.execPath, "scripts/build-binary.ts"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`build failed:\n${p.stdout}${p.stderr}`);
      return BINARY;
    } finally {
      rmdirSync(lock);
    }
  }
}
