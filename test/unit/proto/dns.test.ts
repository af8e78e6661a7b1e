import { describe, expect, test } from "bun:test";
import { decodeMessage, DNS_TYPES, encodeQuery, nameToLabels, readName } from "../../../src/proto/dns.ts";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("encodeQuery (RFC 1035 4.1)", () => {
  test("example.com A with RD, id 0x1234", () => {
    const q = encodeQuery({ id: 0x1234, name: "example.com", type: DNS_TYPES.A });
    expect(q.ok && Buffer.from(q.value).toString("hex")).toBe(
      "123401000001000000000000" + "076578616d706c6503636f6d00" + "00010001",
    );
  });

  test("root SOA is a single zero byte name; trailing dot ignored", () => {
    const q = encodeQuery({ id: 1, name: ".", type: DNS_TYPES.SOA });
    expect(q.ok && Buffer.from(q.value).toString("hex")).toBe("000101000001000000000000" + "00" + "00060001");
    const a = encodeQuery({ id: 1, name: "a.b.", type: 1 });
    const b = encodeQuery({ id: 1, name: "a.b", type: 1 });
    expect(a).toEqual(b);
  });

  test("bad names are reported, not thrown", () => {
    expect(nameToLabels("a..b")).toMatchObject({ ok: false });
    expect(nameToLabels(`${"x".repeat(64)}.com`)).toMatchObject({ ok: false });
    expect(nameToLabels(Array(130).fill("ab").join("."))).toMatchObject({ ok: false });
    expect(encodeQuery({ id: 1, name: "a..b", type: 1 }).ok).toBe(false);
  });
});

describe("decodeMessage", () => {
  // Response to example.com A: QR RD RA, one answer using a compression pointer to offset 12.
  const resp = hex(`
    1234 8180 0001 0001 0000 0000
    076578616d706c6503636f6d00 0001 0001
    c00c 0001 0001 00000e10 0004 c0000201`);

  test("decodes header, question and a compressed answer", () => {
    const m = decodeMessage(resp);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.value).toMatchObject({ id: 0x1234, response: true, rcode: 0, recursionAvailable: true });
    expect(m.value.questions).toEqual([{ name: "example.com", type: 1, class: 1 }]);
    expect(m.value.answers[0]).toMatchObject({ name: "example.com", type: 1, ttl: 3600 });
    expect(Array.from(m.value.answers[0]?.rdata ?? [])).toEqual([192, 0, 2, 1]);
  });

  test("NXDOMAIN rcode", () => {
    const b = resp.slice(0, 29);
    b[3] = 0x83;
    b[7] = 0; // ANCOUNT 0
    const m = decodeMessage(b);
    expect(m.ok && m.value.rcode).toBe(3);
  });

  test("every truncation is a reason, never a throw", () => {
    for (let n = 0; n < resp.length; n++) {
      const m = decodeMessage(resp.subarray(0, n));
      expect(m.ok).toBe(false);
    }
  });

  test("pointer loops and bad label types are rejected", () => {
    expect(readName(hex("c000"), 0)).toMatchObject({ ok: false, reason: "compression pointer loop" });
    expect(readName(hex("4001"), 0)).toMatchObject({ ok: false });
  });

  test("fuzz: random bytes never throw", () => {
    let seed = 3;
    for (let i = 0; i < 500; i++) {
      const b = new Uint8Array(12 + (i % 60)).map(() => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed & 0xff;
      });
      expect(() => decodeMessage(b)).not.toThrow();
    }
  });
});
