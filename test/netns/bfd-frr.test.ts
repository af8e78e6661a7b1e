/**
 * Our compiled keepalived (BFD child only) against FRR's bfdd in namespaces A — R — B:
 * RFC 5881 single hop to bfdd in R and RFC 5883 multihop (through R) to bfdd in B, IPv4 and IPv6.
 * Sessions come Up on both sides; a timer change on either side completes a Poll Sequence (RFC 5880 §6.5);
 * a stopped bfdd brings our sessions to it Down (Control Detection Time Expired) and a restarted one Up.
 * Namespace prefix kbr-f.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Netns, waitFor } from "../support/netns.ts";
import { type FrrBfdd, type FrrBfdPeer, type FrrPeerStatus, startFrrBfdd } from "../support/bfd/frr.ts";
import { ADDR, type BfdConf, binaryUnderTest, lineTopology, OurDaemon, renderConf } from "../support/bfd/daemon.ts";

const R_PEERS: FrrBfdPeer[] = [
  {
    peer: ADDR.a4,
    localAddress: ADDR.r4a,
    receiveIntervalMs: 100,
    transmitIntervalMs: 100,
    detectMultiplier: 3,
  },
  {
    peer: ADDR.a6,
    localAddress: ADDR.r6a,
    receiveIntervalMs: 100,
    transmitIntervalMs: 100,
    detectMultiplier: 3,
  },
];
const B_PEERS: FrrBfdPeer[] = [
  { peer: ADDR.a4, localAddress: ADDR.b4, multihop: true, receiveIntervalMs: 100, transmitIntervalMs: 100 },
  { peer: ADDR.a6, localAddress: ADDR.b6, multihop: true, receiveIntervalMs: 100, transmitIntervalMs: 100 },
];
const OURS: BfdConf[] = [
  { name: "sh4", neighbor: ADDR.r4a, source: ADDR.a4 },
  { name: "sh6", neighbor: ADDR.r6a, source: ADDR.a6, ttl: 255 },
  { name: "mh4", neighbor: ADDR.b4, source: ADDR.a4, multihop: true, maxHops: 2 },
  { name: "mh6", neighbor: ADDR.b6, source: ADDR.a6, multihop: true, maxHops: 2, ttl: 255 },
];

let a: Netns, r: Netns, b: Netns, dir: string;
let ours: OurDaemon, frrR: FrrBfdd, frrB: FrrBfdd;

async function frrPeer(f: FrrBfdd, peer: string): Promise<FrrPeerStatus | undefined> {
  return (await f.peers()).find((p) => p.peer === peer);
}

async function frrAllUp(f: FrrBfdd): Promise<boolean> {
  const ps = await f.peers();
  return ps.length === 2 && ps.every((p) => p.status === "up");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kbr-frr-"));
  chmodSync(dir, 0o755); // bfdd runs as user frr and must reach its own directory below this one
  a = new Netns("kbr-fa");
  r = new Netns("kbr-fr");
  b = new Netns("kbr-fb");
  lineTopology(a, r, b);
  frrR = await startFrrBfdd({ namespace: r.name, dir: join(dir, "frr-r"), peers: R_PEERS });
  frrB = await startFrrBfdd({ namespace: b.name, dir: join(dir, "frr-b"), peers: B_PEERS });
  ours = new OurDaemon(a, dir, await binaryUnderTest(), renderConf(OURS));
}, 60_000);

afterAll(async () => {
  await ours?.stop();
  await frrR?.stop();
  await frrB?.stop();
  for (const n of [a, r, b]) await n?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("BFD: ours against FRR bfdd", () => {
  test("single hop and multihop, IPv4 and IPv6, come Up on both sides", async () => {
    for (const c of OURS) await ours.waitSession(c.name, "local state", "Up");
    await waitFor("bfdd in R: both peers up", () => frrAllUp(frrR));
    await waitFor("bfdd in B: both multihop peers up", () => frrAllUp(frrB));
    const log = ours.log();
    for (const c of OURS) expect(log).toContain(`(${c.name}) Entering Up state`);
    const { drops } = await ours.dump();
    expect(drops["ttl-too-low"] ?? 0).toBe(0);
  }, 60_000);

  test("an FRR timer change completes its Poll Sequence and the session stays Up", async () => {
    await frrR.vtysh([
      "configure terminal",
      "bfd",
      `peer ${ADDR.a4} local-address ${ADDR.r4a}`,
      "receive-interval 200",
    ]);
    const s = await ours.waitSession("sh4", "remote min rx intv", "200000 us");
    expect(s["local state"]).toBe("Up");
    await waitFor("bfdd applied its new receive interval", async () => {
      const p = await frrPeer(frrR, ADDR.a4);
      return p?.status === "up" && p["receive-interval"] === 200;
    });
    expect(ours.log()).not.toMatch(/\(sh4\) Entering Down state/);
  }, 30_000);

  test("our timer change (reload) completes a Poll Sequence that bfdd answers with Final", async () => {
    const changed = OURS.map((
      c,
    ) => (c.name === "sh4" || c.name === "mh6" ? { ...c, minRxMs: 150, minTxMs: 120 } : c));
    await ours.reload(renderConf(changed));
    await ours.waitLog(/\(sh4\) Poll sequence completed by Final from 192\.0\.2\.254/);
    await ours.waitLog(/\(mh6\) Poll sequence completed by Final from 2001:db8:2::2/);
    await waitFor("bfdd sees our new intervals", async () => {
      const p = await frrPeer(frrR, ADDR.a4);
      return p?.["remote-receive-interval"] === 150 && p["remote-transmit-interval"] === 120 &&
        p.status === "up";
    });
    const s = await ours.waitSession("sh4", "advertised min rx intv", "150000 us");
    expect([s["local state"], s["poll sequence"]]).toEqual(["Up", "none"]);
    expect(ours.log()).not.toMatch(/Entering Down state/);
  }, 30_000);

  test(
    "stopping bfdd in R brings the single-hop sessions Down, multihop stays Up; a restart brings them Up",
    async () => {
      await frrR.stop();
      for (const n of ["sh4", "sh6"]) {
        const s = await ours.waitSession(n, "local state", "Down");
        expect(s["local diag"]).toBe("Control Detection Time Expired");
      }
      for (const n of ["mh4", "mh6"]) expect((await ours.dump()).sessions.get(n)?.["local state"]).toBe("Up");
      frrR = await startFrrBfdd({ namespace: r.name, dir: join(dir, "frr-r"), peers: R_PEERS });
      for (const n of ["sh4", "sh6"]) await ours.waitSession(n, "local state", "Up");
      await waitFor("bfdd in R: both peers up again", () => frrAllUp(frrR));
    },
    60_000,
  );

  test("stopping bfdd in B brings the multihop sessions Down; a restart brings them Up", async () => {
    await frrB.stop();
    for (const n of ["mh4", "mh6"]) await ours.waitSession(n, "local state", "Down");
    await ours.waitLog(/\(mh4\) Entering Down state \(Local diagnostic - Control Detection Time Expired/);
    frrB = await startFrrBfdd({ namespace: b.name, dir: join(dir, "frr-b"), peers: B_PEERS });
    for (const n of ["mh4", "mh6"]) await ours.waitSession(n, "local state", "Up");
    await waitFor("bfdd in B: both peers up again", () => frrAllUp(frrB));
  }, 60_000);

  test("TERM sends AdminDown: bfdd sees the neighbor go down administratively", async () => {
    expect(await ours.stop()).toBe(0);
    await waitFor("bfdd in R: peer down with remote diag admin down", async () => {
      const p = await frrPeer(frrR, ADDR.a4);
      return p?.status === "down" && /administratively/i.test(String(p["remote-diagnostic"]));
    });
    expect(ours.log()).toContain("(sh4) Entering AdminDown state");
  }, 30_000);
});
