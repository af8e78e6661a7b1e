/**
 * disable_local_igmp beside keepalived 2.2.7 (namespaces kvri*): while either daemon runs with it,
 * net.ipv4.igmp_link_local_mcast_reports is 0 in its namespace (no VMAC needed), and 1 again after stop.
 * After a SIGKILL of the VRRP child both restarted children turn reports off again; at stop ours puts 1
 * back, while keepalived 2.2.7's restarted child takes the 0 it found for the old value and leaves 0
 * (observed here on 2026-12-03; printed, not asserted). With --dont-respawn the VRRP child killed so is gone
 * for good and our parent writes the old value back itself.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { ensureBinary } from "../support/binary.ts";
import { waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { type Beside, beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvri-");
afterAll(async () => {
  await destroyAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `global_defs {\n  disable_local_igmp\n}\nvrrp_instance VI_1 {\n  interface veth0\n  virtual_router_id 61\n  priority 100\n` +
  `  advert_int 1\n  virtual_ipaddress {\n    198.51.100.140/25\n  }\n}\n`;
const reports = (s: Beside) => s.ns.exec(["sysctl", "-n", "net.ipv4.igmp_link_local_mcast_reports"]).trim();
/** The pids of the daemon's children (the VRRP child is the only one here). */
const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

describe("disable_local_igmp beside keepalived 2.2.7", () => {
  test("link-local IGMP reports off while running, back on after stop", async () => {
    const bin = await ensureBinary();
    const sides = [await beside("kvri", dir, KEEPALIVED, conf, ["igmp"]), await beside("kvri", dir, bin, conf, ["igmp"])];
    for (const s of sides) await waitFor("reports turned off", () => reports(s) === "0", 30_000);
    for (const s of sides) s.ns.procs.at(-1)!.kill("SIGTERM");
    for (const s of sides) await waitFor("reports back on at stop", () => reports(s) === "1", 15_000);
    expect(sides.map(reports)).toEqual(["1", "1"]);
  }, 90_000);

  test("after a SIGKILL of the VRRP child: off again in the restarted child, back on at stop (ours)", async () => {
    const bin = await ensureBinary();
    const sides = [await beside("kvri", dir, KEEPALIVED, conf, ["igmp"]), await beside("kvri", dir, bin, conf, ["igmp"])];
    for (const s of sides) await waitFor("reports turned off", () => reports(s) === "0", 30_000);
    const first = new Map<Beside, number>();
    for (const s of sides) {
      const pid = s.ns.procs.at(-1)!.pid;
      await waitFor("a VRRP child", () => children(pid).length > 0, 15_000);
      first.set(s, children(pid)[0]!);
      process.kill(first.get(s)!, "SIGKILL");
    }
    for (const s of sides) {
      const pid = s.ns.procs.at(-1)!.pid;
      await waitFor("the VRRP child restarted", () => children(pid).some((c) => c !== first.get(s)), 30_000);
    }
    const during = sides.map(reports);
    for (const s of sides) s.ns.procs.at(-1)!.kill("SIGTERM");
    for (const s of sides) await waitFor("daemon gone", () => s.ns.procs.at(-1)!.exitCode !== null, 20_000);
    console.log(`[kvri] keepalived 2.2.7, ours: while restarted ${during.join(",")}; after stop ${sides.map(reports).join(",")}`);
    expect(during).toEqual(["0", "0"]);
    expect(reports(sides[1]!)).toBe("1");
  }, 120_000);

  test("with --dont-respawn a SIGKILLed VRRP child is gone for good: the parent puts the old value back (ours)", async () => {
    const s = await beside("kvri", dir, await ensureBinary(), conf, ["igmp"], undefined, ["--dont-respawn"]);
    await waitFor("reports turned off", () => reports(s) === "0", 30_000);
    const pid = s.ns.procs.at(-1)!.pid;
    await waitFor("a VRRP child", () => children(pid).length > 0, 15_000);
    process.kill(children(pid)[0]!, "SIGKILL");
    await waitFor("the daemon stops without its VRRP child", () => s.ns.procs.at(-1)!.exitCode !== null, 20_000);
    expect(reports(s)).toBe("1");
    expect(s.log()).toContain("back to 1 (the VRRP child did not restore it)");
  }, 90_000);
});
