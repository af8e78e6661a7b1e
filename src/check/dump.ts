/**
 * The check child's data dump (keepalived's SIGUSR1 file /tmp/keepalived_check.data), written
 * safely: a new file created with O_CREAT|O_EXCL|O_NOFOLLOW in the target's directory, then
 * renamed over the target, so a symlink planted at the target or the temporary name is never
 * followed and readers never see a half-written file.
 */
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Default path of the check data dump. */
export const CHECK_DUMP_PATH = "/tmp/keepalived_check.data";

/** Writes `text` to `path` through a fresh temporary file and rename; throws on failure. */
export function writeFileSafely(path: string, text: string, mode = 0o644): void {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`,
  );
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    writeSync(fd, text);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}
