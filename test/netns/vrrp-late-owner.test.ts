/**
 * timer_expired_backup and vrrp_owner_ignore_adverts (keywords of keepalived releases after 2.2.7, which
 * rejects both) in namespaces, with keepalived 2.2.7 as the peer router (prefix hk15-l). Ours is A
 * (192.0.2.1), keepalived is B (192.0.2.2) on one veth link.
 * - timer_expired_backup: A (priority 200, nopreempt) is MASTER, B (100, nopreempt) BACKUP. A's VRRP
 *   child is stopped (SIGSTOP) until B takes over, then continued: A goes BACKUP and B stays MASTER.
 * - vrrp_owner_ignore_adverts: both are owners (255, state MASTER) and B, ours too here, has the higher
 *   address, so without the keyword A would yield (RFC 5798 §6.4.3). With it A drops B's adverts and
 *   stays MASTER. (keepalived 2.2.7 cannot be B: hearing another owner it logs "CONFIGURATION ERROR:
 *   local instance and a remote instance are both configured as address owner", lowers itself to 254
 *   and goes BACKUP, so it sends nothing to drop.)
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";

const dir = mkdtempSync("/tmp/hk15-l-");
const tag = process.pid % 10000;
const spaces: Netns[] = [];
afterAll(async () => {
  for (const n of spaces) await n.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = (global: string, body: string) =>
  `global_defs {\n${global}}\nvrrp_instance VI_1 {\n  interface veth0\n  virtual_router_id 62\n  advert_int 1\n${body}` +
  `  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

function pair(name: string) {
  const a = new Netns(`hk15-l${name}a${tag}`);
  const b = new Netns(`hk15-l${name}b${tag}`);
  spaces.push(a, b);
  vethPair(a, "veth0", b, "veth0");
  a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
  b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
  const start = (n: Netns, exe: string, id: string, text: string) => {
    const f = (x: string) => join(dir, `${name}${id}${x}`);
    writeFileSync(f(".conf"), text);
    const bfd = exe === "/usr/sbin/keepalived" ? "" : ` -b ${f("b.pid")}`;
    n.spawn(["sh", "-c", `exec ${exe} -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")}${bfd} > ${f(".log")} 2>&1`]);
    return { log: () => readFileSync(f(".log"), "utf8"), vrrpPid: () => Number(readFileSync(f("v.pid"), "utf8").trim()) };
  };
  return { a, b, start };
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe("keywords after keepalived 2.2.7", () => {
  test("timer_expired_backup: a MASTER stopped until the peer took over comes back as BACKUP", async () => {
    const bin = await ensureBinary();
    const { a, b, start } = pair("t");
    const ours = start(a, bin, "a", conf("", "  state BACKUP\n  priority 200\n  nopreempt\n  timer_expired_backup\n"));
    await waitFor("A MASTER", () => /Entering MASTER STATE/.test(ours.log()), 30_000);
    const peer = start(b, "/usr/sbin/keepalived", "b", conf("", "  state BACKUP\n  priority 100\n  nopreempt\n"));
    await waitFor("B BACKUP", () => /Entering BACKUP STATE/.test(peer.log()), 30_000);
    const pid = ours.vrrpPid();
    process.kill(pid, "SIGSTOP");
    try {
      await waitFor("B MASTER", () => /Entering MASTER STATE/.test(peer.log()), 20_000);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitFor("A BACKUP", () => /Entering BACKUP STATE/.test(ours.log().split(/Entering MASTER STATE/)[1] ?? ""), 20_000);
    expect(ours.log()).toContain("(timer_expired_backup)");
    // B keeps the VIPs: no BACKUP after its MASTER for a few advert intervals, and the VIP stays on B.
    const end = performance.now() + 4000;
    while (performance.now() < end) {
      expect(count(peer.log().split(/Entering MASTER STATE/)[1] ?? "", /Entering BACKUP STATE/g)).toBe(0);
      await Bun.sleep(100);
    }
    expect(b.ip("addr", "show", "veth0")).toContain("192.0.2.100/24");
    expect(a.ip("addr", "show", "veth0")).not.toContain("192.0.2.100/24");
  }, 120_000);

  test("vrrp_owner_ignore_adverts: an owner with the lower address stays MASTER beside another owner", async () => {
    const bin = await ensureBinary();
    const { start, a } = pair("o");
    const owner = "  state MASTER\n  priority 255\n";
    const ours = start(a, bin, "a", conf("  vrrp_owner_ignore_adverts\n", owner));
    const peer = start(spaces.at(-1)!, bin, "b", conf("", owner));
    for (const s of [ours, peer]) await waitFor("MASTER", () => /Entering MASTER STATE/.test(s.log()), 30_000);
    await waitFor("dropping", () => /since we are address owner/.test(ours.log()), 10_000);
    const end = performance.now() + 4000;
    while (performance.now() < end) {
      expect(count(ours.log(), /Entering BACKUP STATE/g)).toBe(0);
      await Bun.sleep(100);
    }
    expect(a.ip("addr", "show", "veth0")).toContain("192.0.2.100/24");
  }, 120_000);
});
