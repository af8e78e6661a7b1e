/**
 * The script runner behind notify scripts, vrrp_script, MISC_CHECK and startup/shutdown scripts.
 * A configured command is split into argv the way keepalived splits it (quotes group words), run
 * directly (never through a shell unless argv[0] is one), as the configured or default user, in its own
 * process group, with a timeout that sends SIGTERM and then SIGKILL to that group. With enable_script_security, a script that a non-root
 * user could modify is refused when it would run as root (resolveRunAs). Also the notify FIFOs
 * (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo) and their long-running reader scripts: one module
 * for everything about scripts that the VRRP and check children share.
 */
import type { Subprocess } from "bun";
import { closeSync, constants, existsSync, lstatSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Logger } from "./log.ts";

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
  for (let p = abs;; p = dirname(p)) {
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

/**
 * Told after every script this process ran has exited (the VRRP child collects after script activity: a spawn leaves native
 * memory behind its garbage Subprocess, which nothing collects in a child that runs scripts but changes no state; bench/RESULTS.md,
 * "2026-12-03, issue 12, soak target"). One hook per process; undefined: nobody listens.
 */
export const scriptExits: { onExit: (() => void) | undefined } = { onExit: undefined };

/** Runs a script; never throws. Bun.spawn, not node:child_process (whose module costs each process ~2 MiB). */
export function runScript(spec: RunnableScript, opts: RunOptions): Promise<ScriptResult> {
  let child: Subprocess<"ignore", "ignore", "ignore">;
  try {
    child = Bun.spawn(spec.argv, {
      uid: spec.uid,
      gid: spec.gid,
      // Own session and process group, so a timeout reaches whatever the script started too.
      detached: true,
      stdio: ["ignore", "ignore", "ignore"],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...opts.env },
    });
  } catch (e) {
    // posix_spawn failed (no such file, not executable, a bad uid): reported as an error, never thrown.
    return Promise.resolve({ status: null, signal: null, timedOut: false, error: (e as Error).message ?? String(e) });
  }
  const pid = child.pid;
  opts.onStart?.(pid);
  let timedOut = false;
  let term: ReturnType<typeof setTimeout> | undefined;
  let kill: ReturnType<typeof setTimeout> | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
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
  return child.exited.then(() => {
    clearTimeout(term);
    clearTimeout(kill);
    const sig = child.signalCode;
    scriptExits.onExit?.();
    return { status: sig === null ? child.exitCode : null, signal: sig === null ? null : String(sig), timedOut };
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
  const u = s.user ? resolveUser(s.user, s.group ?? undefined) : defaultScriptUser(su ? { user: su.user, group: su.group ?? undefined } : undefined);
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

/** A notify FIFO: created if missing (mode 0600 via mkfifo), never followed through a symlink. */
export class NotifyFifo {
  #fd: number | undefined;
  constructor(readonly path: string, readonly log: Logger) {}

  /** Opens (and creates) the FIFO; errors are logged once and writes are then dropped. */
  open(): void {
    try {
      if (!existsSync(this.path)) {
        const r = Bun.spawnSync(["mkfifo", "-m", "600", this.path]);
        if (r.exitCode !== 0) throw new Error(`mkfifo failed: ${r.stderr.toString().trim()}`);
      }
      const st = lstatSync(this.path);
      if (!st.isFIFO()) throw new Error("exists and is not a FIFO");
      this.#fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (e) {
      this.log.error(`notify FIFO ${this.path}: ${(e as Error).message}`);
    }
  }

  /** Writes one line; a full pipe drops the line (logged) rather than blocking. */
  write(line: string): void {
    if (this.#fd === undefined) return;
    try {
      writeSync(this.#fd, line);
    } catch (e) {
      this.log.warn(`notify FIFO ${this.path}: cannot write (${(e as NodeJS.ErrnoException).code}); line dropped`);
    }
  }

  /** Closes the FIFO (the file stays). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** A `*_fifo_script` to keep running: `script` reads the FIFO at `path` (its last argument). */
export interface FifoReaderSpec {
  /** Keyword, for logs (`vrrp_notify_fifo_script`). */
  what: string;
  path: string;
  script: RunAs;
}

/**
 * The FIFO reader scripts (`notify_fifo_script`, `vrrp_notify_fifo_script`, `lvs_notify_fifo_script`):
 * each is started once with its FIFO path as the last argument and keeps running; it gets SIGTERM when
 * its FIFO or script changes on reload, or when the child stops. One that exits is logged, not restarted.
 */
export class FifoReaders {
  readonly #running = new Map<string, { pid: number | undefined; spec: FifoReaderSpec }>();

  constructor(readonly log: Logger, readonly exec: typeof runScript = runScript) {}

  /** Makes the running readers match `wanted` (unchanged ones keep running). */
  set(wanted: readonly FifoReaderSpec[]): void {
    const keys = new Map(wanted.map((w) => [JSON.stringify(w), w]));
    for (const [k, r] of [...this.#running]) {
      if (keys.has(k)) continue;
      this.#running.delete(k);
      this.#kill(r.pid);
    }
    for (const [k, spec] of keys) {
      if (this.#running.has(k)) continue;
      const entry: { pid: number | undefined; spec: FifoReaderSpec } = { pid: undefined, spec };
      this.#running.set(k, entry);
      const argv = [...spec.script.argv, spec.path];
      void this.exec({ argv, uid: spec.script.uid, gid: spec.script.gid }, {
        timeoutMs: 0,
        onStart: (pid) => (entry.pid = pid),
      }).then((r) => {
        entry.pid = undefined;
        if (r.error !== undefined) this.log.error(`${spec.what} ${argv[0]}: cannot run: ${r.error}`);
        else if (this.#running.get(k) === entry) {
          this.log.warn(`${spec.what} ${argv[0]} exited (${r.signal ? `signal ${r.signal}` : `status ${r.status}`})`);
        }
      });
    }
  }

  /** Pids of the running readers (tests, dumps). */
  pids(): number[] {
    return [...this.#running.values()].flatMap((r) => (r.pid === undefined ? [] : [r.pid]));
  }

  /** Stops every reader. */
  stop(): void {
    for (const r of this.#running.values()) this.#kill(r.pid);
    this.#running.clear();
  }

  #kill(pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}
