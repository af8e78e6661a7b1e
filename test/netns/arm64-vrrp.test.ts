/**
 * The linux-arm64 binary under qemu user-mode emulation (test/support/arm64.ts) against Debian's
 * keepalived 2.2.7 (x86-64) in namespaces (prefix kfp-v), VRRPv3 IPv4 multicast and VRRPv2 IPv4
 * unicast (RFC 5798 §6.4, RFC 3768 §6.4): ours MASTER with keepalived BACKUP, SIGKILL ours → keepalived
 * MASTER, ours back with the higher priority preempts, then ours BACKUP under keepalived and SIGKILL
 * keepalived → ours MASTER. Kernel options qemu does not translate (SO_TIMESTAMPNS, IP_MULTICAST_ALL,
 * IP_MULTICAST_IF) must be reported once and must not stop the instance. Adverts every second: the
 * emulated runtime is several times slower than a native one.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { arm64Binary } from "../support/arm64.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";

interface Variant {
  name: string;
  version: 2 | 3;
  unicast: boolean;
}
const VARIANTS: Variant[] = [
  { name: "VRRPv3 IPv4 multicast", version: 3, unicast: false },
  { name: "VRRPv2 IPv4 unicast", version: 2, unicast: true },
];
const A = "192.0.2.1", B = "192.0.2.2", VIP = "192.0.2.100";

function conf(v: Variant, prio: number, me: string, peer: string): string {
  const uni = v.unicast ? `  unicast_src_ip ${me}\n  unicast_peer {\n    ${peer}\n  }\n` : "";
  return `global_defs {\n  router_id kfp_${me.replace(/\./g, "_")}\n  vrrp_version ${v.version}\n}
vrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 62\n  priority ${prio}\n  advert_int 1
${uni}  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
}

/** One daemon (ours or keepalived) in one namespace, its console log in a file. */
class Side {
  proc: Subprocess | undefined;
  #run = 0;
  constructor(readonly ns: Netns, readonly dir: string, readonly tag: string) {}
  /** Starts a run; its console log is a file of its own (`log()` reads the latest run's). */
  start(bin: string, text: string): void {
    const f = (s: string) => join(this.dir, `${this.tag}-${s}`);
    writeFileSync(f("conf"), text);
    this.#run++;
    this.proc = this.ns.spawn([bin, "-n", "-l", "-D", "-f", f("conf"), "-p", f("k.pid"), "-r", f("v.pid"), "-c", f("c.pid"), "-b", f("b.pid")], {
      stderr: "pipe",
      stdout: "pipe",
    });
    const out = Bun.file(f(`${this.#run}.log`)).writer();
    for (const s of [this.proc.stderr, this.proc.stdout] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        for await (const chunk of s) {
          out.write(chunk);
          out.flush();
        }
      })();
    }
  }
  log(): string {
    try {
      return readFileSync(join(this.dir, `${this.tag}-${this.#run}.log`), "utf8");
    } catch {
      return "";
    }
  }
  transitions(): string[] {
    return [...this.log().matchAll(/\(VI_1\) Entering (MASTER|BACKUP) STATE/g)].map((m) => m[1]!);
  }
  /** SIGKILL, the VRRP child first so it cannot send priority 0. */
  async hardKill(): Promise<void> {
    try {
      process.kill(Number(readFileSync(join(this.dir, `${this.tag}-v.pid`), "utf8")), "SIGKILL");
    } catch { /* already gone */ }
    this.proc?.kill("SIGKILL");
    await this.proc?.exited;
  }
  async term(): Promise<void> {
    this.proc?.kill("SIGTERM");
    await this.proc?.exited;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function variantTest(v: Variant): Promise<void> {
  const bin = await arm64Binary();
  const id = `${process.pid % 10000}${VARIANTS.indexOf(v)}`;
  const a = new Netns(`kfp-va${id}`), b = new Netns(`kfp-vb${id}`);
  const dir = mkdtempSync("/tmp/kfp-vrrp-");
  cleanups.push(async () => {
    await a.destroy();
    await b.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  vethPair(a, "veth0", b, "veth0");
  a.ip("addr", "add", `${A}/24`, "dev", "veth0");
  b.ip("addr", "add", `${B}/24`, "dev", "veth0");
  const hasVip = (ns: Netns) => ns.ip("-4", "addr", "show", "dev", "veth0").includes(`${VIP}/`);
  const ours = new Side(a, dir, "ours"), ka = new Side(b, dir, "ka");
  const dump = () => `--- keepalived:\n${ka.log().slice(-3000)}\n--- ours (arm64):\n${ours.log().slice(-3000)}`;
  const step = async (what: string, f: () => boolean, ms = 40_000) => {
    try {
      await waitFor(what, f, ms, 100);
    } catch (e) {
      console.log(dump());
      throw e;
    }
  };

  // 1. keepalived BACKUP (100), ours (150) becomes MASTER; the refused options are said once each.
  ka.start("/usr/sbin/keepalived", conf(v, 100, B, A));
  await step("keepalived BACKUP", () => ka.transitions().includes("BACKUP"));
  ours.start(bin, conf(v, 150, A, B));
  await step("ours MASTER with the VIP", () => hasVip(a) && ours.transitions().at(-1) === "MASTER" && ka.transitions().at(-1) === "BACKUP");
  expect(hasVip(b)).toBe(false);
  expect(ours.log()).not.toContain("cannot open VRRP sockets");
  expect(ours.log().match(/no kernel receive timestamps/g)?.length ?? 0).toBeLessThanOrEqual(1);

  // 2. SIGKILL ours: keepalived takes over after Master_Down_Interval.
  await ours.hardKill();
  await step("keepalived MASTER after our SIGKILL", () => hasVip(b) && ka.transitions().at(-1) === "MASTER");
  a.ip("addr", "del", `${VIP}/24`, "dev", "veth0"); // what a dead host leaves behind

  // 3. ours returns with the higher priority and preempts.
  ours.start(bin, conf(v, 150, A, B));
  await step("ours preempts", () => hasVip(a) && !hasVip(b) && ka.transitions().at(-1) === "BACKUP");
  await ours.term();

  // 4. roles reversed: ours (50) BACKUP under keepalived MASTER; SIGKILL keepalived: ours takes over.
  await step("keepalived MASTER after our stop", () => hasVip(b));
  ours.start(bin, conf(v, 50, A, B));
  await step("ours BACKUP", () => ours.transitions().at(-1) === "BACKUP");
  expect(hasVip(a)).toBe(false);
  await ka.hardKill();
  try {
    process.kill(Number(readFileSync(join(dir, "ka-c.pid"), "utf8")), "SIGKILL");
  } catch { /* keepalived's check child is gone already */ }
  await step("ours MASTER after keepalived's SIGKILL", () => hasVip(a) && ours.transitions().at(-1) === "MASTER");
  await ours.term();
  expect(hasVip(a)).toBe(false);
}

describe("arm64 binary (qemu-user): VRRP interop with keepalived 2.2.7", () => {
  for (const v of VARIANTS) test(v.name, () => variantTest(v), 300_000);
});
