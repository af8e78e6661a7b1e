/**
 * Runtime settings that make an idle daemon idle: Bun's periodic GC timer and mimalloc's purge thread
 * wake an otherwise sleeping process several times a second (measured: ~14 ms CPU per 10 s for an empty
 * Bun process, 0 ms with both off). Garbage is still collected as memory is allocated. The settings must
 * be in the environment when the runtime starts, so the parent re-executes itself once with them and the
 * children inherit them.
 */
import type { KeepalivedConfig } from "../config/model.ts";
import { execSelf } from "../ffi/exec.ts";
import { selfCommand } from "./self.ts";

/**
 * JavaScriptCore's first JIT tier (Baseline) compiles a function after ~33 calls (a counter of 500, 15 a
 * call, 1 a loop iteration); its code and metadata stay for the life of the process. Work done once per
 * configured object (100 VRRP instances set up, their addresses added, their first adverts) crossed that
 * and left ~450 Baseline compilations behind in the parent and VRRP child (1.4 MiB of machine code, more
 * in metadata; 43 with one instance). At 10,000 a function is compiled after ~670 calls: what runs every
 * advert still is within seconds (bench/RESULTS.md, "2026-12-03, issue 12, JIT thresholds"). Every
 * process gets it (TUNED_ENV, childEnv) except a busy check child, which keeps the runtime's defaults.
 */
export const JIT_ENV: Readonly<Record<string, string>> = {
  BUN_JSC_thresholdForJITAfterWarmUp: "10000",
  BUN_JSC_thresholdForJITSoon: "10000",
};

/**
 * Environment for the parent. Its mimalloc returns freed memory at once (purge delay 0): an idle parent
 * frees next to nothing, so that costs no wakeups, and what the configuration load left behind goes
 * (measured: 0.6 MiB less anonymous memory with 1 VRRP instance, 1.9 MiB with 100). The children get
 * CHILD_MIMALLOC instead (childEnv).
 */
export const TUNED_ENV: Readonly<Record<string, string>> = {
  BUN_GC_TIMER_DISABLE: "1",
  MIMALLOC_PURGE_DELAY: "0",
  KA_TUNED: "1",
  ...JIT_ENV,
};

/**
 * mimalloc's settings in a child: freed pages may be purged once they have been free for 100 ms, when
 * the allocator is next called, never by mimalloc's background purge thread (MIMALLOC_SCAVENGER=0: no
 * `mi-scavenger` thread, so nothing wakes an idle child). Without purging (delay -1, the setting before)
 * a VRRP child kept every page it had touched: ~7 MiB more anonymous memory with 100 instances at 0.1 s;
 * purging at once (delay 0) cost a 100-instance master's VRRP child 2-3x its CPU, a 100 ms delay did not
 * move it outside the run-to-run spread (bench/RESULTS.md, "2026-12-03, issue 12, mimalloc purge").
 */
export const CHILD_MIMALLOC: Readonly<Record<string, string>> = {
  MIMALLOC_PURGE_DELAY: "100",
  MIMALLOC_SCAVENGER: "0",
};

/** Would ensureTuned re-execute this process? */
export function needsTuning(): boolean {
  return process.env.KA_TUNED !== "1" && process.env.KA_NO_TUNE !== "1";
}

/** The environment ensureTuned re-executes with: this process's and TUNED_ENV. */
export function tunedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return Object.assign(env, TUNED_ENV);
}

/**
 * Re-executes the current process with `env` (tunedEnv(), and what the caller adds) unless it already
 * runs tuned (or KA_NO_TUNE=1 is set).
 */
export function ensureTuned(env: Record<string, string> = tunedEnv()): void {
  if (!needsTuning()) return;
  execSelf([...selfCommand(), ...process.argv.slice(2)], env);
  // execve failed: run untuned rather than not at all.
}

/** Checkers at which the check child keeps Bun's GC timer (measured below). */
export const BUSY_CHECKERS = 1000;

/**
 * The environment of a child (undefined: the parent's as it is, with KA_NO_TUNE=1): the parent's with
 * the GC timer off and CHILD_MIMALLOC, whether or not the parent itself runs with them (the
 * spawn sets them, so a child never needs a re-exec); but a check child with many checkers is
 * never idle, and without the GC timer its heap grew to twice the size (10,000 TCP_CHECKs at delay_loop 1
 * on this host: 250-300 MiB RSS without the timer, 120-165 MiB with it, for about 5% more CPU), so it runs
 * with the timer and mimalloc's default purging (its purge thread included). Decided when the child starts; a reload does not restart it.
 * `base`: the parent's environment (the first process passes the one it re-executes with).
 */
export function childEnv(
  role: string,
  c?: KeepalivedConfig,
  base: Record<string, string | undefined> = process.env,
): Record<string, string> | undefined {
  if (base.KA_NO_TUNE === "1") return undefined;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  let checkers = 0;
  if (role === "check" && c) { for (const vs of c.check.virtualServers) for (const rs of vs.realServers) checkers += rs.checkers.length; }
  if (checkers >= BUSY_CHECKERS) {
    delete env.BUN_GC_TIMER_DISABLE;
    for (const k of Object.keys(CHILD_MIMALLOC)) delete env[k];
    for (const k of Object.keys(JIT_ENV)) delete env[k];
  } else {
    env.BUN_GC_TIMER_DISABLE = TUNED_ENV.BUN_GC_TIMER_DISABLE!;
    Object.assign(env, CHILD_MIMALLOC, JIT_ENV);
  }
  return env;
}
