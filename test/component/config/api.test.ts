/** Tests for the public API (src/config/index.ts, dump.ts, diag.ts, security.ts, tree.ts) and global_defs. */
import { describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import YAML from "yaml";
import { dumpConfig, formatDiagnostic, loadConfig, needsRole, sliceFor } from "../../../src/config/index.ts";
import { diagLines, instance, loadText, memOptions, nonJsonPaths } from "../../support/config/helpers.ts";

const FULL = "global_defs {\n router_id r1\n}\n" + instance(' notify_master "/usr/bin/logger up"') +
  "virtual_server 192.0.2.100 80 {\n real_server 192.0.2.1 80 {\n  TCP_CHECK {\n  }\n }\n}\nbfd_instance b {\n neighbor_ip 192.0.2.3\n}\n";

describe("global_defs", () => {
  test("defaults", () => {
    const g = loadText("").config.global;
    expect(g).toMatchObject({
      routerId: null,
      vrrpVersion: 2,
      vrrpMcastGroup4: "224.0.0.18",
      vrrpMcastGroup6: "ff02::12",
      vrrpGarpMasterDelayMs: 5000,
      vrrpGarpMasterRepeat: 5,
      smtpConnectTimeoutMs: 30000,
      enableScriptSecurity: false,
      vmacPrefix: "vrrp",
      childWaitTimeMs: 5000,
      lvsFlushOnStop: "none",
    });
  });
  test("a selection of keywords in every group", () => {
    const r = loadText(
      [
        "net_namespace blue",
        "global_defs {",
        " router_id r1",
        " notification_email {",
        "  a@example.org",
        "  b@example.org",
        " }",
        " smtp_server 192.0.2.25 2525",
        " smtp_alert off",
        " script_user nobody nogroup",
        " enable_script_security",
        " vrrp_notify_fifo /run/f",
        ' vrrp_notify_fifo_script "/bin/reader -v"',
        " vrrp_garp_interval 0.001",
        " vrrp_garp_extra_if all 100",
        " nftables",
        " lvs_sync_daemon eth0 inst VI_1 id 5 port 8848 group 224.0.0.81",
        " lvs_timeouts tcp 900 udp 30",
        " lvs_flush_on_stop VS",
        " vrrp_priority -5",
        " vrrp_cpu_affinity 0 1",
        " checker_rt_priority 50",
        " vrrp_netlink_cmd_rcv_bufs 1048576",
        " vrrp_netlink_cmd_rcv_bufs_force yes",
        " umask IWGRP|IWOTH",
        " enable_snmp_rfc",
        " max_auto_priority",
        " reload_file",
        "}",
      ].join("\n") + "\n" + instance(""),
      {},
      { userExists: (u) => u === "nobody" },
    );
    // Keywords parsed but not implemented are reported (unsupported.ts) and change nothing else.
    expect(r.diagnostics.filter((d) => d.severity !== "unsupported")).toEqual([]);
    const g = r.config.global;
    expect(g).toMatchObject({
      netNamespace: "blue",
      routerId: "r1",
      notificationEmails: ["a@example.org", "b@example.org"],
      smtpServer: { host: "192.0.2.25", port: 2525 },
      smtpAlert: false,
      scriptUser: { user: "nobody", group: "nogroup", src: { file: expect.any(String), line: expect.any(Number) } },
      enableScriptSecurity: true,
      vrrpGarpIntervalMs: 1,
      vrrpGarpExtraIf: { delayMs: 100000, all: true },
      umask: 0o22,
      lvsSyncDaemon: { interface: "eth0", vrrpInstance: "VI_1", syncId: 5, port: 8848, group: "224.0.0.81" },
      lvsTimeouts: { tcpS: 900, tcpFinS: null, udpS: 30 },
      lvsFlushOnStop: "vs",
      enableSnmpRfcV2: true,
      enableSnmpRfcV3: true,
      maxAutoPriority: 99,
      reloadFile: "keepalived.reload",
    });
    expect(g.vrrpNotifyFifo).toMatchObject({ path: "/run/f", script: { argv: ["/bin/reader", "-v"] } });
    expect(g.vrrpSched).toEqual({
      priority: -5,
      noSwap: false,
      rtPriority: null,
      cpuAffinity: [0, 1],
      rlimitRttimeUs: null,
    });
    expect(g.checkerSched.rtPriority).toBe(50);
    expect(g.vrrpNetlinkCmdRcvBufs).toEqual({ bytes: 1048576, force: true });
    expect(g.nftables.table).toBe("keepalived");
  });
  test("out of range and bad types report the line", () => {
    const r = loadText("global_defs {\n vrrp_version 4\n vrrp_garp_interval 0\n smtp_alert maybe\n}\n");
    expect(diagLines(r)).toEqual([
      "2: error: vrrp_version: 4 is outside 2..3; ignored",
      "3: error: vrrp_garp_interval: 0s is outside 0.000001..4294.967295 seconds; ignored",
      "4: error: smtp_alert: 'maybe' is not on/off/true/false/yes/no",
    ]);
  });
});

describe("keyword tree errors", () => {
  test("unknown keyword: the line is skipped but its body is not, so its } closes the parent", () => {
    const r = loadText("global_defs {\n bogus_block {\n  router_id inner\n }\n vrrp_version 3\n}\n");
    expect(r.config.global.routerId).toBe("inner");
    expect(r.config.global.vrrpVersion).toBe(2);
    expect(diagLines(r)).toEqual([
      "2: error: unknown keyword 'bogus_block' ignored",
      "5: error: unknown keyword 'vrrp_version' ignored",
      "6: error: '}' without a matching '{'",
    ]);
  });
  test("missing } at end of input and { on its own line", () => {
    expect(
      loadText("vrrp_instance V\n{\n interface eth0\n virtual_router_id 3\n").config.vrrp.instances[0]
        ?.interface,
    ).toBe("eth0");
    expect(diagLines(loadText("global_defs {\n router_id x\n"))[0]).toMatch(/missing '}'/);
  });
  test("one keyword per line: a second keyword on a line is not parsed", () => {
    const r = loadText(instance(" priority 100 advert_int 3"));
    expect(r.config.vrrp.instances[0]!.advertIntMs).toBe(1000);
  });
});

describe("exit codes", () => {
  test("0 clean, 5 errors, 4 missing file, 6 script security", () => {
    expect(loadText(instance("")).exitCode).toBe(0);
    expect(loadText("nonsense\n").exitCode).toBe(5);
    expect(loadConfig("/nope.conf", memOptions({})).exitCode).toBe(4);
    const script = 'vrrp_script s {\n script "/usr/bin/killall -0 sshd"\n}\n' +
      instance(" track_script {\n  s\n }");
    const exe = { isExecutable: (p: string) => p === "/usr/bin/killall" };
    expect(loadText(script, {}, exe).exitCode).toBe(6);
    // keepalived 2.2.7: script security without script_user and without a keepalived_script account
    // has no user to run the script as: the script is removed and -t exits 5.
    expect(loadText("global_defs {\n enable_script_security\n}\n" + script, {}, exe).exitCode).toBe(5);
    const nobody = { ...exe, userExists: (u: string) => u === "nobody" };
    expect(loadText("global_defs {\n enable_script_security\n script_user nobody\n}\n" + script, {}, nobody).exitCode)
      .toBe(0);
    expect(loadText("global_defs {\n script_user nobody\n}\n" + script, {}, nobody).exitCode).toBe(0);
    // a script_user that does not exist is a config error
    expect(loadText("global_defs {\n script_user nobody\n}\n" + script, {}, exe).exitCode).toBe(5);
    expect(loadText(script, {}, { isExecutable: () => false }).exitCode).toBe(0);
    expect(loadText("includea /etc/keepalived/missing.conf\n").exitCode).toBe(4);
  });
  test("formatDiagnostic", () => {
    expect(formatDiagnostic({ file: "/a.conf", line: 3, severity: "error", message: "bad" })).toBe(
      "/a.conf:3: error: bad",
    );
  });
});

describe("model, slices and dumps", () => {
  test("the model's objects are frozen, its arrays kept out of JSC's sparse storage; it survives a JSON round trip", () => {
    const c = loadText(FULL).config;
    expect(Object.isFrozen(c.vrrp.instances[0]!)).toBe(true);
    expect(Object.isFrozen(c.vrrp.instances[0]!.virtualIpaddresses[0]!)).toBe(true);
    expect(Object.isFrozen(c.check.virtualServers[0]!.realServers[0]!)).toBe(true);
    // Freezing an array costs ~290 bytes of sparse storage in JavaScriptCore (src/config/load.ts deepFreeze).
    expect(Object.isFrozen(c.vrrp.instances[0]!.virtualIpaddresses)).toBe(false);
    const sparse = () => (Bun.gc(true), heapStats().objectTypeCounts.SparseArrayValueMap ?? 0);
    const before = sparse();
    const again = loadText(FULL).config;
    const arrays = (v: unknown): number =>
      v === null || typeof v !== "object" ? 0 : (Array.isArray(v) ? 1 : 0) + Object.values(v).reduce((n: number, x) => n + arrays(x), 0);
    expect(arrays(again)).toBeGreaterThan(20);
    expect(sparse() - before).toBeLessThan(5);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    expect(nonJsonPaths(c)).toEqual([]);
  });
  test("sliceFor gives each child global + its area; needsRole says which children run", () => {
    const c = loadText(FULL).config;
    // Each slice carries its own areas only (the VRRP child gets bfd for its data dump's "VRRP Track BFDs").
    expect(Object.keys(sliceFor(c, "vrrp")).sort()).toEqual(["bfd", "bgp", "file", "global", "vrrp"]);
    expect(Object.keys(sliceFor(c, "check")).sort()).toEqual(["check", "file", "global", "vrrp"]);
    expect(Object.keys(sliceFor(c, "bfd")).sort()).toEqual(["bfd", "file", "global"]);
    expect(sliceFor(c, "vrrp").vrrp.instances).toHaveLength(1);
    expect(Object.keys(sliceFor(c, "check").vrrp)).toEqual(["trackFiles"]);
    expect(sliceFor(c, "check").check.virtualServers).toHaveLength(1);
    expect(sliceFor(c, "bfd").bfd.instances).toHaveLength(1);
    expect(sliceFor(c, "bfd").global.routerId).toBe("r1");
    expect(["vrrp", "check", "bfd"].map((r) => needsRole(c, r as "vrrp"))).toEqual([true, true, true]);
    const vrrpOnly = loadText(instance("")).config;
    expect(["vrrp", "check", "bfd"].map((r) => needsRole(vrrpOnly, r as "vrrp"))).toEqual([
      true,
      false,
      false,
    ]);
  });
  test("dumps: json and yaml parse back to the model, text lists set fields", () => {
    const c = loadText(FULL).config;
    expect(JSON.parse(dumpConfig(c, "json"))).toEqual(JSON.parse(JSON.stringify(c)));
    expect(YAML.parse(dumpConfig(c, "yaml"))).toEqual(JSON.parse(JSON.stringify(c)));
    const text = dumpConfig(c, "text");
    expect(text).toContain("routerId = r1");
    expect(text).toContain("vrid = 51");
  });
});

describe("diagnostics stay on one line", () => {
  test("control characters in a keyword are escaped", () => {
    const r = loadText('"a\\nb" x\n');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toBe("unknown keyword 'a\\x0ab' ignored");
    expect(formatDiagnostic(r.diagnostics[0]!)).not.toContain("\n");
  });
});

describe("script strings", () => {
  test("first word is the command (quote it for arguments), then user and group", () => {
    const r = loadText(instance(" notify_master /bin/x nobody nogroup\n notify_backup \"/bin/y a 'b c'\" u"));
    const n = r.config.vrrp.instances[0]!.notify;
    expect(n.master).toMatchObject({ cmd: "/bin/x", argv: ["/bin/x"], user: "nobody", group: "nogroup" });
    expect(n.backup).toMatchObject({ argv: ["/bin/y", "a", "b c"], user: "u", group: null });
  });
  test("a script for a user that does not exist is never run, so it is no security problem", () => {
    const text = instance(" notify_master /usr/bin/true ghost");
    const probe = { isExecutable: () => true, userExists: (u: string) => u === "nobody" };
    expect(loadText(text, {}, probe).exitCode).toBe(0);
    expect(loadText(instance(" notify_master /usr/bin/true"), {}, probe).exitCode).toBe(6);
    expect(loadText(instance(" notify_master /usr/bin/true nobody"), {}, probe).exitCode).toBe(0);
  });
});

describe("cli-check", () => {
  test("prints file:line diagnostics and exits with the -t code", () => {
    const p = Bun.spawnSync([
      process.execPath,
      `${import.meta.dir}/../../../src/config/cli-check.ts`,
      "-i",
      "x",
      "-t",
      "-f",
      "/nonexistent/kcf.conf",
    ], { stderr: "pipe" });
    expect(p.exitCode).toBe(4);
    expect(p.stderr.toString()).toBe("/nonexistent/kcf.conf:0: fatal: configuration file cannot be read\n");
  });
});
