/**
 * Where the control socket lives and how its place is made safe (docs/control.md "The socket"):
 * - the default path follows the pid file, as keepalived's other run files do: the default pid file
 *   (/run/keepalived.pid) gives /run/keepalived/control.sock; `-p DIR/NAME.pid` gives
 *   DIR/NAME.ctl/control.sock, so daemons started with their own pid files never share a socket;
 * - the socket's directory must be a real directory (not a symlink) owned by us and writable by nobody
 *   else; one we create is 0700 (0710 with a GROUP, which then owns it), so nobody else can plant
 *   anything next to the socket or swap it between bind(2) and chmod(2);
 * - something already at the path is never followed: a live socket (a connect succeeds) belongs to
 *   another daemon and is left alone (this daemon runs without a control socket and says so); a dead
 *   socket is removed; a symlink or any other file is an error (left in place, no control socket).
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, type Stats, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** keepalived's default pid file. */
export const DEFAULT_PID_FILE = "/run/keepalived.pid";
/** The control socket of a daemon with the default pid file. */
export const DEFAULT_CONTROL_SOCKET = "/run/keepalived/control.sock";

/** The control socket path for a daemon whose pid file is `pidFile`, when `control_socket` gives none. */
export function defaultControlPath(pidFile: string): string {
  if (pidFile === DEFAULT_PID_FILE) return DEFAULT_CONTROL_SOCKET;
  return join(dirname(pidFile), `${basename(pidFile).replace(/\.pid$/, "")}.ctl`, "control.sock");
}

/** Why the socket cannot be created at `path` (a sentence for the log). */
export class ControlPathError extends Error {
  readonly code = "CONTROL_PATH";
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ControlPathError(`cannot examine ${p}: ${(e as Error).message}`);
  }
}

/**
 * Makes the socket's directory, or checks one that exists: a directory (no symlink) owned by `uid`,
 * not writable by group or others. `gid`: the directory's group when the socket is shared with a group.
 * Returns true when it created the directory.
 */
export function prepareDirectory(dir: string, uid: number, gid: number | null): boolean {
  let st = lstatOrUndefined(dir);
  const created = !st;
  if (!st) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      throw new ControlPathError(`cannot create ${dir}: ${(e as Error).message}`);
    }
    if (gid !== null) {
      chownSync(dir, uid, gid);
      chmodSync(dir, 0o710);
    }
    st = lstatSync(dir);
  }
  if (st.isSymbolicLink()) throw new ControlPathError(`${dir} is a symbolic link; not following it`);
  if (!st.isDirectory()) throw new ControlPathError(`${dir} is not a directory`);
  if (st.uid !== uid) throw new ControlPathError(`${dir} is owned by uid ${st.uid}, not ${uid}`);
  if (st.mode & 0o022) throw new ControlPathError(`${dir} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`);
  return created;
}

/**
 * Whether a server answers on the unix socket at `path`. A refusal is asked again twice, 50 ms apart:
 * a live server with a full backlog refuses too.
 */
export async function socketIsLive(path: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    if (await connectOnce(path, 1000)) return true;
    await Bun.sleep(50);
  }
  return false;
}

async function connectOnce(path: string, timeoutMs: number): Promise<boolean> {
  // Bun.connect, not node:net (~1.5 MiB of anonymous memory in the parent).
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (t = setTimeout(() => resolve(true), timeoutMs))); // too busy to accept is still alive
  const conn = Bun.connect({ unix: path, socket: { data() {}, error() {} } }).then((s) => {
    s.terminate();
    return true;
  }, () => false);
  const live = await Promise.race([conn, late]);
  clearTimeout(t);
  return live;
}

/**
 * Clears the way for bind(2) at `path`: nothing there, or a dead socket (removed). Throws
 * ControlPathError for a live socket, a symlink or another file.
 */
export async function clearSocketPath(path: string): Promise<void> {
  const st = lstatOrUndefined(path);
  if (!st) return;
  if (st.isSymbolicLink()) throw new ControlPathError(`${path} is a symbolic link; not following or replacing it`);
  if (!st.isSocket()) throw new ControlPathError(`${path} exists and is not a socket; not replacing it`);
  if (await socketIsLive(path)) throw new ControlPathError(`${path} is in use by another running daemon; not taking it over`);
  unlinkSync(path);
}

/** Sets the socket's mode and group after bind (safe: nobody else can write its directory). */
export function secureSocket(path: string, mode: number, uid: number, gid: number | null): Stats {
  if (gid !== null) chownSync(path, uid, gid);
  chmodSync(path, mode);
  return lstatSync(path);
}

/** Removes our socket at shutdown, only if the inode at `path` is still ours. */
export function removeOwnSocket(path: string, ino: number): void {
  const st = lstatOrUndefined(path);
  if (st && st.isSocket() && st.ino === ino) unlinkSync(path);
}
