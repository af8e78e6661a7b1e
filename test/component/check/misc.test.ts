/** MISC_CHECK running real scripts: exit codes, misc_dynamic weights, timeout kill, user, argv quoting. */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeMiscCheck } from "../../../src/check/checkers/misc.ts";
import { tempDir } from "../../support/check/servers.ts";

const dir = tempDir("misc");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}
const sig = () => new AbortController().signal;

describe("MISC_CHECK", () => {
  test("exit 0 passes, exit 1 fails, argv keeps quoted spaces", async () => {
    const args = join(dir, "args.out");
    const s = script("args.sh", `printf '%s|' "$@" > ${args}; exit "$1"`);
    expect(await makeMiscCheck({ miscPath: `${s} 0 'a b' c`, miscTimeoutMs: 5000 })(sig())).toEqual({
      ok: true,
      reason: "misc: exit 0",
      status: 0,
    });
    expect(readFileSync(args, "utf8")).toBe("0|a b|c|");
    expect(await makeMiscCheck({ miscPath: `${s} 1`, miscTimeoutMs: 5000 })(sig())).toEqual({
      ok: false,
      reason: "misc: exit status 1",
      status: 1,
    });
  });

  test("misc_dynamic turns exit 2-255 into a weight", async () => {
    const s = script("dyn.sh", 'exit "$1"');
    expect(await makeMiscCheck({ miscPath: `${s} 12`, miscTimeoutMs: 5000, miscDynamic: true })(sig()))
      .toEqual({ ok: true, reason: "misc: exit 12", weight: 10, status: 12 });
    expect((await makeMiscCheck({ miscPath: `${s} 12`, miscTimeoutMs: 5000 })(sig())).ok).toBe(false);
    expect((await makeMiscCheck({ miscPath: `${s} 1`, miscTimeoutMs: 5000, miscDynamic: true })(sig())).ok)
      .toBe(false);
  });

  test("a script that outlives misc_timeout is killed", async () => {
    const marker = join(dir, "slow.pid");
    const s = script("slow.sh", `echo $$ > ${marker}; exec sleep 30`);
    const r = await makeMiscCheck({ miscPath: s, miscTimeoutMs: 300 })(sig());
    expect(r).toEqual({ ok: false, reason: "misc: timed out after 300ms" });
    const pid = Number(readFileSync(marker, "utf8"));
    const gone = () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z");
    for (let i = 0; i < 100 && !gone(); i++) await Bun.sleep(20);
    expect(gone()).toBe(true);
    // Grandchildren are not reached: the shared runner (src/core/script.ts) signals the script's pid,
    // not a process group (reported to the core owner).
  });

  test("a script ignoring SIGTERM gets SIGKILL", async () => {
    const s = script("stubborn.sh", "trap '' TERM; while :; do sleep 0.05; done");
    const r = await makeMiscCheck({ miscPath: s, miscTimeoutMs: 200, killGraceMs: 200 })(sig());
    expect(r).toEqual({ ok: false, reason: "misc: timed out after 200ms" });
  });

  test("abort stops the script", async () => {
    const s = script("abort.sh", "sleep 30");
    const ac = new AbortController();
    const p = makeMiscCheck({ miscPath: s, miscTimeoutMs: 30000 })(ac.signal);
    setTimeout(() => ac.abort(), 100);
    expect(await p).toEqual({ ok: false, reason: "misc: aborted" });
  });

  test("user runs the script as that user; unknown users and paths fail", async () => {
    const s = script("whoami.sh", 'test "$(id -u)" = 65534');
    expect((await makeMiscCheck({ miscPath: s, miscTimeoutMs: 5000, user: { user: "nobody" } })(sig())).ok)
      .toBe(true);
    expect((await makeMiscCheck({ miscPath: s, miscTimeoutMs: 5000 })(sig())).ok).toBe(false);
    expect(
      await makeMiscCheck({ miscPath: s, miscTimeoutMs: 5000, user: { user: "kck-no-such-user" } })(sig()),
    )
      .toEqual({ ok: false, reason: "misc: unknown user 'kck-no-such-user'" });
    const r = await makeMiscCheck({ miscPath: join(dir, "missing.sh"), miscTimeoutMs: 5000 })(sig());
    expect(r.ok).toBe(false);
    expect(r.reason).toStartWith("misc: cannot run");
  });
});
