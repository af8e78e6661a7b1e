/** process_* metrics: /proc parsing (fields after a command with spaces and parentheses) and a live read. */
import { describe, expect, test } from "bun:test";
import { parseBtime, parseStat, parseVmRss, processSamples, readProcessStats } from "../../../src/metrics/process-samples.ts";
import { renderExposition } from "../../../src/metrics/exposition.ts";
import { parseExposition, valueOf } from "../../support/metrics/prom-strict.ts";

describe("process metrics", () => {
  test("parseStat: utime+stime (fields 14, 15) and starttime (22), past a command name with ') ('", () => {
    const rest = ["S", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "250", "50", "0", "0", "20", "0", "1", "0", "123456"];
    expect(parseStat(`42 (a) (b c) ${rest.join(" ")} 99 100`)).toEqual({ cpuTicks: 300, startTicks: 123456 });
    expect(parseStat("garbage")).toBeUndefined();
  });

  test("parseBtime and parseVmRss", () => {
    expect(parseBtime("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n")).toBe(1_700_000_000);
    expect(parseVmRss("Name:\tx\nVmRSS:\t   2048 kB\n")).toBe(2048 * 1024);
    expect(parseVmRss("Name:\tx\n")).toBeUndefined();
  });

  test("this process: plausible values; the four families render valid; a gone pid is left out", () => {
    const s = readProcessStats(process.pid)!;
    expect(s.residentBytes).toBeGreaterThan(1 << 20);
    expect(s.openFds).toBeGreaterThan(2);
    expect(Math.abs(s.startTimeSeconds - Date.now() / 1000)).toBeLessThan(3600);
    const f = parseExposition(renderExposition([processSamples([{ role: "parent", pid: process.pid }, { role: "vrrp", pid: 2 ** 22 + 7 }])]));
    expect(valueOf(f, "process_resident_memory_bytes", { role: "parent" })).toBeGreaterThan(0);
    expect(f.find((x) => x.name === "process_cpu_seconds_total")!.type).toBe("counter");
    expect(valueOf(f, "process_open_fds", { role: "vrrp" })).toBeUndefined();
  });
});
