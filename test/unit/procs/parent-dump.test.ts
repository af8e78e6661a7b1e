/** src/procs/parent-dump.ts: the parent's USR1 dump path and text. */
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import { parentDataDump, parentDumpPath } from "../../../src/procs/parent-dump.ts";

describe("parent data dump", () => {
  test("path: state_dump_file with _parent before the extension, else keepalived_parent.data", () => {
    expect(parentDumpPath("/var/run/ka/state.data")).toBe("/var/run/ka/state_parent.data");
    expect(parentDumpPath("/var/run/ka/state")).toBe("/var/run/ka/state_parent");
    expect(parentDumpPath(null)).toMatch(/\/keepalived_parent\.data$/);
  });

  test("text lists config, children with pids, states and restarts, SMTP and metrics", () => {
    const t = parentDataDump({
      configFile: "/etc/keepalived/keepalived.conf",
      generation: 3,
      pid: 100,
      global: null,
      children: [{ role: "vrrp", pid: 101, ready: true, restarts: 2 }, {
        role: "check",
        pid: undefined,
        ready: false,
        restarts: 1,
      }],
      smtp: { target: "192.0.2.25:25", stats: { sent: 4, failedAttempts: 1, dropped: 0, queued: 0 } },
      metricsUrl: "http://127.0.0.1:9650/metrics",
      bgp: new Map([["WEB", "on metric 0"], ["ANY", "off"]]),
    }, new Date(0));
    expect(t).toContain("Config file = /etc/keepalived/keepalived.conf");
    expect(t).toContain("Config generation = 3");
    expect(t).toContain("Parent pid = 100");
    expect(t).toMatch(/VRRP child\n\s+Pid = 101\n\s+State = running\n\s+Restarts = 2/);
    expect(t).toMatch(/Healthcheck child\n\s+Pid = \(not running\)\n\s+State = restarting\n\s+Restarts = 1/);
    expect(t).toContain("SMTP server = 192.0.2.25:25");
    expect(t).toContain("Metrics = http://127.0.0.1:9650/metrics");
    expect(t).toContain(" BGP announcements (2):\n   WEB = on metric 0\n   ANY = off\n");
  });

  test("opens with keepalived's Global definitions as its parent writes them, ours after", () => {
    const r = loadConfig("/k.conf", { configId: "x", readFile: () => "global_defs {\n router_id lb1\n}\n" });
    const t = parentDataDump({ configFile: "/k.conf", generation: 1, pid: 1, global: r.config.global, smtp: null, metricsUrl: null, children: [] });
    const lines = t.split("\n");
    expect(lines[0]).toBe("------< Global definitions >------");
    expect(lines).toContain(" Router ID = lb1");
    // The parent has not filled in the lower-priority GARP defaults (keepalived prints UINT_MAX there).
    expect(lines).toContain(" Gratuitous ARP lower priority delay = 4294967295");
    expect(lines.indexOf("------< Keepalived parent >------")).toBeGreaterThan(lines.indexOf(" umask = 0177"));
  });

  test("a running VRRP child with instances in FAULT says so", () => {
    const t = parentDataDump({
      configFile: "k.conf",
      generation: 1,
      pid: 1,
      global: null,
      smtp: null,
      metricsUrl: null,
      children: [{ role: "vrrp", pid: 101, ready: true, restarts: 0, faulty: ["VI_6"] }],
    });
    expect(t).toContain("State = running, 1 instance(s) in FAULT: VI_6");
  });
});
