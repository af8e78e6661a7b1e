/**
 * FILE_CHECK, pure part (keepalived.conf(5) track_file and FILE_CHECK): parse the number
 * written in a tracked file and turn it into a check result. Watching the file (inotify)
 * needs FFI and is not here yet.
 */
import { type CheckResult, fail, pass } from "./types.ts";

/** Limits of a value read from a track file. */
const MIN_VALUE = -2147483648;
const MAX_VALUE = 2147483647;

/** Reads the number in a track file's text like strtol: leading blanks, sign, decimal digits. Empty means 0. */
export function parseTrackFileValue(
  text: string,
): { ok: true; value: number } | { ok: false; reason: string } {
  const t = text.trimStart();
  if (t === "") return { ok: true, value: 0 };
  const m = /^([+-]?\d+)/.exec(t);
  if (!m) return { ok: false, reason: `track file holds no number: ${JSON.stringify(t.slice(0, 20))}` };
  const v = Number(m[1]);
  if (v < MIN_VALUE || v > MAX_VALUE) {
    return { ok: false, reason: `track file value ${m[1]} outside 32-bit range` };
  }
  return { ok: true, value: v };
}

/**
 * Applies FILE_CHECK rules: weight 0 makes any non-zero value a failure; otherwise the value
 * times weight (negated with `reverse`) is the weight change for the real server, and a
 * product at or below -2147483648 is a failure.
 */
export function fileCheckVerdict(value: number, weight: number, reverse = false): CheckResult {
  if (weight === 0) return value === 0 ? pass("file: value 0") : fail(`file: value ${value} with weight 0`);
  const delta = value * weight * (reverse ? -1 : 1);
  if (delta <= MIN_VALUE) return fail(`file: value ${value} x weight ${weight} = ${delta} is a fault`);
  return pass(`file: value ${value}`, delta);
}
