import { describe, expect, test } from "bun:test";
import { compareIp, formatIp, formatMac, parseIp, parseIPv4, parseIPv6, parseMac } from "../../../src/core/inet.ts";

describe("inet", () => {
  test("IPv4 parse and format", () => {
    expect(parseIPv4("192.0.2.1")).toEqual(Uint8Array.of(192, 0, 2, 1));
    for (const bad of ["192.0.2", "192.0.2.256", "1.2.3.4.5", "a.b.c.d", "", "1..2.3"]) expect(parseIPv4(bad)).toBeUndefined();
    expect(formatIp(Uint8Array.of(10, 0, 0, 255))).toBe("10.0.0.255");
  });
  test("IPv6 parse and RFC 5952 format", () => {
    const cases: [string, string][] = [
      ["2001:db8::1", "2001:db8::1"],
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["::", "::"],
      ["::1", "::1"],
      ["fe80::1%eth0", "fe80::1"],
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["::ffff:192.0.2.1", "::ffff:c000:201"],
      ["2001:0:0:1::1", "2001:0:0:1::1"],
      ["ff02::12", "ff02::12"],
    ];
    for (const [i, o] of cases) expect(formatIp(parseIPv6(i)!)).toBe(o);
    for (const bad of [":::", "1:2:3:4:5:6:7:8:9", "2001:db8::1::2", "12345::", "g::1"]) expect(parseIPv6(bad)).toBeUndefined();
  });
  test("parseIp picks the family; compareIp orders numerically", () => {
    expect(parseIp("192.0.2.1")?.family).toBe("ipv4");
    expect(parseIp("2001:db8::1")?.family).toBe("ipv6");
    expect(parseIp("nope")).toBeUndefined();
    expect(compareIp(parseIPv4("192.0.2.10")!, parseIPv4("192.0.2.9")!)).toBe(1);
    expect(compareIp(parseIPv4("192.0.2.1")!, parseIPv4("192.0.2.1")!)).toBe(0);
  });
  test("MAC", () => {
    expect(formatMac(parseMac("00:00:5E:00:01:33")!)).toBe("00:00:5e:00:01:33");
    expect(parseMac("00:00:5e:00:01")).toBeUndefined();
  });
});
