/**
 * AdoptedChild (src/ffi/adopted-child.ts): a child this runtime did not spawn, as the VRRP child the first
 * process hands the re-executed parent. Made real with a shell that starts a background child and then
 * exec()s into the probe (test/support/procs/adopt-probe.ts), so the child belongs to the probe's process.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";

const PROBE = join(import.meta.dir, "../../support/procs/adopt-probe.ts");

/** Runs `cmd` in the background and exec()s into the probe with its pid (which adopts it after `pauseMs`). */
async function adopt(cmd: string, kill = "", pauseMs = 0): Promise<Record<string, unknown>> {
  const p = Bun.spawn(["sh", "-c", `${cmd} & exec "$0" "$1" $! "${kill}" ${pauseMs}`, process.execPath, PROBE], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

test("a child that exits is reaped with its status, and Bun's own children still get theirs", async () => {
  const r = await adopt("sh -c 'sleep 0.3; exit 3'");
  expect(r).toEqual({ seen: [3, null], exited: 3, exitCode: 3, signalCode: null, reaped: true, own: 7 });
});

test("a child killed through kill() reports the signal's name and 128 + its number", async () => {
  const r = await adopt("sleep 30", "SIGTERM");
  expect(r).toEqual({ seen: [null, "SIGTERM"], exited: 143, exitCode: null, signalCode: "SIGTERM", reaped: true, own: 7 });
});

test("a child that exited before it was adopted (a zombie already) is reaped at once", async () => {
  const r = await adopt("true", "", 300);
  expect(r.seen).toEqual([0, null]);
  expect(r.reaped).toBe(true);
});

test("a pid that is not our child reads as exited (255) at once instead of never", async () => {
  const p = Bun.spawn([process.execPath, PROBE, String(process.pid)], { stdout: "pipe", stderr: "inherit" });
  const r = JSON.parse((await new Response(p.stdout).text()).trim()) as Record<string, unknown>;
  expect(await p.exited).toBe(0);
  expect(r.seen).toEqual([255, null]);
});
