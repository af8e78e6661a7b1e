import { describe, expect, test } from "bun:test";
import { internetChecksum } from "../../../src/proto/checksum.ts";
import { decodeIcmp, encodeEchoRequest, isReplyTo, stripIpv4Header } from "../../../src/proto/icmp.ts";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const loop6 = hex("00000000000000000000000000000001");

describe("ICMP echo (RFC 792)", () => {
  test("echo request id 1 seq 1 without data has checksum 0xf7fd", () => {
    const b = encodeEchoRequest("ipv4", { id: 1, seq: 1, payload: new Uint8Array(0) });
    expect(Buffer.from(b).toString("hex")).toBe("0800f7fd00010001");
  });

  test("an echo reply round-trips with payload and verified checksum", () => {
    const req = encodeEchoRequest("ipv4", { id: 0xbeef, seq: 7, payload: new TextEncoder().encode("kck-ping") });
    const reply = req.slice();
    reply[0] = 0;
    reply[2] = 0;
    reply[3] = 0;
    new DataView(reply.buffer).setUint16(2, internetChecksum(reply));
    const m = decodeIcmp("ipv4", reply);
    expect(m.ok && isReplyTo(m.value, 0xbeef, 7)).toBe(true);
    reply[9] = (reply[9] ?? 0) ^ 1;
    expect(decodeIcmp("ipv4", reply)).toEqual({ ok: false, reason: "bad ICMP checksum" });
  });

  test("port unreachable quoting our echo request yields its id and seq", () => {
    const inner = encodeEchoRequest("ipv4", { id: 9, seq: 2, payload: new Uint8Array(0) });
    const ip = hex("45000024000000004001000cc0000201c0000202");
    const body = new Uint8Array(8 + ip.length + inner.length);
    body[0] = 3;
    body[1] = 1;
    body.set(ip, 8);
    body.set(inner, 28);
    const m = decodeIcmp("ipv4", body, { verifyChecksum: false });
    expect(m).toEqual({ ok: true, value: { kind: "unreachable", code: 1, original: { id: 9, seq: 2 } } });
  });

  test("IPv4 header stripping checks version, IHL and protocol", () => {
    const pkt = new Uint8Array(28);
    pkt.set(hex("4500001c00000000400100000000000000000000"));
    expect(stripIpv4Header(pkt)).toMatchObject({ ok: true });
    pkt[9] = 6;
    expect(stripIpv4Header(pkt)).toMatchObject({ ok: false, reason: "IP protocol 6, want 1 (ICMP)" });
    expect(stripIpv4Header(pkt.subarray(0, 10))).toMatchObject({ ok: false });
  });
});

describe("ICMPv6 echo (RFC 4443)", () => {
  test("::1 -> ::1 echo request id 0 seq 0 has checksum 0x7fbb", () => {
    const b = encodeEchoRequest("ipv6", { id: 0, seq: 0, payload: new Uint8Array(0) }, { src: loop6, dst: loop6 });
    expect(Buffer.from(b).toString("hex")).toBe("80007fbb00000000");
  });

  test("without addresses the checksum is left for the kernel", () => {
    const b = encodeEchoRequest("ipv6", { id: 5, seq: 6, payload: new Uint8Array([1, 2]) });
    expect(Buffer.from(b).toString("hex")).toBe("80000000000500060102");
  });

  test("echo reply decodes and is matched; pseudo-header checksum verified", () => {
    const req = encodeEchoRequest("ipv6", { id: 0, seq: 0, payload: new Uint8Array(0) }, {
      src: loop6,
      dst: loop6,
    });
    const reply = req.slice();
    reply[0] = 129; // type +1 lowers the sum by 0x0100
    new DataView(reply.buffer).setUint16(2, 0x7fbb - 0x0100);
    const m = decodeIcmp("ipv6", reply, { pair: { src: loop6, dst: loop6 } });
    expect(m.ok && isReplyTo(m.value, 0, 0)).toBe(true);
    expect(decodeIcmp("ipv6", reply, { pair: { src: loop6, dst: hex("20010db8000000000000000000000001") } }))
      .toMatchObject({ ok: false });
  });

  test("short and unknown messages", () => {
    expect(decodeIcmp("ipv6", new Uint8Array(4))).toMatchObject({ ok: false });
    expect(decodeIcmp("ipv6", hex("8700000000000000"), { verifyChecksum: false })).toEqual({
      ok: true,
      value: { kind: "other", type: 135, code: 0 },
    });
  });
});
