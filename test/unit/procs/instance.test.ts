/** The parent's `instance` / `use_pid_dir` set-up (src/procs/instance.ts) and the children's idents. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "../../../src/cli.ts";
import type { GlobalDefs } from "../../../src/config/model.ts";
import { childArgs } from "../../../src/procs/parent.ts";
import { makeLogger } from "../../../src/procs/common.ts";
import { applyInstance, releaseInstance, warnRestartOnly } from "../../../src/procs/instance.ts";
import { captureLogger } from "../../support/alert/log-capture.ts";

const run = mkdtempSync("/tmp/kmi-inst-");
afterAll(() => rmSync(run, { recursive: true, force: true }));
const g = (instanceName: string | null, usePidDir = false, netNamespace: string | null = null) =>
  ({ instanceName, usePidDir, netNamespace, tmpConfigDirectory: null }) as GlobalDefs;

describe("instance set-up", () => {
  test("pid files, the pid directory made and removed, the ident renamed and handed to the children", () => {
    const o = parseArgs(["-f", "/x.conf", "-r", "/given/v.pid"]);
    const { log, lines } = captureLogger();
    const s = applyInstance(o, g("east"), log, run);
    expect([o.pidFile, o.vrrpPidFile, o.checkersPidFile, o.bfdPidFile]).toEqual([
      `${run}/keepalived/keepalived_east.pid`,
      "/given/v.pid",
      `${run}/keepalived/checkers_east.pid`,
      `${run}/keepalived/bfd_east.pid`,
    ]);
    expect(existsSync(join(run, "keepalived"))).toBe(true);
    expect(lines.some((l) => l.includes("Changing syslog ident to Keepalived_east"))).toBe(true);
    expect(log.opts.ident).toBe("Keepalived_east");
    expect(childArgs(o)).toContain("--instance=east");
    const child = parseArgs([...childArgs(o), "--role=vrrp", "-G"]);
    expect(makeLogger(child, "vrrp").opts.ident).toBe("Keepalived_vrrp_east");
    releaseInstance(s);
    expect(existsSync(join(run, "keepalived"))).toBe(false);
  });
  test("net_namespace: pid files one directory down (keepalived 2.2.7's names), ident with the namespace", () => {
    for (
      const [inst, names, ident] of [
        [null, ["keepalived", "vrrp"], "Keepalived_kne-x"],
        ["east", ["keepalived_east", "vrrp_east"], "Keepalived_kne-x_east"],
      ] as const
    ) {
      const o = parseArgs(["-f", "/x.conf"]);
      const { log } = captureLogger();
      const s = applyInstance(o, g(inst, false, "kne-x"), log, run);
      expect([o.pidFile, o.vrrpPidFile]).toEqual(names.map((n) => `${run}/keepalived/kne-x/${n}.pid`));
      expect(existsSync(join(run, "keepalived", "kne-x"))).toBe(true);
      expect(log.opts.ident).toBe(ident);
      const child = parseArgs([...childArgs(o), "--role=vrrp", "-G"]);
      expect(makeLogger(child, "vrrp").opts.ident).toBe(ident.replace("Keepalived", "Keepalived_vrrp"));
      releaseInstance(s);
      expect(existsSync(join(run, "keepalived"))).toBe(false);
    }
  });
  test("nothing configured: /run names, no directory, no ident change", () => {
    const o = parseArgs([]);
    const { log } = captureLogger();
    expect(applyInstance(o, g(null), log, run)).toEqual({ createdDirs: [] });
    expect(o.pidFile).toBe(`${run}/keepalived.pid`);
    expect(childArgs(o).some((a) => a.startsWith("--instance"))).toBe(false);
  });
  test("a reload cannot change the instance name: keepalived's warning", () => {
    const { log, lines } = captureLogger();
    warnRestartOnly(g("a"), g("b"), log);
    expect(lines.some((l) => l.includes("Cannot change instance name at a reload - please restart keepalived"))).toBe(true);
  });
});
