/** childEnv: only a busy check child (>= BUSY_CHECKERS checkers) gets Bun's GC timer and JIT thresholds back; the others purge after 100 ms without the purge thread and delay the Baseline JIT. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/index.ts";
import { BUSY_CHECKERS, CHILD_MIMALLOC, childEnv, JIT_ENV, TUNED_ENV } from "../../../src/procs/tuning.ts";

const dir = mkdtempSync("/tmp/ka-tune-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(realServers: number) {
  const rs = Array.from({ length: realServers }, (_, i) => ` real_server 127.1.${(i + 1) >> 8}.${(i + 1) & 255} 80 {\n  TCP_CHECK {\n  }\n }\n`).join("");
  const f = join(dir, `c${realServers}.conf`);
  writeFileSync(f, `virtual_server 192.0.2.10 80 {\n protocol TCP\n${rs}}\n`);
  return loadConfig(f, { configId: "t" }).config;
}

test("a check child with many checkers runs with the GC timer and mimalloc's defaults; others with CHILD_MIMALLOC", () => {
  const saved = { ...process.env };
  try {
    process.env.BUN_GC_TIMER_DISABLE = "1";
    process.env.MIMALLOC_PURGE_DELAY = "0"; // the parent's
    const big = config(BUSY_CHECKERS);
    const env = childEnv("check", big)!;
    expect(env).toBeDefined();
    expect(env.BUN_GC_TIMER_DISABLE).toBeUndefined();
    expect(env.MIMALLOC_PURGE_DELAY).toBeUndefined();
    expect(env.MIMALLOC_SCAVENGER).toBeUndefined();
    expect(env.BUN_JSC_thresholdForJITAfterWarmUp).toBeUndefined();
    expect(env.PATH).toBe(process.env.PATH!);
    for (const [role, c] of [["vrrp", big], ["bfd", big], ["check", config(10)]] as const) {
      const e = childEnv(role, c)!;
      expect(e.MIMALLOC_PURGE_DELAY).toBe("100");
      expect(e.MIMALLOC_SCAVENGER).toBe("0");
      expect(CHILD_MIMALLOC).toEqual({ MIMALLOC_PURGE_DELAY: "100", MIMALLOC_SCAVENGER: "0" });
      expect(e.BUN_GC_TIMER_DISABLE).toBe("1");
      expect(e.BUN_JSC_thresholdForJITAfterWarmUp).toBe("10000");
      expect(e.BUN_JSC_thresholdForJITSoon).toBe("10000");
      expect(e.PATH).toBe(process.env.PATH!);
    }
    // A parent that runs without the settings (its re-exec failed) still gives them to its children.
    delete process.env.BUN_GC_TIMER_DISABLE;
    delete process.env.MIMALLOC_PURGE_DELAY;
    expect(childEnv("vrrp", big)!.BUN_GC_TIMER_DISABLE).toBe("1");
    expect(childEnv("vrrp", big)!.MIMALLOC_PURGE_DELAY).toBe(CHILD_MIMALLOC.MIMALLOC_PURGE_DELAY);
    process.env.KA_NO_TUNE = "1"; // tuning off: the children inherit the parent's environment as it is
    expect(childEnv("vrrp", big)).toBeUndefined();
    expect(childEnv("check", big)).toBeUndefined();
  } finally {
    process.env = saved;
  }
});

test("the parent's re-exec environment and the systemd unit carry the JIT thresholds", async () => {
  for (const [k, v] of Object.entries(JIT_ENV)) expect(TUNED_ENV[k]).toBe(v);
  const unit = await Bun.file(join(import.meta.dir, "../../../packaging/keepalived.service")).text();
  const line = unit.split("\n").find((l) => l.startsWith("Environment="))!;
  const set = Object.fromEntries(line.slice("Environment=".length).split(" ").map((kv) => kv.split("=") as [string, string]));
  for (const [k, v] of Object.entries(TUNED_ENV)) expect(set[k]).toBe(v);
});
