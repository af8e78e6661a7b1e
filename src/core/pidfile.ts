/**
 * Pid files created safely: O_EXCL|O_NOFOLLOW (never through a planted symlink), a live owner refuses a
 * second instance, a stale file (its pid is gone) is replaced, and the file is removed on exit only if it
 * still names us.
 */
import { closeSync, constants, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

/** Why a pid file could not be created. */
export class PidFileError extends Error {
  readonly code = "PIDFILE";
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = "PidFileError";
  }
}

/** True when a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid recorded in a pid file, if it is readable and well formed. */
export function readPidFile(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    if (!st.isFile()) return undefined;
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `pid` to `path`; throws PidFileError naming the path and the reason. */
export function createPidFile(path: string, pid = process.pid): void {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, flags, 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" || attempt > 0) {
        throw new PidFileError(`cannot create pid file ${path}: ${code ?? String(e)}`, path);
      }
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue; // vanished meanwhile: try again
      }
      if (!st.isFile()) throw new PidFileError(`pid file ${path} exists and is not a regular file; not touching it`, path);
      const other = readPidFile(path);
      if (other !== undefined && other !== pid && processAlive(other)) {
        throw new PidFileError(`daemon already running: pid file ${path} names live pid ${other}`, path);
      }
      unlinkSync(path); // stale
      continue;
    }
    try {
      writeSync(fd, `${pid}\n`);
    } finally {
      closeSync(fd);
    }
    return;
  }
}

/** Removes the pid file if it still names `pid`. */
export function removePidFile(path: string, pid = process.pid): void {
  if (readPidFile(path) === pid) {
    try {
      unlinkSync(path);
    } catch { /* already gone */ }
  }
}
