/**
 * `startup_script` / `shutdown_script` (keepalived.conf(5) global_defs): run once by the parent, the
 * startup script before any child starts and the shutdown script after every child has stopped, each
 * waited for up to its `*_timeout` (default 10 s; then killed, SIGTERM then SIGKILL). Not run on a
 * reload. The log lines are keepalived 2.2.7's: "Running startup script /usr/bin/x", then "startup
 * script script succeeded", "startup script script failed, status N" or "startup script timed out".
 */
import { realpathSync } from "node:fs";
import type { GlobalDefs } from "../config/model.ts";
import type { Logger } from "../core/log.ts";
import { defaultScriptUser, resolveUser, runScript, type ScriptResult } from "../core/script.ts";

/** Runs one script; injected for tests. */
export type LifecycleRun = (argv: string[], uid: number, gid: number, timeoutMs: number) => Promise<ScriptResult>;

const realRun: LifecycleRun = (argv, uid, gid, timeoutMs) => runScript({ argv, uid, gid }, { timeoutMs, killGraceMs: 1000 });

function shown(prog: string): string {
  try {
    return realpathSync(prog);
  } catch {
    return prog;
  }
}

/** The result line keepalived logs for a finished startup/shutdown script. */
export function resultLine(which: "startup" | "shutdown", r: ScriptResult): string {
  if (r.timedOut) return `${which} script timed out`;
  if (r.error) return `${which} script script failed, ${r.error}`;
  if (r.status === 0) return `${which} script script succeeded`;
  return `${which} script script failed, ${r.signal ? `signal ${r.signal}` : `status ${r.status}`}`;
}

/** Run the configured startup or shutdown script, if any, and wait for it (bounded by its timeout). */
export async function runLifecycleScript(
  which: "startup" | "shutdown",
  g: GlobalDefs,
  log: Logger,
  run: LifecycleRun = realRun,
): Promise<void> {
  const s = which === "startup" ? g.startupScript : g.shutdownScript;
  if (!s || s.argv.length === 0) return;
  const timeoutMs = which === "startup" ? g.startupScriptTimeoutMs : g.shutdownScriptTimeoutMs;
  const su = g.scriptUser;
  const u = s.user ? resolveUser(s.user, s.group ?? undefined) : defaultScriptUser(su ? { user: su.user, group: su.group ?? undefined } : undefined);
  if (typeof u === "string") {
    log.error(`${which}_script ${s.argv[0]}: ${u}; not run`);
    return;
  }
  log.info(`Running ${which} script ${shown(s.argv[0]!)}`);
  const r = await run([...s.argv], u.uid, u.gid, timeoutMs);
  const line = resultLine(which, r);
  if (r.status === 0 && !r.timedOut) log.info(line);
  else log.warn(line);
}
