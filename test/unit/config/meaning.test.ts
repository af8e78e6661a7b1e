/** Tests for src/config/meaning.ts: configurations compared by meaning, never by source location. */
import { describe, expect, test } from "bun:test";
import { meaningKey } from "../../../src/config/meaning.ts";
import { loadText } from "../../support/config/helpers.ts";

describe("meaningKey", () => {
  test("leaves out {file, line} at any depth and sorts keys; keeps list order", () => {
    const a = { b: 1, a: [{ x: 1, src: { file: "f", line: 1 } }], src: { file: "f", line: 9 } };
    const b = { src: { file: "g", line: 2 }, a: [{ src: { file: "g", line: 3 }, x: 1 }], b: 1 };
    expect(meaningKey(a)).toBe(meaningKey(b));
    expect(meaningKey(a)).toBe(`{"a":[{"x":1}],"b":1}`);
    expect(meaningKey([1, 2])).not.toBe(meaningKey([2, 1]));
    // An object that only looks like a location in part is data.
    expect(meaningKey({ v: { file: "f", line: 1, more: true } })).toContain("more");
  });

  test("whole configurations: comments, includes, moved blocks and reordered keywords compare equal", () => {
    const vs =
      `virtual_server 10.0.0.1 80 {\n  delay_loop 5\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    weight 2\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n}\n`;
    const vsMoved =
      `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n      connect_timeout 3\n    }\n    weight 2\n  }\n  lb_kind DR\n  lb_algo rr\n  delay_loop 5\n}\n`;
    const vi = `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1/24\n  }\n}\n`;
    const a = loadText(`global_defs {\n  router_id x\n}\n${vi}${vs}`);
    const b = loadText(`# top\n${vsMoved}\ninclude /etc/keepalived/vi.conf\n\nglobal_defs {\n  router_id x   ! same\n}\n`, {
      "/etc/keepalived/vi.conf": `\n${vi}`,
    });
    const parts = (r: typeof a) => [r.config.global, r.config.vrrp, r.config.check, r.config.bfd];
    expect(b.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
    expect(meaningKey(parts(b))).toBe(meaningKey(parts(a)));
    expect(JSON.stringify(b.config.vrrp.instances)).not.toBe(JSON.stringify(a.config.vrrp.instances));
  });
});
