/**
 * bgp_announce against real FRR (docs/bgp.md): two load balancers running our keepalived and FRR
 * zebra+bgpd, eBGP to a router running FRR, a client behind the router (test/support/bgp/topology.ts).
 * The router's RIB (`show bgp ipv4|ipv6 unicast json`) must show the VRRP-following prefixes via the
 * MASTER only, the anycast prefix via every LB whose virtual server has quorum, and lose a path when:
 * the VS loses quorum, the VRRP child, the check child, the parent or every process of ours is
 * killed with SIGKILL, on a graceful stop, on link down and on a reload that changes the announcement.
 * At the end every process of ours on both LBs is killed: no prefix of ours may stay at the router.
 * Namespace prefix kbg-a.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, waitFor } from "../support/netns.ts";
import { A, alive, BgpTopology, lbConf } from "../support/bgp/topology.ts";

const V4 = `${A.vip}/32`, V6 = `${A.vip6}/128`, ANY = `${A.anycast}/32`;
const LB1 = A.lb4(1), LB2 = A.lb4(2);
let t: BgpTopology;

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
async function until(prefix: string, peers: string[], afi: "ipv4" | "ipv6" = "ipv4", ms = 60_000): Promise<void> {
  await waitFor(`${prefix} via [${peers.join(", ")}]`, async () => same(await t.via(prefix, afi), peers), ms, 100);
}
/** Resolves once the router has no path via `peer` for `prefix` (polled fast: the gap may be short). */
async function dropped(prefix: string, peer: string, ms = 30_000): Promise<void> {
  await waitFor(`${prefix} withdrawn by ${peer}`, async () => !(await t.via(prefix)).includes(peer), ms, 20);
}
/** Polls until the client's connection to the VIP is answered by `lb`. */
async function reaches(lb: string): Promise<void> {
  await waitFor(`client answered by ${lb}`, () => t.fetch(A.vip) === lb, 30_000, 100);
}
const lb1 = () => t.daemons[0]!;
const lb2 = () => t.daemons[1]!;

beforeAll(async () => {
  t = new BgpTopology("kbg-a", "/tmp/kbg-announce", await ensureBinary());
  await t.startFrr();
  await lb1().start(lbConf(1));
  await lb2().start(lbConf(2));
}, 120_000);

afterAll(async () => {
  await t?.destroy();
});

/** Brings LB 1 back (after a kill) and waits for it to be MASTER and announce again. */
async function restartLb1(): Promise<void> {
  await lb1().start(lbConf(1));
  await until(V4, [LB1]);
  await until(V6, [A.lb6(1)], "ipv6");
  await until(ANY, [LB1, LB2]);
}

describe("bgp_announce with FRR", () => {
  test("the MASTER announces the VIP (v4 and v6), both LBs the anycast VS; the client reaches LB 1", async () => {
    await until(V4, [LB1]);
    await until(V6, [A.lb6(1)], "ipv6");
    await until(ANY, [LB1, LB2]);
    await reaches("lb1");
    expect(lb1().log()).toContain("(WEB) BGP announce with metric 0");
    // The VIP on eth0 carries the metric that lets zebra prefer the copy on our device.
    expect(t.lbs[0]!.ip("-4", "addr", "show", "dev", "eth0")).toContain(`${A.vip}/32 metric 2147483647`);
    expect(t.lbs[0]!.ip("-4", "addr", "show", "dev", "ka-bgp")).toContain(`${A.vip}/32 scope global noprefixroute`);
    // the parent's USR1 dump lists the announcements
    const dump = join(lb1().dir, "keepalived_parent.data");
    rmSync(dump, { force: true });
    lb1().proc!.kill("SIGUSR1");
    const text = await waitFor("the parent's dump", () => (existsSync(dump) ? readFileSync(dump, "utf8") : ""));
    expect(text).toContain(" BGP announcements (3):\n   WEB = on metric 0\n   WEB6 = on metric 0\n   ANY = on metric 0\n");
  }, 90_000);

  test("quorum lost on LB 1 drops only LB 1's anycast path; regained, it is back", async () => {
    await t.stopRealServer(1);
    await until(ANY, [LB2]);
    expect(await t.via(V4)).toEqual([LB1]); // the VRRP-following announcement is untouched
    t.startRealServer(1);
    await until(ANY, [LB1, LB2]);
  }, 60_000);

  test("kill -9 of LB 1's VRRP child withdraws its VIP until the new child is MASTER again", async () => {
    const pid = lb1().childPid("vrrp");
    process.kill(pid, "SIGKILL");
    await dropped(V4, LB1);
    // LB 2 may hold the VIP for a moment only (the new child's Master_Down_Timer runs out soon after)
    await until(V4, [LB1]);
    await reaches("lb1");
    expect(lb1().log()).toMatch(/\(WEB\) BGP withdraw \(VI_1 has not reported a state\)/);
  }, 90_000);

  test("kill -9 of LB 1's check child withdraws its anycast path until the new child has quorum", async () => {
    // alpha: the new child's real server starts DOWN, so the path stays away until its first good check.
    // The watchdog restarts a check child at once, and its first check could pass before the router saw
    // the withdrawal: the real server is stopped right after the kill (the dead child cannot notice), so
    // the new child's first check fails and the path stays away until the server is back.
    const pid = lb1().childPid("check");
    process.kill(pid, "SIGKILL");
    await t.stopRealServer(1);
    await dropped(ANY, LB1);
    t.startRealServer(1);
    await until(ANY, [LB1, LB2]);
    expect(lb1().log()).toContain("(ANY) BGP withdraw (VS [192.0.2.20]:17980 has not reported its quorum)");
  }, 60_000);

  test("kill -9 of LB 1's parent withdraws everything at once (its TUN device dies with it)", async () => {
    const children = [lb1().childPid("vrrp"), lb1().childPid("check")];
    lb1().proc!.kill("SIGKILL");
    await dropped(ANY, LB1);
    await dropped(V4, LB1);
    await until(V4, [LB2]);
    await until(V6, [A.lb6(2)], "ipv6"); // the IPv6 prefix went with the device, and LB 2 now has it
    expect(t.lbs[0]!.exec(["ip", "link", "show", "ka-bgp"], { allowFail: true })).toContain("does not exist");
    await waitFor("LB 1's children to exit after their parent", () => children.every((p) => !alive(p)), 20_000);
    await restartLb1();
  }, 120_000);

  test("kill -9 of every process of LB 1 at once withdraws everything", async () => {
    const pids = [lb1().proc!.pid, lb1().childPid("vrrp"), lb1().childPid("check")];
    expect(pids.map(alive), `pids ${pids.join(" ")}; log:\n${lb1().log()}`).toEqual([true, true, true]);
    // children first: a child outliving its parent would get PR_SET_PDEATHSIG's TERM and stop gracefully
    for (const p of pids.reverse()) process.kill(p, "SIGKILL");
    await dropped(ANY, LB1);
    await dropped(V4, LB1);
    await until(V4, [LB2]);
    await restartLb1();
  }, 120_000);

  test("a graceful stop withdraws LB 1's prefixes and exits 0", async () => {
    lb1().proc!.kill("SIGTERM");
    expect(await lb1().exited()).toBe(0);
    await until(ANY, [LB2]);
    await until(V4, [LB2]);
    expect(lb1().log()).toMatch(/BGP: withdrawing \d+ prefix\(es\) on stop/);
    await restartLb1();
  }, 120_000);

  test("link down on LB 1 drops its paths (BGP hold time) and LB 2 takes the VIP; link up restores", async () => {
    t.lbs[0]!.ip("link", "set", "eth0", "down");
    await until(ANY, [LB2]);
    await until(V4, [LB2]);
    await reaches("lb2");
    t.lbs[0]!.ip("link", "set", "eth0", "up");
    t.lbs[0]!.ip("route", "replace", "default", "via", A.r4);
    await until(V4, [LB1], "ipv4", 90_000);
    await until(ANY, [LB1, LB2], "ipv4", 90_000);
  }, 180_000);

  test("a reload that changes the announcement moves the route to the new prefix", async () => {
    const changed = lbConf(1).replace(
      "bgp_announce WEB {\n  follow_instance VI_1\n}",
      `bgp_announce WEB {
  follow_instance VI_1
  prefix {
    192.0.2.11/32
  }
  metric 30
}`,
    );
    expect(changed).toContain("192.0.2.11/32");
    await Bun.write(lb1().confPath, changed);
    lb1().proc!.kill("SIGHUP");
    await until("192.0.2.11/32", [LB1]);
    await until(V4, []);
    const j = JSON.parse(await t.frrR.vtysh(["show bgp ipv4 unicast 192.0.2.11/32 json"])) as {
      paths?: { metric?: number }[];
    };
    expect(j.paths?.[0]?.metric).toBe(30); // the metric arrives as the MED
    await Bun.write(lb1().confPath, lbConf(1));
    lb1().proc!.kill("SIGHUP");
    await until(V4, [LB1]);
    await until("192.0.2.11/32", []);
  }, 90_000);

  test("announce_backup: the BACKUP announces too, with a MED that follows its priority", async () => {
    const backup = lbConf(2).replace("bgp_announce WEB {\n  follow_instance VI_1\n}", "bgp_announce WEB {\n  follow_instance VI_1\n  announce_backup\n}");
    expect(backup).toContain("announce_backup");
    await Bun.write(lb2().confPath, backup);
    lb2().proc!.kill("SIGHUP");
    await until(V4, [LB1, LB2]);
    type Path = { peer?: { peerId?: string }; metric?: number; bestpath?: { overall?: boolean } };
    const j = JSON.parse(await t.frrR.vtysh([`show bgp ipv4 unicast ${V4} json`])) as { paths?: Path[] };
    const byPeer = new Map((j.paths ?? []).map((p) => [p.peer?.peerId, p]));
    expect(byPeer.get(LB2)?.metric, JSON.stringify(j)).toBe(256 - 100); // BACKUP, priority 100
    expect(byPeer.get(LB1)?.metric ?? 0).toBe(0); // MASTER: the plain metric
    expect(byPeer.get(LB1)?.bestpath?.overall).toBe(true);
    await reaches("lb1");
  }, 60_000);

  test("kill -9 of every process of ours on both LBs leaves no prefix of ours at the router", async () => {
    const pids = t.daemons.flatMap((d) => [d.childPid("vrrp"), d.childPid("check"), d.proc!.pid]);
    for (const p of pids) process.kill(p, "SIGKILL");
    const ours = [V4, ANY, "192.0.2.11/32"];
    await waitFor(
      "no prefix of ours at the router",
      async () => {
        const v4 = await t.rib("ipv4"), v6 = await t.rib("ipv6");
        return ours.every((p) => !v4.has(p)) && !v6.has(V6);
      },
      30_000,
      100,
    );
    // and none comes back: the LBs' FRR keeps running, with nothing of ours left to redistribute
    await holdsFor(
      "no prefix of ours back at the router",
      async () => {
        const v4 = await t.rib("ipv4");
        return ours.every((p) => !v4.has(p));
      },
      3000,
      300,
    );
    for (const ns of t.lbs) expect(ns.exec(["ip", "link", "show", "ka-bgp"], { allowFail: true })).toContain("does not exist");
  }, 60_000);
});
