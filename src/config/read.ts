/**
 * Reading configuration files safely, and the caps on what one configuration may read.
 *
 * keepalived(8) reads only regular, non-executable files: a directory, FIFO, socket or device (the
 * `-f /dev/zero` case) named by `-f` or an `include` is refused, and so is a file with any execute bit.
 * The file is checked with stat(2) (which follows symlinks, as keepalived does) before it is opened, so a
 * device is never opened; it is then opened with O_NONBLOCK (a FIFO swapped in meanwhile cannot block the
 * read) and checked again with fstat(2) on the open descriptor. At most `CAPS.fileBytes` are read: a
 * longer file is refused, whatever stat said (a file that grows while it is read). A file holding a NUL
 * byte is refused too: no configuration has one, and binary garbage would otherwise be parsed line by line.
 */
import * as fs from "node:fs";

/** What one configuration load may read and produce; each error that stops a load names its cap. */
export const CAPS = {
  /** Bytes of one file. */
  fileBytes: 16 * 1024 * 1024,
  /** Bytes of all files of one load together. */
  totalBytes: 32 * 1024 * 1024,
  /** Files one load opens (the main file and every include, counted each time it is read). */
  files: 4096,
  /** Characters of one physical line. */
  lineChars: 64 * 1024,
  /** Logical lines after includes, definitions and ~SEQ expansion (about 350 bytes of memory each). */
  lines: 2_000_000,
  /** Characters of one line after `$` substitution. */
  expandedLine: 1024 * 1024,
  /** `$` substitutions in one line. */
  substitutions: 2000,
  /** Values of one ~SEQ block. */
  seqValues: 1_000_000,
  /** Iterations of all ~SEQ / ~LST blocks of one load together (nested blocks multiply). */
  seqIterations: 1_000_000,
} as const;

/** Why a path was not read although it exists. */
export interface ReadRefusal {
  readonly refused: string;
}

/** A file's text, undefined when it does not exist or cannot be read, or why it was refused. */
export type ReadOutcome = string | undefined | ReadRefusal;

/** True for a refusal. */
export function isRefusal(r: ReadOutcome): r is ReadRefusal {
  return typeof r === "object" && r !== null;
}

/** Why a stat result is not a configuration file keepalived would read, or undefined when it is one. */
export function refuseStat(path: string, st: fs.Stats, maxBytes: number): string | undefined {
  if (st.isDirectory()) return `configuration file '${path}' is a directory`;
  if (!st.isFile() || (st.mode & 0o111) !== 0) return `configuration file '${path}' is not a regular non-executable file`;
  if (st.size > maxBytes) return `configuration file '${path}' is larger than the ${maxBytes} byte cap (${st.size} bytes)`;
  return undefined;
}

/** Reads a configuration file of at most `maxBytes` (default `CAPS.fileBytes`); never blocks on a FIFO. */
export function readConfigFile(path: string, maxBytes: number = CAPS.fileBytes): ReadOutcome {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch {
    return undefined;
  }
  const before = refuseStat(path, st, maxBytes);
  if (before) return { refused: before };
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    const again = refuseStat(path, fs.fstatSync(fd), maxBytes);
    if (again) return { refused: again };
    return readCapped(fd, path, maxBytes);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function readCapped(fd: number, path: string, maxBytes: number): ReadOutcome {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
    if (total > maxBytes) return { refused: `configuration file '${path}' is larger than the ${maxBytes} byte cap` };
  }
  const all = Buffer.concat(chunks, total);
  const nul = all.indexOf(0);
  if (nul >= 0) return { refused: `configuration file '${path}' holds a NUL byte at offset ${nul}; it is not a text file` };
  return all.toString("utf8");
}
