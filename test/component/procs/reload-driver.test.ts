/**
 * The reload driver (src/procs/reload-driver.ts) with a stand-in parent: reload_file exists while the
 * configuration is read and is gone after; a reload_time_file entry a few seconds ahead reloads once and
 * the file goes, unless reload_repeat; a removed file cancels; a bad entry schedules nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultOptions } from "../../../src/cli.ts";
import type { GlobalDefs } from "../../../src/config/model.ts";
import { ReloadDriver } from "../../../src/procs/reload-driver.ts";
import { captureLogger } from "../../support/alert/log-capture.ts";
import { holdsFor, waitFor } from "../../support/wait.ts";

const dir = mkdtempSync("/tmp/kmi-rd-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(over: Partial<GlobalDefs>) {
  const { log, lines } = captureLogger();
  const global = { reloadFile: null, reloadTimeFile: null, reloadRepeat: false, reloadCheckConfig: null, usePidDir: false, instanceName: null, ...over };
  let reloads = 0;
  const d = new ReloadDriver({
    log,
    opts: defaultOptions(),
    global: () => global as GlobalDefs,
    reload: () => {
      reloads++;
      return true;
    },
  });
  return { d, lines, reloads: () => reloads };
}

/** "HH:MM:SSZ" `s` seconds from now (UTC). */
const inSeconds = (s: number): string => new Date(Date.now() + s * 1000).toISOString().slice(11, 19) + "Z";

describe("reload driver", () => {
  test("reload_file is there while the configuration is read, gone after", () => {
    const flag = join(dir, "flag");
    writeFileSync(flag, "touched by the updater");
    const { d } = setup({ reloadFile: flag });
    let during = "";
    d.reading(() => (during = Bun.file(flag).size === 0 ? "empty" : "not truncated"));
    expect(during).toBe("empty");
    expect(existsSync(flag)).toBe(false);
  });

  test("a timed reload happens once and removes the file; reload_repeat keeps it", async () => {
    for (const repeat of [false, true]) {
      const at = join(dir, `at-${repeat}`);
      writeFileSync(at, `${inSeconds(2)}\n`);
      const t = setup({ reloadTimeFile: at, reloadRepeat: repeat });
      t.d.configured();
      expect(t.lines.some((l) => l.includes("Reload scheduled for"))).toBe(true);
      await waitFor("the timed reload", () => t.reloads() === 1, 6000);
      expect(existsSync(at)).toBe(repeat);
      t.d.close();
    }
  }, 15_000);

  test("removing the file cancels; a bad entry is reported and schedules nothing", async () => {
    const at = join(dir, "at-cancel");
    writeFileSync(at, `${inSeconds(2)}\n`);
    const t = setup({ reloadTimeFile: at });
    t.d.configured();
    rmSync(at);
    await holdsFor("no reload after the file went", () => t.reloads() === 0, 3500);
    writeFileSync(at, "tomorrow\n");
    await waitFor("the warning", () => t.lines.some((l) => l.includes("Reload time tomorrow format is incorrect - ignoring")), 3000);
    t.d.close();
  }, 15_000);
});
