/** OIDs and the sorted MIB view (src/snmp/oid.ts): order, Get, GetNext inside search ranges. */
import { describe, expect, test } from "bun:test";
import { compareOid, MibView, parseOid, stringIndex, under, type Varbind } from "../../../src/snmp/oid.ts";

const vb = (oid: string, value = 1): Varbind => ({ oid: parseOid(oid), type: "int", value });

describe("OIDs", () => {
  test("parse and order as RFC 2578 §7.8 (numeric, shorter first)", () => {
    expect(parseOid(".1.3.6.1")).toEqual([1, 3, 6, 1]);
    expect(() => parseOid("1.3.x")).toThrow(/bad OID sub-identifier 'x' in '1.3.x'/);
    expect(() => parseOid("1.4294967296")).toThrow(/4294967296/);
    expect(compareOid([1, 3, 6], [1, 3, 6, 1])).toBeLessThan(0);
    expect(compareOid([1, 3, 10], [1, 3, 9, 5])).toBeGreaterThan(0);
    expect(compareOid([1, 2], [1, 2])).toBe(0);
    expect(under([1, 3, 6, 1, 2], [1, 3, 6])).toBe(true);
    expect(under([1, 3], [1, 3, 6])).toBe(false);
    expect(stringIndex("ab")).toEqual([2, 97, 98]);
  });
});

describe("MibView", () => {
  const view = new MibView([vb("1.3.6.1.2.1.207.1.1.1.1.3.2.61.2"), vb("1.3.6.1.2.1.68.1.1.0"), vb("1.3.6.1.2.1.68.1.10.0"), vb("1.3.6.1.2.1.68.1.2.0")]);

  test("sorts its rows and finds exact instances", () => {
    expect(view.rows().map((r) => r.oid.join("."))).toEqual([
      "1.3.6.1.2.1.68.1.1.0",
      "1.3.6.1.2.1.68.1.2.0",
      "1.3.6.1.2.1.68.1.10.0",
      "1.3.6.1.2.1.207.1.1.1.1.3.2.61.2",
    ]);
    expect(view.get(parseOid("1.3.6.1.2.1.68.1.2.0"))?.value).toBe(1);
    expect(view.get(parseOid("1.3.6.1.2.1.68.1.2"))).toBeUndefined();
  });

  test("GetNext: strictly after the start, at it with include, never at or past the range end", () => {
    expect(view.next(parseOid("1.3.6.1.2.1.68"))?.oid.join(".")).toBe("1.3.6.1.2.1.68.1.1.0");
    expect(view.next(parseOid("1.3.6.1.2.1.68.1.1.0"))?.oid.join(".")).toBe("1.3.6.1.2.1.68.1.2.0");
    expect(view.next(parseOid("1.3.6.1.2.1.68.1.1.0"), true)?.oid.join(".")).toBe("1.3.6.1.2.1.68.1.1.0");
    expect(view.next(parseOid("1.3.6.1.2.1.68.1.10.0"), false, parseOid("1.3.6.1.2.1.69"))).toBeUndefined();
    expect(view.next(parseOid("1.3.6.1.2.1.68.1.10.0"), false, null)?.oid.join(".")).toBe("1.3.6.1.2.1.207.1.1.1.1.3.2.61.2");
    expect(view.next(parseOid("1.3.6.1.2.1.300"))).toBeUndefined();
  });

  test("a duplicate OID is an error naming it", () => {
    expect(() => new MibView([vb("1.3.6.1"), vb("1.3.6.1")])).toThrow(/duplicate OID 1.3.6.1/);
  });
});
