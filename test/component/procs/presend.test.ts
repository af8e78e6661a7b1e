/**
 * presendVrrp (src/procs/presend.ts): generation 1's configuration written into the early VRRP child's
 * channel right after the parse, only when the parent will adopt that child as it is and nothing must
 * run before it. The "child" here is a socket pair's other end (read back) behind an adopted pid that is
 * not ours (it reads as exited at once, so nothing is signalled).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "../../../src/cli.ts";
import { loadConfig } from "../../../src/config/index.ts";
import { FdStream } from "../../../src/ffi/fdstream.ts";
import { socketPair } from "../../../src/ffi/libc.ts";
import { presendVrrp, wantedRoles } from "../../../src/procs/presend.ts";
import { childArgv, EarlyChild } from "../../../src/procs/prespawn.ts";
import { childEnv } from "../../../src/procs/tuning.ts";

const dir = mkdtempSync("/tmp/kt-presend-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INSTANCE = `vrrp_instance VI_1 {
  state MASTER
  interface lo
  virtual_router_id 9
  priority 150
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

/** Parses `conf` as `keepalived -n ARGS -f FILE` and runs presendVrrp on an early child; what arrived on its end. */
function presend(name: string, conf: string, args: string[] = [], env?: Record<string, string>) {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, conf);
  const o = parseArgs(["-n", ...args, "-f", file]);
  const c = loadConfig(file, { configId: "kt", interfaceExists: () => true }).config;
  const [ours, theirs] = socketPair();
  const early = new EarlyChild(childArgv(o, "vrrp"), env ?? childEnv("vrrp", c)!, { pid: process.pid, fd: ours });
  presendVrrp(o, c, early);
  const got = new FdStream(theirs).readAvailable().chunks.map((b) => new TextDecoder().decode(b)).join("");
  return { sent: early.configSent, got, roles: wantedRoles(o, c) };
}

test("a plain VRRP configuration: generation 1's slice is in the channel, one framed message, and the child is marked", () => {
  const r = presend("plain", `global_defs {\n  router_id kt\n}\n${INSTANCE}`);
  expect(r.sent).toBe(true);
  expect(r.got.endsWith("\n")).toBe(true);
  const m = JSON.parse(r.got) as { msg: { type: string; generation: number; reload: boolean; slice: { vrrp: { instances: { name: string }[] } } } };
  expect([m.msg.type, m.msg.generation, m.msg.reload]).toEqual(["config", 1, false]);
  expect(m.msg.slice.vrrp.instances.map((i) => i.name)).toEqual(["VI_1"]);
});

test("nothing is sent when something must come first or the child would not be adopted", () => {
  const script = presend("script", `global_defs {\n  startup_script /bin/true\n}\n${INSTANCE}`);
  const igmp = presend("igmp", `global_defs {\n  disable_local_igmp\n}\n${INSTANCE}`);
  const checkOnly = presend("c", `global_defs {\n}\n${INSTANCE}`, ["-C"]);
  const otherEnv = presend("env", `global_defs {\n}\n${INSTANCE}`, [], { ...childEnv("vrrp")!, KT_OTHER: "1" });
  for (const r of [script, igmp, checkOnly, otherEnv]) expect([r.sent, r.got]).toEqual([false, ""]);
  expect(checkOnly.roles).not.toContain("vrrp");
  expect(script.roles).toContain("vrrp");
});
