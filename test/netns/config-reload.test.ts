/**
 * Reloads next to keepalived 2.2.7 (namespaces krl-*, test/support/reload-scenario.ts): ours is MASTER,
 * keepalived the witness BACKUP, VIPs polled every ~10 ms. 50 HUPs alternate files of the same meaning
 * (comments, moved blocks, reordered keywords, an include) with broken ones (/dev/zero, a FIFO, a
 * directory, 5 MB of garbage, an empty file, syntax errors, an unknown interface, a bad VRID, caps):
 * the daemon stays up, the VIP is never missing, the witness never becomes MASTER and no stray instance
 * starts. A file with no sections leaves the parent waiting for the next HUP; `-e` exits 6 on a missing
 * include as keepalived does.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, waitFor } from "../support/netns.ts";
import { BROKEN_CASES, ReloadScenario, subjectConf, VALID_CASES } from "../support/reload-scenario.ts";

const scenarios: ReloadScenario[] = [];
afterAll(async () => {
  for (const s of scenarios) await s.destroy();
});

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
const outcomes = (log: string) => count(log, /Reload finished/g) + count(log, /refused, keeping the running configuration/g);

describe("reloads next to keepalived 2.2.7", () => {
  test("50 HUPs alternating valid and broken files: no VIP gap, no witness MASTER, daemon alive", async () => {
    const bin = await ensureBinary();
    const s = new ReloadScenario(`s${process.pid % 1000}`);
    scenarios.push(s);
    await s.start(bin, s.file("first.conf", subjectConf()));
    await Bun.sleep(500);
    const t0 = s.now();
    const entering = count(s.logs.subject, /\(VI_1\) Entering/g);
    const witnessBefore = s.witnessTransitions().length;
    const used = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const c = i % 2 === 0 ? VALID_CASES[(i / 2) % VALID_CASES.length]! : BROKEN_CASES[((i - 1) / 2) % BROKEN_CASES.length]!;
      used.add(c.name);
      const before = outcomes(s.logs.subject);
      s.point(c.prepare(s));
      s.hup();
      await waitFor(`HUP ${i + 1} (${c.name}) handled`, () => outcomes(s.logs.subject) > before, 30_000, 20);
      expect(s.subjectAlive()).toBe(true);
    }
    try {
      await holdsFor(
        "subject alive, the VIP never absent, the witness never MASTER",
        () => s.subjectAlive() && s.absentMs(t0) === 0 && s.witnessHeld === 0,
        1000,
      );
    } catch (e) {
      console.log(s.logs.subject.slice(-6000));
      throw e;
    }
    expect(used.size).toBe(VALID_CASES.length + BROKEN_CASES.length);
    expect(s.subjectAlive()).toBe(true);
    expect(s.absences.filter((a) => a.to >= t0)).toEqual([]);
    expect(s.absentMs(t0)).toBe(0);
    expect(s.witnessHeld).toBe(0);
    expect(s.witnessTransitions().length).toBe(witnessBefore);
    expect(count(s.logs.subject, /\(VI_1\) Entering/g)).toBe(entering);
    expect(s.a.ip("-4", "-o", "addr", "show", "dev", "veth0")).not.toContain("192.0.2.103/");
    expect(s.polls).toBeGreaterThan(100);
    // Each broken file was refused for its own reason, named in the log.
    const refused = s.logs.subject.split("\n").filter((l) => l.includes("refused, keeping the running configuration"));
    for (
      const why of [
        "is not a regular non-executable file", // /dev/zero and the FIFO
        "holds a NUL byte", // binary garbage
        "is a directory",
        "holds no configuration at all",
        "unknown keyword 'no_such_keyword' ignored",
        "interface 'nosuch0' does not exist",
        "virtual_router_id: 300 is outside 1..255",
        "the include depth cap",
        "the ~SEQ cap",
        "character cap",
      ]
    ) expect([why, refused.some((l) => l.includes(why))]).toEqual([why, true]);
  }, 600_000);

  test("a file with no sections stops the VRRP child but not the daemon; the next HUP starts it again", async () => {
    const bin = await ensureBinary();
    const s = new ReloadScenario(`n${process.pid % 1000}`);
    scenarios.push(s);
    await s.start(bin, s.file("first.conf", subjectConf()));
    s.point(s.file("global.conf", "global_defs {\n  router_id krl_a\n}\n"));
    s.hup();
    await waitFor("the VRRP child stopped", () => /vrrp is no longer configured/.test(s.logs.subject), 20_000);
    await waitFor("the witness takes over", () => s.witnessTransitions().at(-1) === "MASTER", 20_000);
    await holdsFor("the daemon alive without its VRRP child", () => s.subjectAlive(), 1000);
    s.point(s.file("back.conf", subjectConf()));
    s.hup();
    await waitFor(
      "ours MASTER again, the witness BACKUP",
      () => count(s.logs.subject, /\(VI_1\) Entering MASTER STATE/g) >= 2 && s.witnessTransitions().at(-1) === "BACKUP",
      30_000,
    );
    expect(s.subjectAlive()).toBe(true);
  }, 120_000);

  test("-e / --all-config: a missing include exits 6 as keepalived does; without -e it is logged and runs", async () => {
    const bin = await ensureBinary();
    const s = new ReloadScenario(`e${process.pid % 1000}`);
    scenarios.push(s);
    const conf = s.file("missing.conf", `include ${s.dir}/files/none.conf\n${subjectConf()}`);
    for (const exe of ["/usr/sbin/keepalived", bin]) {
      const t = Bun.spawnSync(["ip", "netns", "exec", s.a.name, exe, "-t", "-e", "-f", conf], { stderr: "pipe" });
      expect([exe, t.exitCode]).toEqual([exe, 6]);
      const run = Bun.spawnSync([
        "ip",
        "netns",
        "exec",
        s.a.name,
        exe,
        "-n",
        "-l",
        "-e",
        "-f",
        conf,
        "-p",
        `${s.dir}/e.pid`,
        "-r",
        `${s.dir}/ev.pid`,
        "-c",
        `${s.dir}/ec.pid`,
      ], { stderr: "pipe", stdout: "pipe", timeout: 20_000 });
      expect([exe, run.exitCode]).toEqual([exe, 6]);
      expect(run.stderr.toString() + run.stdout.toString()).toMatch(/Config files missing/);
    }
    const plain = Bun.spawnSync(["ip", "netns", "exec", s.a.name, bin, "-t", "-f", conf], { stderr: "pipe" });
    expect(plain.exitCode).toBe(0);
    expect(plain.stderr.toString()).toContain(`notice: configuration file '${s.dir}/files/none.conf' is missing`);
  }, 60_000);
});
