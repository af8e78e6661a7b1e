/**
 * The linux-arm64 binary under qemu user-mode emulation (test/support/arm64.ts), BFD child only, against
 * FRR's bfdd (x86-64) in namespaces A — R (prefix kfp-b): RFC 5881 single-hop sessions over IPv4 and
 * IPv6 come Up on both sides, a stopped bfdd brings ours Down (Control Detection Time Expired,
 * RFC 5880 §6.8.4) and a restarted one Up again, and TERM sends AdminDown. 300 ms intervals: the
 * emulated runtime is several times slower than a native one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { arm64Binary } from "../support/arm64.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";
import { type FrrBfdd, type FrrBfdPeer, startFrrBfdd } from "../support/bfd/frr.ts";
import { type BfdConf, OurDaemon, renderConf } from "../support/bfd/daemon.ts";

const A4 = "192.0.2.1", R4 = "192.0.2.254", A6 = "2001:db8:1::1", R6 = "2001:db8:1::fe";
const PEERS: FrrBfdPeer[] = [
  { peer: A4, localAddress: R4, receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 },
  { peer: A6, localAddress: R6, receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 },
];
const OURS: BfdConf[] = [
  { name: "e4", neighbor: R4, source: A4, minRxMs: 300, minTxMs: 300 },
  { name: "e6", neighbor: R6, source: A6, minRxMs: 300, minTxMs: 300, ttl: 255 },
];
let a: Netns, r: Netns, dir = "", ours: OurDaemon, frr: FrrBfdd;

const frrAllUp = async () => {
  const ps = await frr.peers();
  return ps.length === 2 && ps.every((p) => p.status === "up");
};

beforeAll(async () => {
  const bin = await arm64Binary();
  dir = mkdtempSync("/tmp/kfp-bfd-");
  chmodSync(dir, 0o755); // bfdd runs as user frr and must reach its directory below this one
  a = new Netns(`kfp-ba${process.pid % 10000}`);
  r = new Netns(`kfp-br${process.pid % 10000}`);
  vethPair(a, "a0", r, "r0");
  for (const [n, addrs] of [[a, [A4, A6]], [r, [R4, R6]]] as const) {
    n.ip("addr", "add", `${addrs[0]}/24`, "dev", n === a ? "a0" : "r0");
    n.ip("addr", "add", `${addrs[1]}/64`, "dev", n === a ? "a0" : "r0", "nodad");
  }
  frr = await startFrrBfdd({ namespace: r.name, dir: join(dir, "frr"), peers: PEERS });
  ours = new OurDaemon(a, dir, bin, renderConf(OURS));
  await waitFor("our daemon (emulated) running", async () => {
    await ours.ready();
    return true;
  }, 60_000);
}, 120_000);

afterAll(async () => {
  await ours?.stop();
  await frr?.stop();
  for (const n of [a, r]) await n?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("arm64 binary (qemu-user): BFD with FRR bfdd", () => {
  test("IPv4 and IPv6 single-hop sessions come Up on both sides", async () => {
    for (const c of OURS) await ours.waitSession(c.name, "local state", "Up", 60_000);
    await waitFor("bfdd: both peers up", frrAllUp, 60_000);
    for (const c of OURS) expect(ours.log()).toContain(`(${c.name}) Entering Up state`);
  }, 150_000);

  test("a stopped bfdd brings our sessions Down, a restarted one Up", async () => {
    await frr.stop();
    for (const c of OURS) {
      const s = await ours.waitSession(c.name, "local state", "Down", 60_000);
      expect(s["local diag"]).toBe("Control Detection Time Expired");
    }
    frr = await startFrrBfdd({ namespace: r.name, dir: join(dir, "frr"), peers: PEERS });
    for (const c of OURS) await ours.waitSession(c.name, "local state", "Up", 60_000);
    await waitFor("bfdd: both peers up again", frrAllUp, 60_000);
  }, 200_000);

  test("TERM sends AdminDown: bfdd sees the neighbour go down administratively", async () => {
    expect(await ours.stop()).toBe(0);
    await waitFor("bfdd: peer down, remote diag admin down", async () => {
      const p = (await frr.peers()).find((x) => x.peer === A4);
      return p?.status === "down" && /administratively/i.test(String(p["remote-diagnostic"]));
    }, 30_000);
    expect(ours.log()).toContain("(e4) Entering AdminDown state");
  }, 60_000);
});
