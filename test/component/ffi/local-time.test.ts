/** localTime (libc localtime_r) against JavaScriptCore's own local-time getters, in this process's zone. */
import { describe, expect, test } from "bun:test";
import { localTime } from "../../../src/ffi/libc.ts";
import { consoleTime, localFromDate, Logger } from "../../../src/core/log.ts";

describe("localTime", () => {
  test("agrees with the Date's local getters, across years, months and a leap day", () => {
    for (const ms of [0, 951_825_600_000, 1_709_208_000_000, Date.UTC(2026, 11, 2, 23, 59, 59), Date.now()]) {
      expect(localTime(ms)).toEqual(localFromDate(new Date(ms)));
    }
  });
  test("sub-second parts are cut, not rounded", () => {
    const ms = Date.UTC(2026, 0, 1, 12, 0, 0) + 999;
    expect(localTime(ms).seconds).toBe(new Date(ms).getSeconds());
  });
  test("the logger stamps its lines with the injected clock", () => {
    const lines: string[] = [];
    const at = { year: 2026, month: 10, day: 5, hours: 9, minutes: 8, seconds: 7, weekday: 4 };
    const l = new Logger({ ident: "K", console: false, syslog: true, facility: 3, detail: false, syslogSend: (s) => lines.push(s), localTime: () => at });
    l.info("hello");
    expect(lines).toEqual(["<30>Nov  5 09:08:07 K[" + process.pid + "]: hello"]);
    expect(consoleTime(at)).toBe("Thu Nov 05 09:08:07 2026");
  });
});
