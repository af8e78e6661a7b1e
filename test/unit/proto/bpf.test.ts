/** src/proto/bpf.ts: the priority-0 filter's instructions, byte for byte (struct sock_filter, little-endian). */
import { describe, expect, test } from "bun:test";
import { echoFilter, encodeFilter, priorityZeroFilter } from "../../../src/proto/bpf.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("BPF filters", () => {
  test("encodeFilter: code (u16), jt, jf, k (u32)", () => {
    expect(hex(encodeFilter([{ code: 0x15, jt: 1, jf: 2, k: 0x01020304 }]))).toBe("1500010204030201");
  });
  test("IPv4: X = 4 x IHL, load the byte at X + 2, accept when 0", () => {
    expect(hex(priorityZeroFilter("ipv4"))).toBe(
      "b100000000000000" + // ldxb 4*([0]&0xf)
        "5000000002000000" + // ldb [x+2]
        "1500000100000000" + // jeq #0, +0, +1
        "06000000ffff0000" + // ret #65535
        "0600000000000000", // ret #0
    );
  });
  test("IPv6: the raw socket gives the VRRP header first: load byte 2", () => {
    expect(hex(priorityZeroFilter("ipv6")).slice(0, 16)).toBe("3000000002000000");
    expect(priorityZeroFilter("ipv6").length).toBe(4 * 8);
  });
});

describe("PING_CHECK echo filter", () => {
  test("IPv4: X = 4 x IHL; echo reply (0) with our identifier, unreachable (3) and time exceeded (11) accepted", () => {
    expect(hex(echoFilter("ipv4", 0xbeef))).toBe(
      "b100000000000000" + // ldxb 4*([0]&0xf)
        "5000000000000000" + // ldb [x+0]: type
        "1500020000000000" + // jeq #0, +2 (the identifier), +0
        "1500040003000000" + // jeq #3, +4 (accept), +0
        "150003020b000000" + // jeq #11, +3 (accept), +2 (drop)
        "4800000004000000" + // ldh [x+4]: identifier
        "15000100efbe0000" + // jeq #0xbeef, +1 (accept), +0 (drop)
        "0600000000000000" + // ret #0
        "06000000ffff0000", // ret #65535
    );
  });
  test("IPv6: the ICMPv6 header first (absolute loads); echo reply 129, unreachable 1, time exceeded 3", () => {
    expect(hex(echoFilter("ipv6", 0x1234))).toBe(
      "3000000000000000" + // ldb [0]
        "1500020081000000" + // jeq #129
        "1500040001000000" + // jeq #1
        "1500030203000000" + // jeq #3
        "2800000004000000" + // ldh [4]
        "1500010034120000" + // jeq #0x1234
        "0600000000000000" +
        "06000000ffff0000",
    );
  });
});
