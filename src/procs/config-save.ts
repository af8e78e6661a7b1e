/**
 * `config_save_dir DIR` (global_defs), as keepalived 2.2.7 does it (seen here): the directory is created
 * when missing; at start and at each reload the parent writes the configuration it read to
 * DIR/keepalived.conf.PID.N (N = 0 at start, then one per reload), each file as a "# PATH" line, its lines
 * without comments or surrounding blanks, and a closing "!"; at each reload every child writes its USR1
 * data dump before and after applying the new configuration, DIR/keepalived_ROLE.PID.N.pre and .post
 * (ROLE vrrp, check, bfd). Files are mode 0600. Meant for debugging reloads, as keepalived says.
 * Differences: keepalived splices an included file's lines in at its `include` line, this copy lists each
 * file whole in the order read; a reload we refuse (reload-gate.ts) writes no copy; the directory is 0700
 * (keepalived creates it 0600).
 */
import { chmodSync, closeSync, constants, mkdirSync, openSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { stripComment } from "../config/lexer.ts";
import type { Logger } from "../core/log.ts";

/** The files one load read, in order. */
export class ReadFiles {
  readonly files: { path: string; text: string }[] = [];
  /** LoadOptions.onRead. */
  readonly onRead = (path: string, text: string): void => {
    this.files.push({ path, text });
  };
}

/** The copy's text. */
export function configCopy(files: readonly { path: string; text: string }[]): string {
  const out: string[] = [];
  for (const f of files) {
    out.push(`# ${f.path}`);
    for (const line of f.text.split("\n")) out.push(stripComment(line).trim());
    if (out[out.length - 1] === "") out.pop();
    out.push("!");
  }
  return out.join("\n") + "\n";
}

/** Makes `dir` if missing; false (logged with keepalived's words) when it cannot be used. */
export function ensureSaveDir(dir: string, log: Logger): boolean {
  try {
    if (statSync(dir).isDirectory()) return true;
    log.error(`config_save_dir ${dir} exists and is not a directory`);
    return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      log.error(`config_save_dir ${dir} error ${errnoOf(e)}`);
      return false;
    }
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return true;
  } catch (e) {
    log.error(`Unable to create config_save_dir ${dir} (error ${errnoOf(e)})`);
    return false;
  }
}

const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

/** Writes one saved file (mode 0600); failures are logged, never thrown. */
export function writeSaved(path: string, text: string, log: Logger): void {
  try {
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (e) {
    log.error(`Failed to open config_save file ${path} (${errnoOf(e)})`);
  }
}

/** The parent's copy of load N. */
export function saveConfigCopy(dir: string | null, seq: number, read: ReadFiles, log: Logger): void {
  if (dir === null || !ensureSaveDir(dir, log)) return;
  writeSaved(join(dir, `keepalived.conf.${process.pid}.${seq}`), configCopy(read.files), log);
}

/** Where a child saves its data dump before ("pre") or after ("post") applying reload N. */
export function childSavePath(dir: string, role: string, pid: number, seq: number, when: "pre" | "post"): string {
  return join(dir, `keepalived_${role}.${pid}.${seq}.${when}`);
}

/**
 * `tmp_config_directory DIR`: keepalived 2.2.7 keeps the copy of the configuration its children read in an
 * unnamed temporary file in DIR instead of in memory (memfd), and says "Cannot open config directory DIR
 * for writing" when it cannot make one there. Our children get their configuration over their channel,
 * not from a copy, so the copy is written to an unlinked file in DIR at start and dropped: the same check,
 * the same message, nothing left behind.
 */
export function probeTmpConfigDir(dir: string | null, read: ReadFiles, log: Logger): void {
  if (dir === null) return;
  const path = join(dir, `keepalived_${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("base64url")}`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    log.error(`Cannot open config directory ${dir} for writing, errno ${errnoOf(e)}`);
    return;
  }
  try {
    unlinkSync(path);
    writeSync(fd, configCopy(read.files));
  } catch (e) {
    log.error(`Unable to write the configuration copy in ${dir} (${errnoOf(e)})`);
  } finally {
    closeSync(fd);
  }
}
