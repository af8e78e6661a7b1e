/** src/proto/bpf.ts: the priority-0 filter's instructions, byte for byte (struct sock_filter, little-endian). */
import { describe, expect, test } from "bun:test";
import { encodeFilter, priorityZeroFilter } from "../../../src/proto/bpf.ts";

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
