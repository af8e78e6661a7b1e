/**
 * VRRP interop against Debian's keepalived 2.2.7 in namespaces (prefix kvi-): for each variant (v2/v3,
 * IPv4/IPv6, multicast/unicast, PASS/AH) both roles are exercised — ours MASTER with keepalived BACKUP
 * (failover on SIGKILL, preemption on return, graceful stop with priority 0), then ours BACKUP with
 * keepalived MASTER (failover when keepalived is SIGKILLed). Both sides' addresses and keepalived's own
 * log must agree at each step. VRRPv3 uses 0.1 s adverts to keep the suite short.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, Netns, vethPair, waitFor } from "../support/netns.ts";

interface Variant {
  name: string;
  version: 2 | 3;
  family: 4 | 6;
  unicast: boolean;
  auth?: "PASS" | "AH";
}
const VARIANTS: Variant[] = [
  { name: "v3 IPv4 multicast", version: 3, family: 4, unicast: false },
  { name: "v3 IPv6 multicast", version: 3, family: 6, unicast: false },
  { name: "v3 IPv4 unicast", version: 3, family: 4, unicast: true },
  { name: "v3 IPv6 unicast", version: 3, family: 6, unicast: true },
  { name: "v2 IPv4 multicast PASS", version: 2, family: 4, unicast: false, auth: "PASS" },
  { name: "v2 IPv4 multicast AH", version: 2, family: 4, unicast: false, auth: "AH" },
];

const ADDR = {
  4: { a: "192.0.2.1", b: "192.0.2.2", vip: "192.0.2.100", len: 24 },
  6: { a: "2001:db8::1", b: "2001:db8::2", vip: "2001:db8::100", len: 64 },
};

function conf(v: Variant, prio: number, self: "a" | "b"): string {
  const ad = ADDR[v.family];
  const peer = self === "a" ? ad.b : ad.a;
  const me = self === "a" ? ad.a : ad.b;
  return `global_defs {
  router_id kvi_${self}
  vrrp_version ${v.version}
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 61
  priority ${prio}
  advert_int ${v.version === 3 ? "0.1" : "1"}
${v.auth ? `  authentication {\n    auth_type ${v.auth}\n    auth_pass s3cret\n  }\n` : ""}${
    v.unicast ? `  unicast_src_ip ${me}\n  unicast_peer {\n    ${peer}\n  }\n` : ""
  }  virtual_ipaddress {
    ${ad.vip}/${ad.len}
  }
}
`;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

class Side {
  proc: Subprocess | undefined;
  constructor(readonly ns: Netns, readonly dir: string, readonly tag: string) {}
  start(bin: string, text: string): void {
    writeFileSync(join(this.dir, `${this.tag}.conf`), text);
    const f = (s: string) => join(this.dir, `${this.tag}-${s}.pid`);
    this.proc = this.ns.spawn([bin, "-n", "-l", "-D", "-G", "-f", join(this.dir, `${this.tag}.conf`), "-p", f("k"), "-r", f("v"), "-c", f("c"), "-b", f("b")], {
      stderr: "pipe",
    });
    const out = Bun.file(join(this.dir, `${this.tag}.log`)).writer();
    const reader = (this.proc.stderr as ReadableStream<Uint8Array>).getReader();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        out.write(value);
        out.flush();
      }
    })();
  }
  vrrpPid(): number {
    return Number(readFileSync(join(this.dir, `${this.tag}-v.pid`), "utf8"));
  }
  log(): string {
    try {
      return readFileSync(join(this.dir, `${this.tag}.log`), "utf8");
    } catch {
      return "";
    }
  }
  async hardKill(): Promise<void> {
    try {
      process.kill(this.vrrpPid(), "SIGKILL"); // the VRRP child first, so it cannot leave gracefully
    } catch { /* already gone */ }
    this.proc?.kill("SIGKILL");
    await this.proc?.exited;
  }
  async term(): Promise<void> {
    this.proc?.kill("SIGTERM");
    await this.proc?.exited;
  }
}

async function variantTest(v: Variant): Promise<void> {
  const bin = await ensureBinary();
  const id = `${process.pid % 10000}-${VARIANTS.indexOf(v)}`;
  const a = new Netns(`kvi-a${id}`), b = new Netns(`kvi-b${id}`);
  const dir = mkdtempSync("/tmp/kvi-");
  cleanups.push(async () => {
    await a.destroy();
    await b.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  vethPair(a, "veth0", b, "veth0");
  const ad = ADDR[v.family];
  const fam = v.family === 6 ? "-6" : "-4";
  for (const [ns, ip] of [[a, ad.a], [b, ad.b]] as const) {
    if (v.family === 6) ns.exec(["sysctl", "-qw", "net.ipv6.conf.veth0.accept_dad=0"]);
    ns.ip("addr", "add", `${ip}/${ad.len}`, "dev", "veth0", ...(v.family === 6 ? ["nodad"] : []));
  }
  if (v.family === 6) {
    // Link-local addresses are the IPv6 advert sources: wait until they are usable.
    for (const ns of [a, b]) {
      await waitFor(
        "IPv6 link-local",
        () =>
          /fe80::\S+ scope link\s*\n/.test(ns.ip("-6", "addr", "show", "dev", "veth0")) && !ns.ip("-6", "addr", "show", "dev", "veth0").includes("tentative"),
      );
    }
  }
  const hasVip = (ns: Netns) => ns.ip(fam, "addr", "show", "dev", "veth0").includes(`${ad.vip}/`);
  const ours = new Side(a, dir, "ours");
  const ka = new Side(b, dir, "ka");
  const kaStart = (prio: number) => {
    writeFileSync(join(dir, "ka.conf"), conf(v, prio, "b"));
    ka.proc = b.spawn([
      "/usr/sbin/keepalived",
      "-n",
      "-l",
      "-D",
      "-f",
      join(dir, "ka.conf"),
      "-p",
      join(dir, "ka-k.pid"),
      "-r",
      join(dir, "ka-v.pid"),
      "-c",
      join(dir, "ka-c.pid"),
    ], { stderr: "pipe", stdout: "pipe" });
    const out = Bun.file(join(dir, "ka.log")).writer();
    for (const s of [ka.proc.stderr, ka.proc.stdout] as ReadableStream<Uint8Array>[]) {
      const r = s.getReader();
      void (async () => {
        for (;;) {
          const { done, value } = await r.read();
          if (done) break;
          out.write(value);
          out.flush();
        }
      })();
    }
  };
  const kaTransitions = () => (ka.log().match(/\(VI_1\) Entering (MASTER|BACKUP) STATE/g) ?? []).map((l) => l.split(" ")[2]);

  // 1. keepalived (100) and ours (150): ours becomes MASTER, keepalived stays BACKUP.
  kaStart(100);
  await waitFor("keepalived BACKUP", () => kaTransitions().includes("BACKUP"));
  ours.start(bin, conf(v, 150, "a"));
  await waitFor("ours MASTER with the VIP", () => hasVip(a) && /Entering MASTER STATE/.test(ours.log()));
  // keepalived may have gone MASTER for a moment before our first advert reached it (its Master_Down_Timer
  // ran first): wait for it to settle, then it must stay BACKUP for the whole window.
  await waitFor("keepalived BACKUP without the VIP", () => !hasVip(b) && kaTransitions().at(-1) === "BACKUP");
  try {
    await holdsFor("keepalived stays BACKUP without the VIP", () => !hasVip(b) && kaTransitions().at(-1) === "BACKUP", v.version === 3 ? 500 : 3000);
  } catch (e) {
    console.log(`--- keepalived log:\n${ka.log()}\n--- ours:\n${ours.log()}`);
    throw e;
  }
  if (process.env.KVI_DEBUG) console.log(`--- keepalived log:\n${ka.log()}\n--- ours:\n${ours.log()}`);

  // 2. SIGKILL ours: keepalived takes over after Master_Down_Interval.
  await ours.hardKill();
  await waitFor("keepalived MASTER after our SIGKILL", () => hasVip(b) && kaTransitions().at(-1) === "MASTER", 15_000);
  // What a dead host leaves behind (unless our parent, seeing its VRRP child die first, removed it already).
  if (hasVip(a)) a.ip(fam, "addr", "del", `${ad.vip}/${ad.len}`, "dev", "veth0");

  // 3. ours returns with the higher priority: preempts; keepalived releases the VIP.
  ours.start(bin, conf(v, 150, "a"));
  try {
    await waitFor("ours preempts", () => hasVip(a) && !hasVip(b) && kaTransitions().at(-1) === "BACKUP", 15_000);
  } catch (e) {
    console.log(`--- keepalived log:\n${ka.log().slice(-4000)}\n--- ours:\n${ours.log().slice(-4000)}`);
    throw e;
  }

  // 4. graceful stop: priority 0, keepalived takes over at once (Skew_Time).
  await ours.term();
  expect(hasVip(a)).toBe(false);
  await waitFor("keepalived MASTER after our priority-0 advert", () => hasVip(b), 10_000);
  expect(ka.log()).toMatch(/priority 0|Entering MASTER STATE/);

  // 5. roles reversed: ours (50) is BACKUP under keepalived; SIGKILL keepalived: ours takes over.
  ours.start(bin, conf(v, 50, "a"));
  await waitFor("ours BACKUP", () => /Entering BACKUP STATE/.test(ours.log()));
  await holdsFor("ours stays BACKUP under keepalived", () => !hasVip(a) && hasVip(b), v.version === 3 ? 500 : 3000);
  ka.proc!.kill("SIGKILL");
  for (const f of ["ka-v.pid", "ka-c.pid"]) {
    try {
      process.kill(Number(readFileSync(join(dir, f), "utf8")), "SIGKILL");
    } catch { /* gone */ }
  }
  await waitFor("ours MASTER after keepalived's SIGKILL", () => hasVip(a), 15_000);
  expect(ours.log()).not.toMatch(/dropped advert/);
  await ours.term();
}

describe("VRRP interop with keepalived 2.2.7", () => {
  for (const v of VARIANTS) {
    test(v.name, () => variantTest(v), 120_000);
  }
});
