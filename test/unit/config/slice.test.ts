/**
 * Per-role configuration slices (src/config/slice.ts): what sliceFor builds for each role is, after the
 * JSON trip over IPC, shaped like that role's slice and not like another's (sliceProblem names the
 * missing area), so a child refuses a slice meant for someone else.
 */
import { describe, expect, test } from "bun:test";
import { isSliceFor, sliceFor, sliceProblem } from "../../../src/config/slice.ts";
import { ROLES } from "../../../src/core/role.ts";
import { instance, loadText } from "../../support/config/helpers.ts";

const CONF = `${instance("")}
virtual_server 192.0.2.10 80 {
  protocol TCP
  real_server 198.51.100.5 80 {
    TCP_CHECK {
    }
  }
}
bfd_instance b1 {
  neighbor_ip 192.0.2.2
}
`;

const overIpc = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

describe("configuration slices", () => {
  const c = loadText(CONF).config;

  test("each role's slice passes its own check after a JSON round trip and fails every other role's", () => {
    for (const role of ROLES) {
      const s = overIpc(sliceFor(c, role));
      expect(sliceProblem(role, s)).toBeUndefined();
      expect(isSliceFor(role, s)).toBe(true);
    }
    expect(sliceProblem("vrrp", overIpc(sliceFor(c, "bfd")))).toBe(
      "slice.vrrp is not an object (not a vrrp slice)",
    );
    expect(sliceProblem("bfd", overIpc(sliceFor(c, "check")))).toBe(
      "slice.bfd is not an object (not a bfd slice)",
    );
    expect(sliceProblem("check", overIpc(sliceFor(c, "vrrp")))).toBe(
      "slice.check is not an object (not a check slice)",
    );
  });

  test("a slice missing a list, its file or its globals is refused with the field named", () => {
    const v = sliceFor(c, "vrrp");
    expect(sliceProblem("vrrp", { ...v, vrrp: { ...v.vrrp, instances: null } })).toBe(
      "slice.vrrp.instances is not an array",
    );
    expect(sliceProblem("vrrp", { ...v, file: 1 })).toBe("slice.file is not a string");
    expect(sliceProblem("vrrp", { ...v, global: [] })).toBe(
      "slice.global is not an object (not a vrrp slice)",
    );
    expect(sliceProblem("check", "config")).toBe("slice is not an object");
  });

  test("the check slice carries track_file definitions but no VRRP instances; the BFD slice only BFD", () => {
    const chk = sliceFor(c, "check");
    expect(chk.vrrp).toEqual({ trackFiles: c.vrrp.trackFiles });
    expect(chk.check.virtualServers).toHaveLength(1);
    expect(Object.keys(sliceFor(c, "bfd")).sort()).toEqual(["bfd", "file", "global"]);
  });
});
