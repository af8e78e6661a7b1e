/**
 * MISC_CHECK (keepalived.conf(5)): run `misc_path` (split into argv like keepalived's script
 * strings), wait up to `misc_timeout`. Exit 0 passes; any other exit fails, except with
 * `misc_dynamic`, where 1 fails and 2-255 pass with weight = status - 2. `user USER [GROUP]`
 * sets the identity. Spawning, the timeout (SIGTERM, then SIGKILL after a grace period) and the
 * user lookup are the shared script runner's (src/core/script.ts).
 */
import { splitCommand } from "../../core/command-line.ts";
import { resolveUser, runScript, type UserEntry } from "../../core/script.ts";
import { type CheckResult, errorText, fail, pass, type RunCheck } from "./types.ts";

/** Options of one MISC_CHECK. */
export interface MiscCheckOptions {
  /** Command line (`misc_path`), split by splitCommand(). */
  miscPath: string;
  /** Deadline in ms (`misc_timeout`; the scheduler defaults it to delay_loop). */
  miscTimeoutMs: number;
  /** `misc_dynamic`. */
  miscDynamic?: boolean;
  /** `user USERNAME [GROUPNAME]`: names or numeric ids. */
  user?: { user: string; group?: string };
  /** Identity when `user` is not given (script_user / keepalived_script / root). @default the current user */
  defaultUser?: UserEntry;
  /** Time between SIGTERM and SIGKILL, ms. @default 1000 */
  killGraceMs?: number;
}

/** How a script run ended. */
export interface ScriptOutcome {
  /** Exit status when it exited. */
  status?: number;
  /** Signal name when killed. */
  signal?: string;
  timedOut: boolean;
  /** Spawn failure (ENOENT, EACCES...). */
  error?: string;
}

/** Runs argv with a deadline on the shared script runner; an abort kills the script. */
export async function runMiscScript(
  argv: string[],
  timeoutMs: number,
  signal: AbortSignal,
  ids: { uid: number; gid: number },
  killGraceMs = 1000,
): Promise<ScriptOutcome> {
  let pid: number | undefined;
  const onAbort = (): void => {
    if (pid === undefined) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  signal.addEventListener("abort", onAbort);
  try {
    const r = await runScript({ argv, uid: ids.uid, gid: ids.gid }, {
      timeoutMs,
      killGraceMs,
      onStart: (p) => {
        pid = p;
        if (signal.aborted) onAbort();
      },
    });
    const out: ScriptOutcome = { timedOut: r.timedOut };
    if (r.error !== undefined) out.error = r.error;
    else if (r.signal !== null) out.signal = r.signal;
    else if (r.status !== null) out.status = r.status;
    return out;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Maps a script outcome to a check result (misc_dynamic rules). */
export function judgeMisc(o: ScriptOutcome, dynamic: boolean, timeoutMs: number): CheckResult {
  if (o.error !== undefined) return fail(`misc: cannot run: ${o.error}`);
  if (o.timedOut) return fail(`misc: timed out after ${timeoutMs}ms`);
  if (o.signal !== undefined) return fail(`misc: killed by ${o.signal}`);
  const s = o.status ?? -1;
  const r = s === 0 ? pass("misc: exit 0") : dynamic && s >= 2 && s <= 255 ? pass(`misc: exit ${s}`, s - 2) : fail(`misc: exit status ${s}`);
  return { ...r, status: s };
}

/** Builds a MISC_CHECK attempt. */
export function makeMiscCheck(opts: MiscCheckOptions): RunCheck {
  const argv = splitCommand(opts.miscPath);
  return async (signal) => {
    if (argv.length === 0) return fail("misc: empty misc_path");
    const who = opts.user
      ? resolveUser(opts.user.user, opts.user.group)
      : (opts.defaultUser ?? { name: "root", uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    if (typeof who === "string") return fail(`misc: ${who}`);
    const ids = { uid: who.uid, gid: who.gid };
    try {
      const o = await runMiscScript(argv, opts.miscTimeoutMs, signal, ids, opts.killGraceMs);
      if (signal.aborted && o.status === undefined) return fail("misc: aborted");
      return judgeMisc(o, opts.miscDynamic === true, opts.miscTimeoutMs);
    } catch (e) {
      return fail(`misc: internal error: ${errorText(e)}`);
    }
  };
}
