/**
 * What starts a reload and what surrounds it, as keepalived 2.2.7 does (keepalived.conf(5)):
 * - `reload_check_config [LOG_FILE]`: a HUP (or a timed reload) first checks the new configuration in a
 *   separate process (our own `-t`, its findings in LOG_FILE, truncated first, or in our log); the reload
 *   happens only if that check exits 0, else "New config failed validation, see … for details".
 * - `reload_file [PATH]`: created (or truncated) before the configuration files are read for a reload and
 *   removed once they are read; default keepalived.reload in the pid directory (/run, or /run/keepalived).
 * - `reload_time_file PATH` / `reload_repeat`: the file's first line (src/core/reload-time.ts) schedules a
 *   reload; a new or changed file reschedules, a removed one cancels. At the reload the file is removed,
 *   unless `reload_repeat` (a time alone then reloads every day). Differences: keepalived watches the
 *   directory with inotify; the parent here looks at the file once a second (no inotify reactor in the
 *   parent), so a change is seen within a second.
 * A reload asked for while one is being checked runs after it, as keepalived queues it.
 */
import { existsSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { CliOptions } from "../cli.ts";
import type { GlobalDefs } from "../config/model.ts";
import { pidDir } from "../core/instance-files.ts";
import type { Logger } from "../core/log.ts";
import { parseReloadTime } from "../core/reload-time.ts";
import { selfCommand } from "./self.ts";

/** What the driver needs of the parent. */
export interface ReloadHost {
  readonly log: Logger;
  readonly opts: CliOptions;
  /** The running configuration's globals. */
  global(): GlobalDefs;
  /** The in-process reload (read, gate, hand the slices out); whether it was taken. */
  reload(): boolean;
}

/** Longest single timer: setTimeout's limit. */
const MAX_TIMER_MS = 0x7fffffff;

/** Where reload_file goes: its path, or keepalived.reload in the pid directory; null when not configured. */
export function reloadFilePath(g: GlobalDefs): string | null {
  if (g.reloadFile === null) return null;
  if (isAbsolute(g.reloadFile)) return g.reloadFile;
  return join(pidDir({ instance: g.instanceName, usePidDir: g.usePidDir, namespace: g.netNamespace }), g.reloadFile);
}

/** Triggers and guards of reloads for one parent. */
export class ReloadDriver {
  #busy = false;
  #queued = false;
  #poll: ReturnType<typeof setInterval> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The watched file's identity last seen ("" = absent), and the time its entry asked for. */
  #seen = "";
  #dueMs: number | undefined;
  #watched: string | null = null;

  constructor(readonly h: ReloadHost) {}

  /** A reload is asked for (HUP, the reload timer): checked first with reload_check_config, then done. */
  async request(): Promise<void> {
    if (this.#busy) {
      this.#queued = true;
      return;
    }
    this.#busy = true;
    try {
      const chk = this.h.global().reloadCheckConfig;
      if (!chk || (await this.#validate(chk.logFile))) this.h.reload();
    } catch (e) {
      this.h.log.error(`reload: ${(e as Error).message}`);
    } finally {
      this.#busy = false;
    }
    if (this.#queued) {
      this.#queued = false;
      this.h.log.debug("Processing queued reload");
      await this.request();
    }
  }

  /** Runs our own `-t` on the configuration file in a separate process; true when it exits 0. */
  async #validate(logFile: string | null): Promise<boolean> {
    const { log, opts: o } = this.h;
    log.debug("validate conf before Reload");
    if (logFile !== null) {
      try {
        writeFileSync(logFile, "", { mode: 0o600 });
        truncateSync(logFile, 0);
      } catch (e) {
        log.error(`truncate of config check log ${logFile} failed (${(e as NodeJS.ErrnoException).code ?? e})`);
      }
    }
    const args = [...selfCommand(), logFile !== null ? `--config-test=${logFile}` : "-t", "-f", o.configFile];
    if (o.configId !== undefined) args.push("-i", o.configId);
    if (o.allConfig) args.push("-e");
    const p = Bun.spawn(args, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    const [err, rc] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    if (rc === 0) return true;
    if (logFile === null) { for (const line of err.split("\n")) if (line.trim() !== "") log.error(line); }
    log.error(`New config failed validation, see ${logFile ?? "the lines above"} for details`);
    return false;
  }

  /** reload_file around reading the configuration for a reload (the running configuration's setting). */
  reading<T>(read: () => T): T {
    const path = reloadFilePath(this.h.global());
    if (path !== null) {
      try {
        writeFileSync(path, "", { mode: 0o644 });
      } catch (e) {
        this.h.log.error(`Failed to create reload file (${path}) ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
    }
    try {
      return read();
    } finally {
      if (path !== null) {
        try {
          unlinkSync(path);
        } catch { /* never created, or removed by someone else */ }
      }
    }
  }

  /** After a start or a reload: watch the configuration's reload_time_file afresh. */
  configured(): void {
    const path = this.h.global().reloadTimeFile;
    if (path !== this.#watched) this.close();
    if (path === null || this.#poll) return;
    if (!existsSync(dirname(path))) {
      this.h.log.warn(`Unable to monitor reload timer file directory ${dirname(path)}- ignoring`);
      return;
    }
    this.#watched = path;
    this.#seen = "";
    this.#look();
    this.#poll = setInterval(() => this.#look(), 1000);
  }

  /** Stops watching and cancels a scheduled reload. */
  close(): void {
    clearInterval(this.#poll);
    clearTimeout(this.#timer);
    this.#poll = this.#timer = this.#dueMs = undefined;
    this.#watched = null;
  }

  #look(): void {
    const path = this.#watched;
    if (path === null) return;
    if (!existsSync(dirname(path))) {
      this.h.log.warn("Directory of reload timer file has disappeared. Monitoring stopped.");
      return this.close();
    }
    let id = "";
    try {
      const st = statSync(path);
      id = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch { /* absent */ }
    if (id === this.#seen) return;
    this.#seen = id;
    if (id === "") return this.#arm(undefined);
    let line = "";
    try {
      line = readFileSync(path, "utf8").split("\n")[0] ?? "";
    } catch { /* unreadable: treated as an empty entry */ }
    const t = parseReloadTime(line, Date.now());
    if (!t.ok) {
      this.h.log.warn(t.why);
      return this.#arm(undefined);
    }
    this.#arm(t.atMs);
  }

  #arm(atMs: number | undefined): void {
    if (this.#dueMs !== undefined && atMs !== undefined && atMs !== this.#dueMs) {
      this.h.log.info(`Reload time updated from ${new Date(this.#dueMs).toISOString()} to ${new Date(atMs).toISOString()}`);
    } else if (atMs !== undefined && atMs !== this.#dueMs) this.h.log.info(`Reload scheduled for ${new Date(atMs).toISOString()}`);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dueMs = atMs;
    if (atMs === undefined) return;
    const wait = (): void => {
      const left = atMs - Date.now();
      if (left > 0) {
        this.#timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
        return;
      }
      this.#fire();
    };
    wait();
  }

  #fire(): void {
    const g = this.h.global();
    this.#dueMs = undefined;
    this.#timer = undefined;
    if (!g.reloadRepeat && g.reloadTimeFile !== null) {
      try {
        unlinkSync(g.reloadTimeFile);
      } catch { /* already gone */ }
    }
    this.#seen = ""; // read the file again after the reload (reload_repeat: the next day's time)
    this.h.log.info("Reload time reached");
    void this.request();
  }
}
