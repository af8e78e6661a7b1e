/**
 * execve(2) through libc, for the one re-exec that must keep an fd open: the runtime's `process.execve`
 * closes every descriptor above 2 (measured: an fd without close-on-exec was gone in the new image), so
 * the first process of `keepalived -n`, which hands the parent its VRRP child's channel across the exec
 * (src/procs/prespawn.ts), goes through here. Every other re-exec uses src/ffi/exec.ts.
 */
import { addressOf, cstr, libc } from "./libc.ts";

/** Replaces the process with `argv` (argv[0] the program path) and `env`, fds without close-on-exec kept; returns only on failure. */
export function execKeepingFds(argv: readonly string[], env: Record<string, string>): string {
  const keep: Uint8Array[] = [];
  const table = (items: readonly string[]): BigUint64Array => {
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
