/** config_save_dir's copy of the configuration and its file names (src/procs/config-save.ts). */
import { describe, expect, test } from "bun:test";
import { childSavePath, configCopy } from "../../../src/procs/config-save.ts";

describe("config_save_dir", () => {
  test("each file: a # PATH line, its lines without comments or surrounding blanks, a closing !", () => {
    const text = configCopy([
      { path: "/etc/k.conf", text: "global_defs {\n   router_id a   # id\n}\ninclude /etc/b.conf\n" },
      { path: "/etc/b.conf", text: "  ! only a comment\nvrrp_instance V {\n  interface eth0\n}" },
    ]);
    expect(text).toBe(
      "# /etc/k.conf\nglobal_defs {\nrouter_id a\n}\ninclude /etc/b.conf\n!\n# /etc/b.conf\n\nvrrp_instance V {\ninterface eth0\n}\n!\n",
    );
  });
  test("a child's dump before and after reload N", () => {
    expect(childSavePath("/s", "vrrp", 42, 3, "pre")).toBe("/s/keepalived_vrrp.42.3.pre");
    expect(childSavePath("/s", "bfd", 7, 1, "post")).toBe("/s/keepalived_bfd.7.1.post");
  });
});
