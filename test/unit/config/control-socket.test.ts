/** `control_socket` in global_defs (src/config/kw-global.ts, docs/control.md): default, none, path, mode, group, errors. */
import { describe, expect, test } from "bun:test";
import { loadText } from "../../support/config/helpers.ts";

const g = (line: string) => loadText(`global_defs {\n${line}\n}\n`);

describe("control_socket", () => {
  test("default on at the derived path; none; PATH MODE GROUP", () => {
    expect(g("").config.global.controlSocket).toEqual({ path: null, mode: 0o600, group: null });
    expect(g("control_socket none").config.global.controlSocket).toBeNull();
    expect(g("control_socket /run/k/c.sock").config.global.controlSocket).toEqual({ path: "/run/k/c.sock", mode: 0o600, group: null });
    expect(g("control_socket /run/k/c.sock 0660 lbadmin").config.global.controlSocket).toEqual({ path: "/run/k/c.sock", mode: 0o660, group: "lbadmin" });
  });

  test("bad path, mode or extra argument: file:line error, the default stays", () => {
    for (
      const [line, msg] of [
        ["control_socket relative.sock", "control_socket: expected an absolute socket path or none, got 'relative.sock'"],
        ["control_socket /run/k/", "control_socket: expected an absolute socket path or none, got '/run/k/'"],
        ["control_socket /run/k/c.sock 0666", "control_socket: mode '0666' must be 0600, 0620, 0640 or 0660"],
        ["control_socket /run/k/c.sock 0700", "control_socket: mode '0700' must be 0600, 0620, 0640 or 0660"],
        ["control_socket /run/k/c.sock rw", "control_socket: mode 'rw' must be 0600, 0620, 0640 or 0660"],
        ["control_socket /run/k/c.sock 0600 g extra", "control_socket: unexpected 'extra'"],
      ] as const
    ) {
      const r = g(line);
      expect(r.diagnostics).toContainEqual(expect.objectContaining({ line: 2, severity: "error", message: msg }));
      expect(r.config.global.controlSocket).toEqual({ path: null, mode: 0o600, group: null });
    }
  });
});
