/**
 * execve(2) of our own binary with extra environment, replacing this process in place (same pid, so
 * pid files, systemd's MAINPID and `ip netns exec` all keep working). Used once at start-up to run the
 * daemon with runtime settings that must be in the environment before the runtime starts.
 */
import { addressOf, cstr, libc } from "./libc.ts";

/** Replaces the process with `argv` (argv[0] is the program path) and `env`; returns only on failure. */
export function execSelf(argv: readonly string[], env: Record<string, string>): string {
  const keep: Uint8Array[] = [];
  const table = (items: readonly string[]) => {
    const t = new BigUint64Array(items.length + 1);
    items.forEach((s, i) => {
      const c = cstr(s);
      keep.push(c);
      t[i] = BigInt(addressOf(c));
    });
    return t;
  };
  const av = table(argv);
  const ev = table(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  const rc = libc.execve(cstr(argv[0]!), av, ev);
  void keep;
  return `execve ${argv[0]} failed (rc ${rc})`;
}
