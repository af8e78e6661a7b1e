/**
 * Top-level `net_namespace NAME`, beside Debian's keepalived 2.2.7 (prefix kne-): started from the root
 * namespace, each daemon (parent and children) runs inside /run/netns/NAME, its VIP appears on NAME's
 * interface and not in the root namespace, and its pid files are /run/keepalived/NAME/keepalived.pid and
 * vrrp.pid (keepalived's names), gone after TERM; the configuration's interface is found (read inside NAME). A namespace that does not exist stops both at start
 * with keepalived's "Unable to set network namespace NAME - exiting". `-s NAME` does the same, over the
 * configured name.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { collectOutput, Netns, sh, waitFor } from "../support/netns.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const NS = `kne-x${process.pid % 10000}`;
const dir = mkdtempSync("/tmp/kne-netns-");
const ns = new Netns(NS);
ns.ip("link", "add", "kne0", "type", "veth", "peer", "name", "kne1");
ns.ip("link", "set", "kne0", "up");
ns.ip("link", "set", "kne1", "up");
ns.ip("addr", "add", "10.97.0.1/24", "dev", "kne0");
const started: Subprocess[] = [];

afterAll(async () => {
  for (const p of started) if (p.exitCode === null) p.kill("SIGKILL");
  await Promise.all(started.map((p) => p.exited));
  await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const config = (name: string) =>
  `net_namespace ${name}
global_defs {
 router_id kne
}
vrrp_instance V {
 interface kne0
 state MASTER
 priority 200
 virtual_router_id 51
 advert_int 1
 virtual_ipaddress {
  10.97.0.100/24
 }
}
`;

function start(bin: string, label: string, text: string, extra: string[] = []): { proc: Subprocess; log: () => string } {
  const file = join(dir, `${label}.conf`);
  writeFileSync(file, text);
  const proc = Bun.spawn([bin, "-n", "-l", "-D", "-f", file, ...extra], { stdout: "pipe", stderr: "pipe" });
  started.push(proc);
  let out = "";
  collectOutput(proc, (t) => (out += t));
  return { proc, log: () => out };
}

const netIno = (path: string) => statSync(path).ino;
const childrenOf = (pid: number) => sh(["ps", "-o", "pid=", "--ppid", String(pid)], { allowFail: true }).trim().split(/\s+/).filter(Boolean).map(Number);

describe("net_namespace as keepalived 2.2.7's", () => {
  for (const [label, bin] of [["keepalived", async () => KEEPALIVED], ["ours", ensureBinary]] as const) {
    for (const how of ["net_namespace", "-s"] as const) {
      test(`${label} (${how}): runs inside the namespace, VIP only there, keepalived's pid files`, async () => {
        // -s NAME names the namespace on the command line (over a configured one: keepalived logs the override).
        const d = how === "-s" ? start(await bin(), `${label}-s`, config(`${NS}-other`), ["-s", NS]) : start(await bin(), label, config(NS));
        const pidDir = `/run/keepalived/${NS}`;
        await waitFor(`${label}: VIP in ${NS}`, () => ns.ip("addr", "show", "dev", "kne0").includes("10.97.0.100/24"), 30_000);
        expect(sh(["ip", "addr", "show"])).not.toContain("10.97.0.100");
        await waitFor(`${label}: pid files`, () => existsSync(`${pidDir}/keepalived.pid`) && existsSync(`${pidDir}/vrrp.pid`), 10_000);
        const parent = Number(readFileSync(`${pidDir}/keepalived.pid`, "utf8").trim());
        expect(parent).toBe(d.proc.pid);
        const vrrp = Number(readFileSync(`${pidDir}/vrrp.pid`, "utf8").trim());
        expect(childrenOf(parent)).toContain(vrrp);
        const inside = netIno(`/run/netns/${NS}`);
        for (const p of [parent, vrrp]) expect(netIno(`/proc/${p}/ns/net`)).toBe(inside);
        expect(netIno("/proc/self/ns/net")).not.toBe(inside);
        // The configuration is read where the interfaces are (/sys/class/net shows NAME's): no complaint about kne0.
        expect(d.log()).not.toMatch(/kne0.*(does not exist|not found)/i);
        d.proc.kill("SIGTERM");
        await d.proc.exited;
        await waitFor(`${label}: VIP removed`, () => !ns.ip("addr", "show", "dev", "kne0").includes("10.97.0.100"), 10_000);
        expect(existsSync(`${pidDir}/keepalived.pid`)).toBe(false);
        expect(existsSync(`${pidDir}/vrrp.pid`)).toBe(false);
        if (how === "-s") expect(d.log()).toContain(`Overriding config net_namespace '${NS}-other' with command line namespace '${NS}'`);
      }, 60_000);
    }
    test(`${label}: a namespace that does not exist stops the start`, async () => {
      const d = start(await bin(), `${label}-none`, config(`${NS}-none`));
      await d.proc.exited;
      expect(d.log()).toContain(`Unable to set network namespace ${NS}-none - exiting`);
      expect(d.log()).not.toContain("Entering MASTER STATE");
    }, 30_000);
  }
});
