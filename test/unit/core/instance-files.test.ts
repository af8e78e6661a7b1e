/** keepalived 2.2.7's file names for `instance`, `use_pid_dir` and `data_use_instance` (src/core/instance-files.ts). */
import { describe, expect, test } from "bun:test";
import { dataInstance, instanceIdent, pidFiles, usesPidDir, withInstance } from "../../../src/core/instance-files.ts";
import { dumpPath } from "../../../src/core/dumpfile.ts";

describe("pid files", () => {
  test("default: /run, plain names", () => {
    expect(pidFiles({ given: {}, instance: null, usePidDir: false })).toEqual({
      parent: "/run/keepalived.pid",
      vrrp: "/run/vrrp.pid",
      check: "/run/checkers.pid",
      bfd: "/run/bfd.pid",
    });
  });
  test("use_pid_dir: /run/keepalived, plain names", () => {
    expect(pidFiles({ given: {}, instance: null, usePidDir: true }, "/r")).toEqual({
      parent: "/r/keepalived/keepalived.pid",
      vrrp: "/r/keepalived/vrrp.pid",
      check: "/r/keepalived/checkers.pid",
      bfd: "/r/keepalived/bfd.pid",
    });
  });
  test("an instance implies use_pid_dir and names every file; -p/-r/-c/-b win", () => {
    const n = { given: { vrrp: "/x/v.pid" }, instance: "east", usePidDir: false };
    expect(usesPidDir(n)).toBe(true);
    expect(pidFiles(n)).toEqual({
      parent: "/run/keepalived/keepalived_east.pid",
      vrrp: "/x/v.pid",
      check: "/run/keepalived/checkers_east.pid",
      bfd: "/run/keepalived/bfd_east.pid",
    });
  });
});

describe("idents and data files", () => {
  test("syslog ident carries the instance", () => {
    expect(instanceIdent("Keepalived_vrrp", "east")).toBe("Keepalived_vrrp_east");
    expect(instanceIdent("Keepalived", null)).toBe("Keepalived");
  });
  test("data_use_instance: only with an instance name, only the data files", () => {
    expect(dataInstance({ dataUseInstance: true, instanceName: null })).toBeNull();
    expect(dataInstance({ dataUseInstance: false, instanceName: "east" })).toBeNull();
    expect(dataInstance({ dataUseInstance: true, instanceName: "east" })).toBe("east");
    expect(withInstance("/tmp/keepalived_parent.data", "east")).toBe("/tmp/keepalived_parent.east.data");
    expect(withInstance("/var/dumps/state", "east")).toBe("/var/dumps/state.east");
    const tmp = process.env.TMPDIR;
    delete process.env.TMPDIR;
    try {
      expect(dumpPath("data", "vrrp", null, "east")).toBe("/tmp/keepalived.east.data");
      expect(dumpPath("data", "check", null, "east")).toBe("/tmp/keepalived_check.east.data");
      expect(dumpPath("data", "bfd", "/d/s.data", "east")).toBe("/d/s_bfd.east.data");
      expect(dumpPath("stats", "vrrp", null, "east")).toBe("/tmp/keepalived.stats");
      expect(dumpPath("json", "vrrp", null, "east")).toBe("/tmp/keepalived.json");
    } finally {
      if (tmp !== undefined) process.env.TMPDIR = tmp;
    }
  });
});
