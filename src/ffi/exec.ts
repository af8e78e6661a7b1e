/**
 * execve(2) of our own binary with extra environment, replacing this process in place (same pid, so
 * pid files, systemd's MAINPID and `ip netns exec` all keep working). Used once at start-up to run the
 * daemon with runtime settings that must be in the environment before the runtime starts. Through the
 * runtime's `process.execve`, not a bun:ffi binding, when the first start has nothing to hand over (no
 * early VRRP child: it then never opens libc through FFI); the runtime's execve closes every fd above 2,
 * so the re-exec that hands a child's channel over goes through src/ffi/exec-keep.ts.
 */

/** Replaces the process with `argv` (argv[0] is the program path) and `env`; returns only on failure. */
export function execSelf(argv: readonly string[], env: Record<string, string>): string {
  if (!process.execve) return "process.execve is missing from this runtime";
  try {
    process.execve(argv[0]!, [...argv], env);
  } catch (e) {
    return `execve ${argv[0]} failed: ${(e as Error).message}`;
  }
  return `execve ${argv[0]} returned`;
}
