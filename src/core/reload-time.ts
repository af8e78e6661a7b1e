/**
 * The first line of a `reload_time_file` (keepalived.conf(5)): exactly "HH:MM:SS", "YY-MM-DD HH:MM:SS"
 * or "YYYY-MM-DD HH:MM:SS", each with an optional trailing "Z" (UTC; otherwise local time), no other
 * blanks. A time alone means its next occurrence. Returns when the reload is due, or keepalived's words
 * for why the entry is ignored.
 */

/** A parsed entry: when (ms since the epoch), and whether it had no date (it then repeats daily). */
export type ReloadTime = { ok: true; atMs: number; timeOnly: boolean } | { ok: false; why: string };

const FORMAT = /^(?:(\d{2}|\d{4})-(\d{2})-(\d{2}) )?(\d{2}):(\d{2}):(\d{2})(Z?)$/;

/** Parses `line` against the clock `nowMs` (local times in the process time zone, TZ). */
export function parseReloadTime(line: string, nowMs: number): ReloadTime {
  const m = FORMAT.exec(line);
  if (!m) return { ok: false, why: `Reload time ${line} format is incorrect - ignoring` };
  const [, y, mo, d, h, mi, s, z] = m;
  const [hh, mm, ss] = [Number(h), Number(mi), Number(s)];
  if (hh > 23 || mm > 59 || ss > 59) return { ok: false, why: `Reload time ${line} is not valid - ignoring` };
  const utc = z === "Z";
  const make = (year: number, month: number, day: number): number =>
    utc ? Date.UTC(year, month, day, hh, mm, ss) : new Date(year, month, day, hh, mm, ss).getTime();
  if (y === undefined) {
    const now = new Date(nowMs);
    const parts = utc ? [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()] : [now.getFullYear(), now.getMonth(), now.getDate()];
    let at = make(parts[0]!, parts[1]!, parts[2]!);
    if (at <= nowMs) at = make(parts[0]!, parts[1]!, parts[2]! + 1);
    return { ok: true, atMs: at, timeOnly: true };
  }
  const year = y.length === 2 ? 2000 + Number(y) : Number(y);
  const [month, day] = [Number(mo) - 1, Number(d)];
  const at = make(year, month, day);
  const back = new Date(at);
  const same = utc
    ? back.getUTCFullYear() === year && back.getUTCMonth() === month && back.getUTCDate() === day
    : back.getFullYear() === year && back.getMonth() === month && back.getDate() === day;
  if (!same) return { ok: false, why: `Reload date/time ${line} invalid - ignoring` };
  if (at <= nowMs) return { ok: false, why: "Reload date/time is in the past - ignoring" };
  return { ok: true, atMs: at, timeOnly: false };
}
