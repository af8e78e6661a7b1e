/**
 * The script runner behind notify scripts, vrrp_script, MISC_CHECK and startup/shutdown scripts.
 * A configured command is split into argv the way keepalived splits it (quotes group words), run
 * directly (never through a shell unless argv[0] is one), as the configured or default user, in its own
 * process group, with a timeout that sends SIGTERM and then SIGKILL to that group. With enable_script_security, a script that a non-root
 * user could modify is refused when it would run as root.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** A command ready to run: argv and the resolved run-as ids (the configured form is config ScriptSpec). */
export interface RunnableScript {
  argv: string[];
  uid: number;
  gid: number;
}

/** How a run ended. `status` is the exit code, `signal` the terminating signal. */
export interface ScriptResult {
  status: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Set when the script could not be started at all. */
  error?: string;
}

/** Options for one run. */
export interface RunOptions {
  /** Kill with SIGTERM after this many ms (0 = no limit). */
  timeoutMs: number;
  /** Grace after SIGTERM before SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Called with the pid once started (for tracking). */
  onStart?: (pid: number) => void;
}

/** A user as found in /etc/passwd. */
export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
}

/** Looks up a user by name or numeric id in a passwd-format text. */
export function findUser(passwd: string, who: string): UserEntry | undefined {
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length < 4) continue;
    if (f[0] === who || f[2] === who) return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** Looks up a group id by name or number in a group-format text. */
export function findGroup(group: string, who: string): number | undefined {
  for (const line of group.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && (f[0] === who || f[2] === who)) return Number(f[2]);
  }
  return /^\d+$/.test(who) ? Number(who) : undefined;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * The user a script runs as when it names none: keepalived's rule is `script_user` if configured, else
 * the user keepalived_script if it exists, else root.
 */
export function defaultScriptUser(scriptUser?: { user: string; group?: string }): UserEntry | string {
  const passwd = readOr("/etc/passwd");
  if (scriptUser) return resolveUser(scriptUser.user, scriptUser.group, passwd);
  return findUser(passwd, "keepalived_script") ?? { name: "root", uid: 0, gid: 0 };
}

/** Resolves "user [group]" to ids, or a message naming the unknown user or group. */
export function resolveUser(user: string, group: string | undefined, passwd = readOr("/etc/passwd")): UserEntry | string {
  const u = findUser(passwd, user);
  if (!u) return `unknown user '${user}'`;
  if (group === undefined) return u;
  const gid = findGroup(readOr("/etc/group"), group);
  if (gid === undefined) return `unknown group '${group}'`;
  return { ...u, gid };
}

const S_IWGRP = 0o020, S_IWOTH = 0o002, S_ISVTX = 0o1000;

/**
 * Why running `path` as root would be insecure, or undefined when it is safe: the file or a directory
 * above it can be changed by a user other than root (enable_script_security).
 */
export function scriptInsecurity(path: string, stat: (p: string) => { uid: number; gid: number; mode: number } = statSync): string | undefined {
  const abs = resolve(path);
  const chain: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    chain.push(p);
    if (p === "/") break;
  }
  let st;
  for (const p of chain) {
    try {
      st = stat(p);
    } catch {
      return `cannot stat ${p}`;
    }
    const isFile = p === abs;
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    if (st.mode & S_IWOTH && (isFile || !(st.mode & S_ISVTX))) return `${p} is writable by everyone`;
    if (st.mode & S_IWGRP && st.gid !== 0) return `${p} is writable by group ${st.gid}`;
  }
  return undefined;
}

/** Runs a script; never throws. */
export function runScript(spec: RunnableScript, opts: RunOptions): Promise<ScriptResult> {
  return new Promise((resolveRun) => {
    let timedOut = false;
    let child;
    try {
      child = spawn(spec.argv[0]!, spec.argv.slice(1), {
        uid: spec.uid,
        gid: spec.gid,
        // Own session and process group, so a timeout reaches whatever the script started too.
        detached: true,
        stdio: "ignore",
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...opts.env },
      });
    } catch (e) {
      resolveRun({ status: null, signal: null, timedOut: false, error: String(e) });
      return;
    }
    let term: ReturnType<typeof setTimeout> | undefined;
    let kill: ReturnType<typeof setTimeout> | undefined;
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    if (opts.timeoutMs > 0) {
      term = setTimeout(() => {
        timedOut = true;
        signalGroup("SIGTERM");
        kill = setTimeout(() => signalGroup("SIGKILL"), opts.killGraceMs ?? 2000);
      }, opts.timeoutMs);
    }
    child.on("spawn", () => child.pid !== undefined && opts.onStart?.(child.pid));
    child.on("error", (e) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolveRun({ status: null, signal: null, timedOut, error: e.message });
    });
    child.on("exit", (status, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolveRun({ status, signal, timedOut });
    });
  });
}

/** A configured script resolved to the ids it runs as. */
export interface RunAs {
  argv: string[];
  uid: number;
  gid: number;
}

/**
 * Resolves a configured script (keepalived.conf(5) script_user, enable_script_security) to the ids it
 * runs as, or null (logged) when its user is unknown or it is insecure while it would run as root.
 * Shared by the VRRP and check children.
 */
export function resolveRunAs(
  s: { readonly cmd: string; readonly argv: readonly string[]; readonly user: string | null; readonly group: string | null } | null,
  g: { readonly scriptUser: { readonly user: string; readonly group: string | null } | null; readonly enableScriptSecurity: boolean },
  log: { error(msg: string): void },
): RunAs | null {
  if (!s || s.argv.length === 0) return null;
  const su = g.scriptUser;
  const u = s.user
    ? resolveUser(s.user, s.group ?? undefined)
    : defaultScriptUser(su ? { user: su.user, group: su.group ?? undefined } : undefined);
  if (typeof u === "string") {
    log.error(`script ${s.cmd}: ${u}; not run`);
    return null;
  }
  if (g.enableScriptSecurity && u.uid === 0) {
    const why = scriptInsecurity(s.argv[0] ?? "");
    if (why) {
      log.error(`script ${s.argv[0]} is insecure (${why}); disabled by enable_script_security`);
      return null;
    }
  }
  return { argv: [...s.argv], uid: u.uid, gid: u.gid };
}
