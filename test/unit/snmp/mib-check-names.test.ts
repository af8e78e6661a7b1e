/** `snmp_name` in KEEPALIVED-MIB: virtualServerName (virtualServerEntry 71) and realServerName (realServerEntry 55). */
import { describe, expect, test } from "bun:test";
import { loadText } from "../../support/config/helpers.ts";
import { CheckLive, checkRows } from "../../../src/snmp/mib-check.ts";
import { KEEPALIVED_OID } from "../../../src/snmp/mib-keepalived.ts";

const conf = (vsName: string, rsName: string) =>
  `virtual_server 192.0.2.10 80 {
  lb_kind NAT
  ${vsName}
  real_server 192.0.2.11 80 {
    ${rsName}
    TCP_CHECK {
    }
  }
  real_server 192.0.2.12 80 {
    TCP_CHECK {
    }
  }
}
`;

const text = (rows: ReturnType<typeof checkRows>, oid: number[]) => {
  const v = rows.find((r) => r.oid.join(".") === oid.join("."))?.value;
  return v === undefined ? undefined : typeof v === "string" ? v : new TextDecoder().decode(v as Uint8Array);
};

describe("snmp_name", () => {
  test("the names are served in their columns; a server without one has no such column", () => {
    const r = loadText(conf("snmp_name web-vs", "snmp_name web-1"));
    expect(r.diagnostics.filter((d) => d.message.includes("snmp_name"))).toEqual([]);
    const rows = checkRows(r.config, new CheckLive());
    expect(text(rows, [...KEEPALIVED_OID, 3, 3, 1, 71, 1])).toBe("web-vs");
    expect(text(rows, [...KEEPALIVED_OID, 3, 4, 1, 55, 1, 1])).toBe("web-1");
    expect(text(rows, [...KEEPALIVED_OID, 3, 4, 1, 55, 1, 2])).toBeUndefined();
  });
  test("without snmp_name neither column is there", () => {
    const rows = checkRows(loadText(conf("", "")).config, new CheckLive());
    expect(rows.some((v) => v.oid.length > 12 && (v.oid[12] === 71 || v.oid[12] === 55))).toBe(false);
  });
});
