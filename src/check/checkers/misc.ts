/**
 * MISC_CHECK (keepalived.conf(5)): run `misc_path` (split into argv like keepalived's script
 * strings), wait up to `misc_timeout`. Exit 0 passes; any other exit fails, except with
 * `misc_dynamic`, where 1 fails and 2-255 pass with weight = status - 2. `user USER [GROUP]`
 * sets the identity. The process runs in its own session; on timeout its process group gets
 * SIGTERM, then SIGKILL after a grace period. The spawning lives in runMiscScript() alone so
 * the shared script runner (src/core/script.ts) can replace it.
 */
import { readFileSync } from "node:fs";
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

/**
 * Splits a script string into argv: whitespace separates words, '...' and "..." keep their
 * spaces, a backslash outside single quotes escapes the next character.
 */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < cmd.length) word += cmd[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < cmd.length) {
      word += cmd[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

/** Looks a user or group up in /etc/passwd or /etc/group; numeric ids pass through. */
export function lookupId(kind: "passwd" | "group", name: string): { id: number; gid?: number } | undefined {
  if (/^\d+$/.test(name)) return { id: Number(name) };
  let text: string;
  try {
    text = readFileSync(`/etc/${kind}`, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f[2] !== undefined) {
      return { id: Number(f[2]), gid: f[3] === undefined ? undefined : Number(f[3]) };
    }
  }
  return undefined;
}

/** Runs argv with a deadline; SIGTERM then SIGKILL to its process group on timeout or abort. */
export async function runMiscScript(
  argv: string[],
  timeoutMs: number,
  signal: AbortSignal,
  ids: { uid?: number; gid?: number } = {},
  killGraceMs = 1000,
): Promise<ScriptOutcome> {
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore", detached: true, ...ids });
  } catch (e) {
    return { timedOut: false, error: errorText(e) };
  }
  const pid = proc.pid;
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // group already gone
    }
  };
  let timedOut = false;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const stop = (): void => {
    if (killer !== undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    killGroup("SIGTERM");
    killer = setTimeout(() => killGroup("SIGKILL"), killGraceMs);
  };
  const onAbort = (): void => stop();
  signal.addEventListener("abort", onAbort);
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  await proc.exited;
  clearTimeout(timer);
  if (killer !== undefined) clearTimeout(killer);
  signal.removeEventListener("abort", onAbort);
  killGroup("SIGKILL"); // leftovers of the script's session
  const out: ScriptOutcome = { timedOut };
  if (proc.signalCode !== null) out.signal = String(proc.signalCode);
  else if (proc.exitCode !== null) out.status = proc.exitCode;
  return out;
}

/** Maps a script outcome to a check result (misc_dynamic rules). */
export function judgeMisc(o: ScriptOutcome, dynamic: boolean, timeoutMs: number): CheckResult {
  if (o.error !== undefined) return fail(`misc: cannot run: ${o.error}`);
  if (o.timedOut) return fail(`misc: timed out after ${timeoutMs}ms`);
  if (o.signal !== undefined) return fail(`misc: killed by ${o.signal}`);
  const s = o.status ?? -1;
  if (s === 0) return pass("misc: exit 0");
  if (dynamic && s >= 2 && s <= 255) return pass(`misc: exit ${s}`, s - 2);
  return fail(`misc: exit status ${s}`);
}

/** Builds a MISC_CHECK attempt. */
export function makeMiscCheck(opts: MiscCheckOptions): RunCheck {
  const argv = splitCommand(opts.miscPath);
  return async (signal) => {
    if (argv.length === 0) return fail("misc: empty misc_path");
    const ids: { uid?: number; gid?: number } = {};
    if (opts.user) {
      const u = lookupId("passwd", opts.user.user);
      if (!u) return fail(`misc: unknown user ${opts.user.user}`);
      ids.uid = u.id;
      const g = opts.user.group === undefined ? undefined : lookupId("group", opts.user.group);
      if (opts.user.group !== undefined && !g) return fail(`misc: unknown group ${opts.user.group}`);
      const gid = g?.id ?? u.gid;
      if (gid !== undefined) ids.gid = gid;
    }
    try {
      const o = await runMiscScript(argv, opts.miscTimeoutMs, signal, ids, opts.killGraceMs);
      if (signal.aborted && o.status === undefined) return fail("misc: aborted");
      return judgeMisc(o, opts.miscDynamic === true, opts.miscTimeoutMs);
    } catch (e) {
      return fail(`misc: internal error: ${errorText(e)}`);
    }
  };
}
