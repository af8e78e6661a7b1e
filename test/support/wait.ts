/**
 * Polling instead of sleeping: `waitFor` until something becomes true, `holdsFor` that something stays
 * true for a whole window (it samples the window and fails at the first sample that breaks it, so a
 * flap in the middle of the window is caught, where a sleep followed by one assertion would miss it).
 */

/** Polls `f` until it returns a truthy value or `timeoutMs` passes; returns the value or throws `what`. */
export async function waitFor<T>(what: string, f: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await Bun.sleep(everyMs);
  }
}

/**
 * Requires `f` to return a truthy value at every sample for `ms` (the first sample at once, the last at
 * or after the end of the window). Throws at the first falsy value or throw, saying how far into the
 * window `what` stopped holding.
 */
export async function holdsFor(what: string, f: () => unknown, ms: number, everyMs = 25): Promise<void> {
  const t0 = performance.now();
  const end = t0 + ms;
  for (;;) {
    let ok: unknown;
    let err: unknown;
    try {
      ok = await f();
    } catch (e) {
      err = e;
    }
    const at = performance.now() - t0;
    if (!ok) throw new Error(`${what} stopped holding after ${at.toFixed(0)} of ${ms} ms${err ? `: ${String(err)}` : ""}`);
    if (performance.now() >= end) return;
    await Bun.sleep(Math.min(everyMs, Math.max(1, end - performance.now())));
  }
}
