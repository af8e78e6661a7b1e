/**
 * Where `keepalived ctl` looks for the control socket (src/control/ctl-locate.ts): -s, then the
 * configuration's control_socket, then the pid file (-p, or as instance / use_pid_dir / net_namespace
 * name it), read from -f CONF or the default file; through the real configuration loader on real files.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCtlArgs, Usage } from "../../../src/control/client.ts";
import { ctlSocketPath, DEFAULT_CONFIG_FILE, type ReadNaming, readNaming } from "../../../src/control/ctl-locate.ts";

const dir = mkdtempSync(join(tmpdir(), "kd-ctl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const conf = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const none: ReadNaming = () => undefined;

describe("keepalived ctl finds the socket the daemon opens", () => {
  test("from a configuration file: instance, use_pid_dir, net_namespace, control_socket", () => {
    const plain = conf("plain.conf", "global_defs {\n  router_id r\n}\n");
    const inst = conf("inst.conf", "instance blue\nglobal_defs {\n  router_id r\n}\n");
    const pidDir = conf("piddir.conf", "use_pid_dir\n");
    const sock = conf("sock.conf", "instance blue\nglobal_defs {\n  control_socket /tmp/kd-ctl-x/c.sock\n}\n");
    const off = conf("off.conf", "global_defs {\n  control_socket none\n}\n");
    expect(ctlSocketPath({ file: plain })).toBe("/run/keepalived/control.sock");
    expect(ctlSocketPath({ file: inst })).toBe("/run/keepalived/keepalived_blue.ctl/control.sock");
    expect(ctlSocketPath({ file: pidDir })).toBe("/run/keepalived/keepalived.ctl/control.sock");
    expect(ctlSocketPath({ file: sock })).toBe("/tmp/kd-ctl-x/c.sock");
    expect(ctlSocketPath({ file: sock, pid: "/tmp/a.pid" })).toBe("/tmp/kd-ctl-x/c.sock"); // the daemon's choice too
    expect(ctlSocketPath({ file: inst, pid: "/tmp/a.pid" })).toBe("/tmp/a.ctl/control.sock");
    expect(ctlSocketPath({ file: plain, instance: "red" })).toBe("/run/keepalived/keepalived_red.ctl/control.sock");
    expect(ctlSocketPath({ file: off, socket: "/tmp/s.sock" })).toBe("/tmp/s.sock");
    expect(() => ctlSocketPath({ file: off })).toThrow("control_socket none");
    expect(() => ctlSocketPath({ file: join(dir, "missing.conf") })).toThrow("no such file");
    expect(readNaming(join(dir, "missing.conf"), null)).toBeUndefined();
  });

  test("net_namespace moves the pid directory one level down; the default file is read when there is no -f", () => {
    const seen: string[] = [];
    const ns: ReadNaming = (f) => (seen.push(f), { instance: "b", usePidDir: false, namespace: "ns1", controlSocket: { path: null } });
    expect(ctlSocketPath({}, ns)).toBe("/run/keepalived/ns1/keepalived_b.ctl/control.sock");
    expect(seen).toEqual([DEFAULT_CONFIG_FILE]);
    expect(ctlSocketPath({}, none)).toBe("/run/keepalived/control.sock");
    expect(ctlSocketPath({ instance: "g" }, none)).toBe("/run/keepalived/keepalived_g.ctl/control.sock");
  });

  test("the ctl command line: -f, --use-file, -i, --instance; a file that cannot be read is a usage error", () => {
    const inst = conf("inst2.conf", "@h1 instance one\n@h2 instance two\n");
    expect(parseCtlArgs(["-f", inst, "-i", "h2", "status"]).socket).toBe("/run/keepalived/keepalived_two.ctl/control.sock");
    expect(parseCtlArgs(["--use-file", inst, "--config-id", "h1", "status"]).socket).toBe("/run/keepalived/keepalived_one.ctl/control.sock");
    expect(parseCtlArgs(["--instance", "z", "status"], none).socket).toBe("/run/keepalived/keepalived_z.ctl/control.sock");
    expect(() => parseCtlArgs(["-f", join(dir, "nope.conf"), "status"])).toThrow(Usage);
  });
});
