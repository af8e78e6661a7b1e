/**
 * HTTP urls paced as keepalived 2.2.7 paces them (src/check/checkers/http-steps.ts) under CheckerRunner on
 * a FakeScheduler: one url per delay_loop, the verdict after the last; while down only the failed url,
 * then every url again from the first, each passing one logged "… success to … url(PATH)";
 * fast_recovery: no delay between urls while down or before the first verdict.
 */
import { describe, expect, test } from "bun:test";
import { makeHttpStepper, urlSuccessWhat } from "../../../src/check/checkers/http-steps.ts";
import type { HttpUrl } from "../../../src/check/checkers/http.ts";
import { type CheckResult, fail, pass } from "../../../src/check/checkers/types.ts";
import { CheckerRunner, type CheckerTiming } from "../../../src/check/runner.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { captureLogger } from "../../support/alert/log-capture.ts";

const T: CheckerTiming = { delayLoopMs: 3000, retry: 1, delayBeforeRetryMs: 1000, warmupMs: 0, alpha: false, logAllFailures: false };
const urls: HttpUrl[] = [{ path: "/a", statusCodes: [[200, 299]] }, { path: "/b", statusCodes: [[200, 299]], digest: "00" }];

async function tick(s: FakeScheduler, ms: number): Promise<void> {
  s.advance(0);
  for (let k = 0; k < 20; k++) await Promise.resolve();
  for (let t = 0; t < ms; t += 250) {
    s.advance(Math.min(250, ms - t));
    for (let k = 0; k < 20; k++) await Promise.resolve();
  }
}

function setup(fastRecovery: boolean, alpha = false, over: Partial<CheckerTiming> = {}, failedUrlPacing = true) {
  const s = new FakeScheduler();
  const fetched: { path: string; at: number }[] = [];
  const healthy = new Map<string, boolean>([["/a", true], ["/b", true]]);
  const perUrl = urls.map((u) => (): Promise<CheckResult> => {
    fetched.push({ path: u.path, at: s.now() });
    return Promise.resolve(healthy.get(u.path) ? pass("ok") : fail("status 500"));
  });
  const { log, lines } = captureLogger();
  const ups: boolean[] = [];
  const r = new CheckerRunner({
    name: "HTTP_GET on [192.0.2.2]:tcp:80",
    timing: { ...T, alpha, ...over },
    failedUrlPacing,
    sched: s,
    log,
    run: makeHttpStepper({ urls, delayLoopMs: over.delayLoopMs ?? T.delayLoopMs, fastRecovery }, perUrl),
    sentences: { kind: "HTTP", service: "[192.0.2.2]:tcp:80" },
    onChange: (st) => ups.push(st.up),
  });
  const said = () => lines.map((l) => l.replace(/^.*?: /, "")).filter((l) => /success|succeed|failed/.test(l));
  return { s, r, fetched, healthy, ups, said };
}

describe("HTTP url pacing", () => {
  test("words: regex, else digest, else status", () => {
    expect(urlSuccessWhat(urls[0]!)).toBe("HTTP status code");
    expect(urlSuccessWhat(urls[1]!)).toBe("MD5 digest");
    expect(urlSuccessWhat({ ...urls[1]!, regex: "x" })).toBe("Regex match");
  });

  test("one url per delay_loop; down on a url, then only it; back up after every url passes again", async () => {
    const t = setup(false);
    t.r.start();
    await tick(t.s, 3000);
    expect(t.fetched).toEqual([{ path: "/a", at: 0 }, { path: "/b", at: 3000 }]);
    expect(t.ups).toEqual([true]); // the verdict after the last url
    expect(t.said()).toEqual(["Remote Web server [192.0.2.2]:tcp:80 succeed on service."]);
    t.healthy.set("/b", false);
    await tick(t.s, 6000 + 1000); // /a at 6000, /b at 9000 fails, retried at 10000: DOWN
    expect(t.ups).toEqual([true, false]);
    t.fetched.length = 0;
    await tick(t.s, 6000);
    expect(t.fetched.map((f) => f.path)).toEqual(["/b", "/b"]); // only the failed url while down
    t.healthy.set("/b", true);
    t.fetched.length = 0;
    await tick(t.s, 9000);
    // /b passes (logged), then /a and /b again from the first, one per delay_loop: UP after the last.
    expect(t.fetched.map((f) => f.path)).toEqual(["/b", "/a", "/b"]);
    expect(t.ups).toEqual([true, false, true]);
    expect(t.said().slice(-4)).toEqual([
      "MD5 digest success to [192.0.2.2]:tcp:80 url(/b)",
      "HTTP status code success to [192.0.2.2]:tcp:80 url(/a)",
      "MD5 digest success to [192.0.2.2]:tcp:80 url(/b)",
      "Remote Web server [192.0.2.2]:tcp:80 succeed on service.",
    ]);
  });

  test("fast_recovery: urls follow at once before the first verdict and while down, at delay_loop when up", async () => {
    const t = setup(true, true);
    t.r.start();
    await tick(t.s, 250);
    expect(t.fetched).toEqual([{ path: "/a", at: 0 }, { path: "/b", at: 0 }]);
    expect(t.ups).toEqual([true]);
    expect(t.said()).toContain("HTTP status code success to [192.0.2.2]:tcp:80 url(/a)"); // alpha: down until then
    t.fetched.length = 0;
    await tick(t.s, 6000);
    expect(t.fetched.map((f) => f.path)).toEqual(["/a", "/b"]);
    expect(t.fetched[1]!.at - t.fetched[0]!.at).toBe(3000); // up: delay_loop between urls
    // Down on /b, then /b passes: /a and /b follow at once (no delay_loop between urls while down).
    t.healthy.set("/b", false);
    await tick(t.s, 7500); // /a, then /b fails and its retry too: DOWN
    expect(t.ups).toEqual([true, false]);
    t.healthy.set("/b", true);
    t.fetched.length = 0;
    await tick(t.s, 3000);
    expect(t.ups).toEqual([true, false, true]);
    const at = t.fetched.map((f) => f.at);
    expect(t.fetched.map((f) => f.path)).toEqual(["/b", "/a", "/b"]);
    // The fake clock moves in 250 ms steps here, so "at once" shows as within one step each, far below delay_loop.
    expect(at[2]! - at[0]!).toBeLessThanOrEqual(500);
  });

  // keepalived's check_http.c epilog: a retry while up waits delay_before_retry; the failure that takes the
  // checker down, and every failure while down (not retried), waits max(delay_before_retry, delay_loop).
  for (const [dbr, dl] of [[5000, 3000], [1000, 3000]] as const) {
    test(`failed url: retried after delay_before_retry while up, then every max(${dbr}, ${dl}) while down`, async () => {
      const t = setup(false, false, { delayBeforeRetryMs: dbr, delayLoopMs: dl, retry: 2 }, true);
      t.r.start();
      await tick(t.s, dl); // /a at 0, /b at dl: UP
      expect(t.ups).toEqual([true]);
      t.healthy.set("/a", false);
      t.fetched.length = 0;
      const from = t.s.now();
      const down = Math.max(dbr, dl);
      // /a fails at from+dl, retried twice dbr apart, DOWN at the second retry; then /a alone every `down`.
      await tick(t.s, dl + 2 * dbr + 3 * down);
      expect(t.ups).toEqual([true, false]);
      const at = t.fetched.map((f) => f.at - from);
      expect(t.fetched.every((f) => f.path === "/a")).toBe(true);
      expect(at).toEqual([dl, dl + dbr, dl + 2 * dbr, dl + 2 * dbr + down, dl + 2 * dbr + 2 * down, dl + 2 * dbr + 3 * down]);
    });
  }

  test("other checkers (no failed-url pacing) still retry while down and wait delay_loop", async () => {
    const t = setup(false, false, { delayBeforeRetryMs: 5000, delayLoopMs: 3000, retry: 1 }, false);
    t.r.start();
    await tick(t.s, 3000);
    t.healthy.set("/a", false);
    t.fetched.length = 0;
    const from = t.s.now();
    await tick(t.s, 3000 + 5000 + 3000 + 5000);
    expect(t.ups).toEqual([true, false]);
    expect(t.fetched.map((f) => f.at - from)).toEqual([3000, 8000, 11000, 16000]);
  });
});
