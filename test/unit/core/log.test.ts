import { describe, expect, test } from "bun:test";
import { consoleTime, Logger, RateLimitedLog, rfc3164Time, syslogLine } from "../../../src/core/log.ts";

describe("log formats", () => {
  const d = new Date(2026, 10, 5, 9, 8, 7);
  test("RFC 3164 timestamp pads the day with a space", () => {
    expect(rfc3164Time(d)).toBe("Nov  5 09:08:07");
  });
  test("syslog line carries PRI, ident and pid", () => {
    expect(syslogLine(3, 6, "Keepalived_vrrp", 42, "(VI_1) Entering MASTER STATE", d)).toBe(
      "<30>Nov  5 09:08:07 Keepalived_vrrp[42]: (VI_1) Entering MASTER STATE",
    );
    expect(syslogLine(16 + 7, 3, "Keepalived", 1, "x", d).startsWith("<187>")).toBe(true);
  });
  test("console format is keepalived's", () => {
    expect(consoleTime(d)).toBe("Thu Nov 05 09:08:07 2026");
  });
  test("prefixes compose and debug needs detail", () => {
    const lines: string[] = [];
    const l = new Logger({ ident: "K", console: false, syslog: true, facility: 3, detail: false, syslogSend: (s) => lines.push(s) });
    l.with("(VI_1) ").info("hello");
    l.debug("hidden");
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/K\[\d+\]: \(VI_1\) hello$/);
  });
  test("rate limiting counts what it suppresses", () => {
    const lines: string[] = [];
    let now = 0;
    const l = new Logger({ ident: "K", console: false, syslog: true, facility: 3, detail: false, syslogSend: (s) => lines.push(s) });
    const r = new RateLimitedLog(l, 1000, () => now);
    r.warn("k", "bad packet");
    r.warn("k", "bad packet");
    r.warn("k", "bad packet");
    now = 1500;
    r.warn("k", "bad packet");
    expect(lines.length).toBe(2);
    expect(lines[1]).toMatch(/bad packet \(2 similar messages suppressed\)$/);
  });
  test("rate limiter builds a suppressed message not at all", () => {
    const l = new Logger({ ident: "t", console: false, syslog: true, facility: 3, detail: false, syslogSend: () => {} });
    let now = 0, built = 0;
    const r = new RateLimitedLog(l, 1000, () => now);
    for (let i = 0; i < 100; i++) r.warnWith("k", () => `drop ${++built}`);
    expect(built).toBe(1);
    now = 2000;
    r.warnWith("k", () => `drop ${++built}`);
    expect(built).toBe(2);
  });
});
