/**
 * global_defs keywords of per-process tuning (src/config/kw-global-args.ts, rx-bufs.ts): the values and
 * the messages keepalived 2.2.7 gives for them.
 */
import { describe, expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { NETLINK_DEFAULT_RCVBUF, netlinkRcvBuf } from "../../../src/config/rx-bufs.ts";
import { diagLines, loadText } from "../../support/config/helpers.ts";

const global = (body: string) => loadText(`global_defs {\n${body}\n}\n`);

describe("process scheduling keywords", () => {
  test("values land in each process's settings", () => {
    const r = global(
      [
        " vrrp_priority -5",
        " vrrp_no_swap",
        " vrrp_rt_priority 20",
        " vrrp_cpu_affinity 0",
        " vrrp_rlimit_rttime 50000",
        " checker_priority 3",
        " bfd_rlimit_rtime 30000",
        " max_auto_priority",
        " min_auto_priority_delay 500000",
      ].join("\n"),
    );
    const g = r.config.global;
    expect(g.vrrpSched).toEqual({ priority: -5, noSwap: true, rtPriority: 20, cpuAffinity: [0], rlimitRttimeUs: 50_000 });
    expect(g.checkerSched.priority).toBe(3);
    expect(g.bfdSched.rlimitRttimeUs).toBe(30_000);
    expect(g.maxAutoPriority).toBe(99);
    expect(g.minAutoPriorityDelayUs).toBe(500_000);
    expect(diagLines(r)).toContain("8: info: Keyword 'bfd_rlimit_rtime' is deprecated - please use 'bfd_rlimit_rttime'");
  });
  test("a realtime priority outside 1..99 is clamped with an error, as keepalived does", () => {
    const r = global(" vrrp_rt_priority 150\n bfd_rt_priority 0");
    expect(r.config.global.vrrpSched.rtPriority).toBe(99);
    expect(r.config.global.bfdSched.rtPriority).toBe(1);
    expect(diagLines(r)).toEqual([
      "2: error: vrrp process real-time priority 150 greater than maximum 99 - setting to maximum",
      "3: error: bfd process real-time priority 0 less than minimum 1 - setting to minimum",
    ]);
  });
  test("an rlimit of 1 becomes 2 (its half, the soft limit, must not be 0)", () => {
    expect(global(" checker_rlimit_rttime 1").config.global.checkerSched.rlimitRttimeUs).toBe(2);
  });
  test("a nice value outside -20..19 is an error and unset", () => {
    const r = global(" vrrp_priority 25");
    expect(r.config.global.vrrpSched.priority).toBeNull();
    expect(diagLines(r)[0]).toMatch(/^2: error: .*25/);
  });
  test("CPU numbers: duplicates once; a CPU beyond the online ones empties the set", () => {
    expect(global(" bfd_cpu_affinity 0 0").config.global.bfdSched.cpuAffinity).toEqual([0]);
    const n = availableParallelism();
    const r = global(` vrrp_cpu_affinity 0 ${n}`);
    expect(r.config.global.vrrpSched.cpuAffinity).toEqual([]);
    expect(diagLines(r)[0]).toBe(`2: error: Invalid cpu_id:${n} specified for vrrp process (0-${n - 1})`);
    expect(diagLines(global(" vrrp_cpu_affinity"))[0]).toBe("2: error: No vrrp cpu_id set specified");
  });
});

describe("process names", () => {
  test("process_names gives keepalived's names; each keyword its own", () => {
    const g = global(" process_names\n vrrp_process_name kv").config.global;
    expect(g.processNames).toEqual({ parent: "keepalived", vrrp: "kv", checker: "keepalived_ipvs", bfd: "keepalived_bfd" });
    expect(global("").config.global.processNames).toEqual({ parent: null, vrrp: null, checker: null, bfd: null });
  });
  test("lvs_process_name is checker_process_name, with keepalived's deprecation line", () => {
    const r = global(" lvs_process_name kc");
    expect(r.config.global.processNames.checker).toBe("kc");
    expect(diagLines(r)).toEqual(["2: info: 'lvs_process_name' is deprecated - please use 'checker_process_name'"]);
  });
  test("a name past 15 bytes is cut with a warning", () => {
    const r = global(" bfd_process_name kprvrrp_name_long_xyz");
    expect(r.config.global.processNames.bfd).toBe("kprvrrp_name_lo");
    expect(diagLines(r)).toEqual(["2: warning: Process name kprvrrp_name_long_xyz more than 15 characters, truncating"]);
  });
});

describe("netlink receive buffers", () => {
  test("size, force and 0", () => {
    const g = global(" vrrp_netlink_cmd_rcv_bufs 300000\n vrrp_netlink_monitor_rcv_bufs_force\n lvs_netlink_cmd_rcv_bufs 0").config.global;
    expect(g.vrrpNetlinkCmdRcvBufs).toEqual({ bytes: 300_000, force: false });
    expect(g.vrrpNetlinkMonitorRcvBufs).toEqual({ bytes: null, force: true });
    expect(g.lvsNetlinkCmdRcvBufs).toEqual({ bytes: null, force: false });
    expect(global(" process_monitor_rcv_bufs_force false").config.global.processMonitorRcvBufs.force).toBe(false);
  });
  test("what a socket gets: the size, keepalived's 64 KiB for _force alone, else our default", () => {
    const dflt = { bytes: 1 << 20, force: true };
    expect(netlinkRcvBuf({ bytes: 300_000, force: false }, dflt)).toEqual({ bytes: 300_000, force: false });
    expect(netlinkRcvBuf({ bytes: null, force: true }, dflt)).toEqual({ bytes: NETLINK_DEFAULT_RCVBUF, force: true });
    expect(netlinkRcvBuf({ bytes: null, force: false }, dflt)).toBe(dflt);
    expect(netlinkRcvBuf({ bytes: null, force: false }, undefined)).toBeUndefined();
    // The process monitor takes a size or nothing.
    expect(netlinkRcvBuf({ bytes: null, force: true }, undefined, false)).toBeUndefined();
  });
});
