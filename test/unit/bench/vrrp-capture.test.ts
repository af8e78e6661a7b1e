/** bench/vrrp-capture.ts: advert intervals per VRID from tcpdump lines, and tcpdump's drop summary. */
import { describe, expect, test } from "bun:test";
import { advertIntervals, captureDrops } from "../../../bench/vrrp-capture.ts";

const line = (t: string, vrid: number, src = "192.0.2.1") =>
  `${t} IP ${src} > 224.0.0.18: VRRPv3, Advertisement, vrid ${vrid}, prio 150, intvl 10cs, length 12`;

describe("advertIntervals", () => {
  test("intervals are per VRID, from the capture's timestamps", () => {
    const text = [
      line("1000.000000", 1),
      line("1000.000500", 2),
      line("1000.100250", 1),
      line("1000.101500", 2),
      line("1000.200250", 1),
    ].join("\n");
    const iv = advertIntervals(text);
    expect(iv.length).toBe(3);
    expect(iv[0]).toBeCloseTo(100.25, 6);
    expect(iv[1]).toBeCloseTo(101.0, 6);
    expect(iv[2]).toBeCloseTo(100.0, 6);
  });
  test("other senders and other lines are ignored", () => {
    const text = [line("5.0", 7), line("5.05", 7, "192.0.2.2"), "tcpdump: listening on veth0", line("5.1", 7)].join("\n");
    const iv = advertIntervals(text);
    expect(iv.length).toBe(1);
    expect(iv[0]).toBeCloseTo(100, 6);
  });
});

describe("captureDrops", () => {
  test("kernel and interface drops are added", () => {
    const s = "200 packets captured\n200 packets received by filter\n3 packets dropped by kernel\n1 packet dropped by interface\n";
    expect(captureDrops(s)).toBe(4);
  });
  test("no drops", () => {
    expect(captureDrops("201 packets captured\n201 packets received by filter\n0 packets dropped by kernel\n")).toBe(0);
  });
  test("no summary", () => {
    expect(captureDrops("")).toBeUndefined();
  });
});
