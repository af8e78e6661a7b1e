/** reload_time_file entries (src/core/reload-time.ts) and the reload_file default (src/procs/reload-driver.ts). */
import { describe, expect, test } from "bun:test";
import { parseReloadTime } from "../../../src/core/reload-time.ts";
import { reloadFilePath } from "../../../src/procs/reload-driver.ts";
import type { GlobalDefs } from "../../../src/config/model.ts";

const NOW = Date.UTC(2026, 11, 3, 6, 0, 0);

describe("reload_time_file entries", () => {
  test("UTC date and time, both year forms", () => {
    expect(parseReloadTime("2026-12-03 07:30:00Z", NOW)).toEqual({ ok: true, atMs: Date.UTC(2026, 11, 3, 7, 30, 0), timeOnly: false });
    expect(parseReloadTime("27-01-02 00:00:01Z", NOW)).toEqual({ ok: true, atMs: Date.UTC(2027, 0, 2, 0, 0, 1), timeOnly: false });
  });
  test("a time alone is its next occurrence: today if still ahead, else tomorrow", () => {
    expect(parseReloadTime("06:00:05Z", NOW)).toEqual({ ok: true, atMs: NOW + 5000, timeOnly: true });
    expect(parseReloadTime("05:59:59Z", NOW)).toEqual({ ok: true, atMs: NOW - 1000 + 86_400_000, timeOnly: true });
  });
  test("local time without Z", () => {
    const r = parseReloadTime("2030-06-01 12:00:00", NOW);
    expect(r).toEqual({ ok: true, atMs: new Date(2030, 5, 1, 12, 0, 0).getTime(), timeOnly: false });
  });
  test("keepalived's reasons for ignoring an entry", () => {
    expect(parseReloadTime(" 06:00:05Z", NOW)).toEqual({ ok: false, why: "Reload time  06:00:05Z format is incorrect - ignoring" });
    expect(parseReloadTime("2026-12-03  07:30:00", NOW).ok).toBe(false);
    expect(parseReloadTime("25:00:00", NOW)).toEqual({ ok: false, why: "Reload time 25:00:00 is not valid - ignoring" });
    expect(parseReloadTime("2026-02-30 01:00:00Z", NOW)).toEqual({ ok: false, why: "Reload date/time 2026-02-30 01:00:00Z invalid - ignoring" });
    expect(parseReloadTime("2026-12-03 05:00:00Z", NOW)).toEqual({ ok: false, why: "Reload date/time is in the past - ignoring" });
  });
});

describe("reload_file", () => {
  const g = (reloadFile: string | null, usePidDir = false, instanceName: string | null = null) => ({ reloadFile, usePidDir, instanceName }) as GlobalDefs;
  test("default keepalived.reload in the pid directory; an absolute path as given", () => {
    expect(reloadFilePath(g(null))).toBeNull();
    expect(reloadFilePath(g("keepalived.reload"))).toBe("/run/keepalived.reload");
    expect(reloadFilePath(g("keepalived.reload", true))).toBe("/run/keepalived/keepalived.reload");
    expect(reloadFilePath(g("keepalived.reload", false, "east"))).toBe("/run/keepalived/keepalived.reload");
    expect(reloadFilePath(g("/var/run/x.reload"))).toBe("/var/run/x.reload");
  });
});
