/**
 * garp_extra_if without `all` on an address VMAC beside keepalived 2.2.7 (namespaces kvrx*): a VIP with
 * `dev veth2 use_vmac` of an instance on veth0 is announced every 2 s while MASTER, from the VMAC's MAC
 * (00:00:5e:00:01:3d), by both daemons; the instance's own VIP on veth0 gets no periodic frames there.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { ensureBinary } from "../support/binary.ts";
import { collectOutput, type Netns, waitFor } from "../support/netns.ts";
import { KEEPALIVED } from "../support/vrrp-lab.ts";
import { beside, destroyAll } from "../support/vrrp/beside.ts";

const dir = mkdtempSync("/tmp/kvrx-");
afterAll(async () => {
  await destroyAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = `vrrp_instance VI_1 {\n  state MASTER\n  interface veth0\n  virtual_router_id 61\n  priority 200\n  advert_int 1\n` +
  `  garp_master_delay 0\n  garp_extra_if 2\n  virtual_ipaddress {\n    198.51.100.140/25\n    198.51.100.200/25 dev veth2 use_vmac\n  }\n}\n`;

describe("garp_extra_if on an address VMAC beside keepalived 2.2.7", () => {
  test("periodic GARPs for the VMAC's VIP from the VMAC's MAC", async () => {
    const bin = await ensureBinary();
    const caps: { text: string }[] = [];
    const setup = (cap: { text: string }) => (ns: Netns) => {
      ns.ip("link", "add", "veth2", "type", "veth", "peer", "name", "veth3");
      ns.ip("link", "set", "veth2", "up");
      ns.ip("link", "set", "veth3", "up");
      const p = ns.spawn(["tcpdump", "-l", "-n", "-e", "-i", "veth3", "arp"], { stdout: "pipe", stderr: "pipe" });
      collectOutput(p, (t) => void (cap.text += t));
    };
    for (const bin2 of [KEEPALIVED, bin]) {
      const cap = { text: "" };
      caps.push(cap);
      await beside("kvrx", dir, bin2, conf, ["arp"], setup(cap));
    }
    const frames = (c: { text: string }) => c.text.split("\n").filter((l) => l.includes("tell 198.51.100.200"));
    // 5 at the transition (garp_master_repeat), then one every 2 s.
    for (const c of caps) await waitFor("periodic GARPs on veth2's VMAC", () => frames(c).length >= 8, 40_000);
    for (const c of caps) expect(frames(c).every((l) => l.startsWith("00:00:5e:00:01:3d >") || l.includes(" 00:00:5e:00:01:3d > "))).toBe(true);
    for (const c of caps) expect(c.text).not.toContain("tell 198.51.100.140");
  }, 120_000);
});
