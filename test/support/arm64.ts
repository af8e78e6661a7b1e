/**
 * The arm64 binary under qemu user-mode emulation (binfmt_misc(4), Documentation/admin-guide/binfmt-misc.rst):
 * mounts binfmt_misc when it is not mounted, registers Debian's qemu-aarch64 entry from
 * /usr/lib/binfmt.d/qemu-aarch64.conf when it is not registered (the parent re-executes itself, so the
 * kernel, not a wrapper, must start arm64 ELF files), builds dist/keepalived-linux-arm64 once per suite
 * run and checks that it starts. Anything missing is an error naming what to install: never a skip.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { ensureArm64Binary } from "./binary.ts";
import { sh } from "./netns.ts";

const BINFMT = "/proc/sys/fs/binfmt_misc";
const ENTRY = `${BINFMT}/qemu-aarch64`;
const CONF = "/usr/lib/binfmt.d/qemu-aarch64.conf";
/** What Debian's arm64 packages put in place: the emulator, and the loader and C/C++ runtimes Bun links. */
const NEEDED: Record<string, string> = {
  "/usr/libexec/qemu-binfmt/aarch64-binfmt-P": "qemu-user-static",
  "/lib/ld-linux-aarch64.so.1": "libc6:arm64",
  "/usr/lib/aarch64-linux-gnu/libstdc++.so.6": "libstdc++6:arm64",
  "/usr/lib/aarch64-linux-gnu/libgcc_s.so.1": "libgcc-s1:arm64",
};

/** The registration line of a binfmt.d file: its first line that is neither empty nor a comment. */
export function binfmtLine(text: string): string {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#") && !l.startsWith(";"));
  if (!line) throw new Error(`no registration line in ${CONF}`);
  return line;
}

/** Makes the kernel run arm64 ELF files through qemu-aarch64; idempotent; throws when it cannot. */
export function ensureArm64Emulation(): void {
  for (const [path, pkg] of Object.entries(NEEDED)) {
    if (!existsSync(path)) throw new Error(`arm64 emulation: ${path} is missing; install ${pkg} (scripts/install-test-deps.sh)`);
  }
  if (!existsSync(`${BINFMT}/register`)) sh(["mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT]);
  if (!existsSync(ENTRY)) {
    try {
      writeFileSync(`${BINFMT}/register`, binfmtLine(readFileSync(CONF, "utf8")));
    } catch (e) {
      // Another test process may have registered it in the meantime (EEXIST); anything else is fatal.
      if (!existsSync(ENTRY)) throw new Error(`arm64 emulation: cannot register ${CONF} in ${BINFMT}: ${String(e)}`);
    }
  }
  const entry = readFileSync(ENTRY, "utf8");
  if (!entry.startsWith("enabled")) throw new Error(`arm64 emulation: ${ENTRY} is not enabled:\n${entry}`);
  if (readFileSync(`${BINFMT}/status`, "utf8").trim() !== "enabled") throw new Error(`arm64 emulation: ${BINFMT}/status is not enabled`);
}

/** Registers the emulation, builds the arm64 binary if stale, checks it runs; returns its path. */
export async function arm64Binary(): Promise<string> {
  ensureArm64Emulation();
  const bin = await ensureArm64Binary();
  const out = sh([bin, "--version"]);
  if (!/keepalived-ts/.test(out)) throw new Error(`${bin} --version printed: ${out}`);
  return bin;
}
