/**
 * HTTP_GET / SSL_GET over several urls, paced as keepalived 2.2.7 paces them (its check_http.c
 * epilog, and keepalived.conf(5) `fast_recovery`): each attempt fetches ONE url; a passing url moves
 * on to the next one `delay_loop` later; the verdict comes when the last url of a pass has passed
 * (the checker's UP, "Remote Web server … succeed on service."). A failing url is retried (the
 * runner's retry) and, once the checker is down, is the only url fetched until it passes; then every
 * url is checked again from the first. While the checker is down each passing url is logged as
 * keepalived does: "<HTTP status code|MD5 digest|Regex match> success to [ip]:tcp:port url(PATH)".
 * `fast_recovery`: while the checker has not run yet or is down, the next url follows at once
 * instead of after delay_loop, so a server comes up as soon as all its urls pass.
 */
import { type CheckResult, fail, type RunCheck, type RunnerStatus } from "./types.ts";

/** What the pacing reads of a url{} block (http.ts SteppedUrl; structural, so this module does not import http.ts). */
export interface SteppedUrl {
  path: string;
  digest?: string;
  regex?: string;
}

/** How the urls are paced. */
export interface HttpStepOptions {
  urls: readonly SteppedUrl[];
  /** delay_loop, ms: the pause between two urls. */
  delayLoopMs: number;
  fastRecovery: boolean;
}

/** keepalived's word for what a passing url satisfied (its last check: regex, else digest, else status). */
export function urlSuccessWhat(u: SteppedUrl): string {
  return u.regex !== undefined ? "Regex match" : u.digest !== undefined ? "MD5 digest" : "HTTP status code";
}

/** The paced attempt over `perUrl` (one RunCheck per url, in order). */
export function makeHttpStepper(o: HttpStepOptions, perUrl: readonly RunCheck[]): RunCheck {
  let cursor = 0;
  let lastFailed = false;
  let status: RunnerStatus = { up: true, hasRun: true };
  const run: RunCheck = async (signal) => {
    const url = o.urls[cursor];
    const check = perUrl[cursor];
    if (!url || !check) return fail("http: no url configured");
    const r = await check(signal);
    if (!r.ok) {
      lastFailed = true;
      return perUrl.length > 1 ? { ...r, reason: `url ${url.path}: ${r.reason}` } : r;
    }
    return next(r, url);
  };
  const next = (r: CheckResult, url: SteppedUrl): CheckResult => {
    const down = !status.up;
    const said = down ? { urlSuccess: { what: urlSuccessWhat(url), path: url.path } } : {};
    const delay = o.fastRecovery && (down || !status.hasRun) ? 0 : o.delayLoopMs;
    // The url that failed passes again while down: every url is checked again, from the first.
    const restart = lastFailed && down;
    lastFailed = false;
    cursor = restart ? 0 : (cursor + 1) % perUrl.length;
    if (restart || cursor !== 0) return { ...r, ...said, stepDelayMs: delay };
    return { ...r, ...said };
  };
  run.bind = (s: RunnerStatus) => {
    status = s;
  };
  return run;
}
