/**
 * A tracked VIP (no `no_track`) deleted by hand from a MASTER, keepalived 2.2.7 and ours side by side
 * (namespaces kvi*): the MASTER logs "Netlink reflector reports IP ... removed from ...", enters BACKUP
 * (a priority-0 advert, every VIP removed) and waits Skew_Time. Alone it is MASTER again at once with
 * every VIP, the no_track ones deleted meanwhile too; IPv4 (VRRPv2), IPv6 (VRRPv3) and an excluded address alike. In a
 * vrrp_sync_group every MASTER member resigns with it and all come back together. Beside a peer with a
 * shorter Skew_Time (higher priority, nopreempt, so it had stayed BACKUP), the peer takes over; beside a
 * lower-priority peer the MASTER is back before the peer's Skew_Time runs out, and the peer stays BACKUP.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, waitFor } from "../support/wait.ts";
import { KEEPALIVED, VrrpLab } from "../support/vrrp-lab.ts";
import { type Beside, beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvi-vd-");
const labs: VrrpLab[] = [];
afterAll(async () => {
  await destroyAll();
  for (const l of labs) await l.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

/** VI_1; `excluded` adds an excluded address (not in the lab, where deleting the subnet's primary VIP would flush it). */
const inst4 = (priority: number, extra = "", excluded = false) =>
  `vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 61
  priority ${priority}
${extra}  advert_int 1
  virtual_ipaddress {
    198.51.100.140/25
    198.51.100.141/25 no_track
  }
${excluded ? "  virtual_ipaddress_excluded {\n    198.51.100.150/25\n  }\n" : ""}}
`;
const inst6 = `vrrp_instance VI_6 {
  state BACKUP
  interface veth0
  virtual_router_id 62
  version 3
  priority 200
  advert_int 1
  virtual_ipaddress {
    fd00:51::70/64
    fd00:51::71/64 no_track
  }
}
`;
const GROUP = "vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_6\n  }\n}\n";
const ALL = ["198.51.100.140", "198.51.100.141", "fd00:51::70", "fd00:51::71"];
const FILTER = ["vrrp", "or", "ip6", "proto", "112"];

const addrs = (s: Beside) => s.ns.ip("-br", "addr", "show", "dev", "veth0");
const has = (s: Beside, ...a: string[]) => a.every((x) => addrs(s).includes(` ${x}/`));
const hasNone = (s: Beside, ...a: string[]) => a.every((x) => !addrs(s).includes(` ${x}/`));
/**
 * The log (-D) after the deletion of `ip`, for each instance in `names`: BACKUP, priority 0 sent, VIPs
 * removed, then MASTER again with its VIPs set, in keepalived 2.2.7's words.
 */
const resignedAndBack = (s: Beside, ip: string, names: string[]) => {
  const after = s.log().split(`Netlink reflector reports IP ${ip} removed from veth0`)[1] ?? "";
  const steps = (n: string) =>
    ["Entering BACKUP STATE", "sent 0 priority", "removing VIPs\\.", "Entering MASTER STATE", "setting VIPs\\."].map((l) => `\\(${n}\\) ${l}\\n`);
  return names.every((n) => new RegExp(steps(n).join("[\\s\\S]*")).test(after));
};
/** tcpdump saw a priority-0 advert for `vrid` (there is none before a deletion). */
const prioZero = (s: Beside, vrid: number) => s.frames().some((l) => l.includes(`vrid ${vrid}, prio 0,`));

/** Each daemon alone on its own segment, in fresh namespaces and a directory of their own (`sub`). */
async function bothSides(sub: string, conf: string): Promise<Beside[]> {
  await destroyAll();
  const bin = await ensureBinary();
  const d = join(dir, sub);
  mkdirSync(d);
  const sides = [await beside("kvi", d, KEEPALIVED, conf, FILTER), await beside("kvi", d, bin, conf, FILTER)];
  for (const s of sides) await waitFor(`${s.ns.name}: MASTER with every VIP`, () => has(s, ...ALL), 30_000);
  return sides;
}

describe("a deleted tracked VIP, beside keepalived 2.2.7", () => {
  test("alone: the MASTER resigns and is MASTER again with every VIP (IPv4, IPv6, excluded)", async () => {
    const sides = await bothSides("alone", inst4(200, "", true) + inst6);
    for (const s of sides) for (const a of ["198.51.100.141/25", "fd00:51::71/64"]) s.ns.ip("addr", "del", a, "dev", "veth0");
    await holdsFor(
      "no_track VIPs stay gone, both instances stay MASTER",
      () => sides.every((s) => hasNone(s, "198.51.100.141", "fd00:51::71") && has(s, "198.51.100.140", "fd00:51::70") && !prioZero(s, 61)),
      2_500,
    );
    for (const s of sides) s.ns.ip("addr", "del", "198.51.100.140/25", "dev", "veth0");
    for (const s of sides) {
      await waitFor(`${s.ns.name}: VI_1 BACKUP then MASTER`, () => resignedAndBack(s, "198.51.100.140", ["VI_1"]), 10_000);
      await waitFor(`${s.ns.name}: both IPv4 VIPs back`, () => has(s, "198.51.100.140", "198.51.100.141"), 10_000);
      expect(prioZero(s, 61)).toBe(true);
      expect(s.log().split("removed from veth0")[1]).not.toContain("(VI_6) Entering"); // not in a group: VI_6 stays MASTER
      expect(hasNone(s, "fd00:51::71")).toBe(true);
    }
    for (const s of sides) s.ns.ip("addr", "del", "fd00:51::70/64", "dev", "veth0");
    for (const s of sides) {
      await waitFor(`${s.ns.name}: VI_6 BACKUP then MASTER`, () => resignedAndBack(s, "fd00:51::70", ["VI_6"]), 10_000);
      await waitFor(`${s.ns.name}: both IPv6 VIPs back`, () => has(s, ...ALL), 10_000);
      expect(prioZero(s, 62)).toBe(true);
    }
    // A virtual_ipaddress_excluded entry counts as a VIP.
    for (const s of sides) s.ns.ip("addr", "del", "198.51.100.150/25", "dev", "veth0");
    for (const s of sides) {
      await waitFor(`${s.ns.name}: VI_1 BACKUP then MASTER for the excluded address`, () => resignedAndBack(s, "198.51.100.150", ["VI_1"]), 10_000);
      await waitFor(`${s.ns.name}: every address back`, () => has(s, ...ALL, "198.51.100.150"), 10_000);
    }
  }, 120_000);

  test("in a sync group: every member resigns, all are MASTER again together", async () => {
    const sides = await bothSides("group", GROUP + inst4(200) + inst6);
    await holdsFor("steady MASTERs", () => sides.every((s) => has(s, ...ALL) && !prioZero(s, 61) && !prioZero(s, 62)), 1_500);
    for (const s of sides) s.ns.ip("addr", "del", "198.51.100.140/25", "dev", "veth0");
    for (const s of sides) {
      await waitFor(`${s.ns.name}: both members BACKUP then MASTER`, () => resignedAndBack(s, "198.51.100.140", ["VI_1", "VI_6"]), 10_000);
      await waitFor(`${s.ns.name}: every VIP back`, () => has(s, ...ALL), 10_000);
      expect(prioZero(s, 61) && prioZero(s, 62)).toBe(true);
    }
  }, 120_000);

  test("two routers: a peer with a shorter Skew_Time (keepalived, nopreempt) takes over", async () => {
    const bin = await ensureBinary();
    const run = async (master: string, i: number) => {
      const lab = new VrrpLab(`kvi${i}`);
      labs.push(lab);
      const a = lab.daemon(lab.a, master, "a", inst4(100), { args: ["-D"] });
      await waitFor(`${lab.a.name}: MASTER`, () => lab.has(lab.a, "198.51.100.140/25"), 30_000);
      const b = lab.daemon(lab.b, KEEPALIVED, "b", inst4(150, "  nopreempt\n"), { args: ["-D"] });
      await waitFor(`${lab.b.name}: peer BACKUP`, () => /\(VI_1\) Entering BACKUP STATE \(init\)/.test(b.log()), 20_000);
      await holdsFor("the nopreempt peer leaves the MASTER alone", () => lab.has(lab.a, "198.51.100.140/25") && !lab.has(lab.b, "198.51.100.140/25"), 2_500);
      lab.a.ip("addr", "del", "198.51.100.140/25", "dev", "veth0");
      await waitFor(`${lab.b.name}: the peer took over`, () => lab.has(lab.b, "198.51.100.140/25") && lab.has(lab.b, "198.51.100.141/25"), 10_000);
      expect(b.log()).toContain("(VI_1) Backup received priority 0 advertisement");
      expect(a.log()).toMatch(/Netlink reflector reports IP 198\.51\.100\.140 removed from veth0\n[\s\S]*\(VI_1\) Entering BACKUP STATE\n/);
      await holdsFor("the old MASTER stays BACKUP without VIPs", () => !lab.has(lab.a, "198.51.100.140/25") && !lab.has(lab.a, "198.51.100.141/25"), 2_500);
      expect(a.log()).not.toMatch(/removed from veth0[\s\S]*Entering MASTER STATE/);
    };
    await Promise.all([run(KEEPALIVED, 1), run(bin, 2)]);
  }, 120_000);

  test("two routers: beside a lower-priority peer (keepalived) the MASTER is back first", async () => {
    const bin = await ensureBinary();
    const run = async (master: string, i: number) => {
      const lab = new VrrpLab(`kvi${i}`);
      labs.push(lab);
      const a = lab.daemon(lab.a, master, "a", inst4(200), { args: ["-D"] });
      const b = lab.daemon(lab.b, KEEPALIVED, "b", inst4(100), { args: ["-D"] });
      await waitFor(`${lab.a.name}: MASTER`, () => lab.has(lab.a, "198.51.100.140/25"), 30_000);
      await holdsFor("the peer stays BACKUP", () => !lab.has(lab.b, "198.51.100.140/25"), 2_000);
      lab.a.ip("addr", "del", "198.51.100.140/25", "dev", "veth0");
      await waitFor(`${lab.b.name}: the peer heard priority 0`, () => b.log().includes("(VI_1) Backup received priority 0 advertisement"), 10_000);
      await waitFor(`${lab.a.name}: MASTER again with both VIPs`, () => {
        return /removed from veth0\n[\s\S]*\(VI_1\) Entering BACKUP STATE\n[\s\S]*\(VI_1\) Entering MASTER STATE/.test(a.log()) &&
          lab.has(lab.a, "198.51.100.140/25") && lab.has(lab.a, "198.51.100.141/25");
      }, 10_000);
      await holdsFor("the peer stays BACKUP", () => !lab.has(lab.b, "198.51.100.140/25") && !b.log().includes("Entering MASTER STATE"), 2_500);
    };
    await Promise.all([run(KEEPALIVED, 3), run(bin, 4)]);
  }, 120_000);
});
