/**
 * Our compiled keepalived against itself in namespaces A — R — B: single hop A↔R and multihop A↔B (through
 * R), IPv4 and IPv6. Malformed packets, one per RFC 5880 §6.8.6 check plus the RFC 5881 §5 TTL check, are
 * injected with a raw UDP sender: each is dropped and counted by reason, and the session stays Up.
 * A frozen peer brings sessions Down by detection time and back Up; a reload runs a Poll Sequence; TERM
 * sends AdminDown. Namespace prefix kbr-o.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BfdControlFields, encodeBfdControl } from "../../src/proto/bfd.ts";
import { Netns, sh, waitFor } from "../support/netns.ts";
import { ADDR, type BfdConf, binaryUnderTest, lineTopology, OurDaemon, renderConf } from "../support/bfd/daemon.ts";
import { toHex } from "../support/bfd/inject.ts";

const ON_A: BfdConf[] = [
  { name: "sh4", neighbor: ADDR.r4a, source: ADDR.a4 },
  { name: "sh6", neighbor: ADDR.r6a, source: ADDR.a6, ttl: 255 },
  { name: "mh4", neighbor: ADDR.b4, source: ADDR.a4, multihop: true, maxHops: 2 },
  { name: "mh6", neighbor: ADDR.b6, source: ADDR.a6, multihop: true, maxHops: 2, ttl: 255 },
];
const ON_R: BfdConf[] = [
  { name: "sh4", neighbor: ADDR.a4, source: ADDR.r4a },
  { name: "sh6", neighbor: ADDR.a6, source: ADDR.r6a, ttl: 255 },
];
const ON_B: BfdConf[] = [
  { name: "mh4", neighbor: ADDR.a4, source: ADDR.b4, multihop: true, maxHops: 2 },
  { name: "mh6", neighbor: ADDR.a6, source: ADDR.b6, multihop: true, maxHops: 2, ttl: 255 },
];

let a: Netns, r: Netns, b: Netns, dir: string;
let da: OurDaemon, dr: OurDaemon, db: OurDaemon;

function daemon(ns: Netns, name: string, bin: string, conf: BfdConf[]): OurDaemon {
  const d = join(dir, name);
  mkdirSync(d);
  return new OurDaemon(ns, d, bin, renderConf(conf));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kbr-ours-"));
  a = new Netns("kbr-oa");
  r = new Netns("kbr-or");
  b = new Netns("kbr-ob");
  lineTopology(a, r, b);
  const bin = await binaryUnderTest();
  da = daemon(a, "a", bin, ON_A);
  dr = daemon(r, "r", bin, ON_R);
  db = daemon(b, "b", bin, ON_B);
}, 60_000);

afterAll(async () => {
  for (const d of [da, dr, db]) await d?.stop();
  for (const n of [a, r, b]) await n?.destroy();
  if (!process.env.KBR_KEEP) rmSync(dir, { recursive: true, force: true });
});

const hexDiscr = (s: Record<string, string> | undefined, key: string) => Number(s?.[key] ?? "0");

/** Sends raw payloads from R's address on the A link to A's single-hop port. */
function inject(payloads: Uint8Array[], ttl = 255): void {
  const tool = join(import.meta.dir, "../support/bfd/inject.ts");
  r.exec([process.execPath, tool, ADDR.r4a, ADDR.a4, "3784", String(ttl), ...payloads.map(toHex)]);
}

describe("BFD: ours against ours", () => {
  test("single hop and multihop, IPv4 and IPv6, come Up on every side", async () => {
    for (const c of ON_A) await da.waitSession(c.name, "local state", "Up");
    for (const c of ON_R) await dr.waitSession(c.name, "local state", "Up");
    for (const c of ON_B) await db.waitSession(c.name, "local state", "Up");
  }, 60_000);

  test("malformed packets are dropped and counted per reason; the session is not disturbed", async () => {
    const before = await da.dump();
    const mine = before.sessions.get("sh4"), theirs = (await dr.dump()).sessions.get("sh4");
    const base: BfdControlFields = {
      diag: 0,
      state: "Up",
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: 3,
      myDiscriminator: hexDiscr(theirs, "local discriminator"),
      yourDiscriminator: hexDiscr(mine, "local discriminator"),
      desiredMinTxUs: 100_000,
      requiredMinRxUs: 100_000,
      requiredMinEchoRxUs: 0,
    };
    const pkt = (f: Partial<BfdControlFields>, patch?: (b: Uint8Array) => void): Uint8Array => {
      const bytes = encodeBfdControl({ ...base, ...f });
      patch?.(bytes);
      return bytes;
    };
    const cases: [string, Uint8Array][] = [
      ["truncated", new Uint8Array([0x20, 0xc0, 0x03])],
      ["bad-version", pkt({}, (x) => (x[0] = 0x40))],
      ["length-too-small", pkt({}, (x) => (x[3] = 23))],
      ["length-exceeds-payload", pkt({}, (x) => (x[3] = 48))],
      ["zero-detect-mult", pkt({ detectMult: 0 })],
      ["multipoint", pkt({}, (x) => (x[1] = x[1]! | 0x01))],
      ["zero-my-discriminator", pkt({ myDiscriminator: 0 })],
      ["zero-your-discriminator", pkt({ yourDiscriminator: 0 })],
      [
        "auth-not-supported",
        new Uint8Array([
          ...pkt({}, (x) => {
            x[1] = x[1]! | 0x04;
            x[3] = 26;
          }),
          1,
          2,
        ]),
      ],
      ["poll-and-final", pkt({ poll: true, final: true })],
      [
        "unknown-your-discriminator",
        pkt({ yourDiscriminator: (base.yourDiscriminator ^ 0x5a5a5a5a) >>> 0 || 1 }),
      ],
    ];
    // Each would disturb the session if it were accepted: all but one say Down (a zero Your Discriminator is
    // only malformed in Init or Up, RFC 5880 §6.8.6).
    const saysDown = (x: Uint8Array) => {
      x[1] = (x[1]! & 0x3f) | (1 << 6);
      return x;
    };
    inject(cases.map(([reason, bytes]) => (reason === "zero-your-discriminator" ? bytes : saysDown(bytes))));
    inject([pkt({ state: "Down" })], 254); // valid, but TTL 254 on a single-hop session (RFC 5881 §5)
    const reasons = [...cases.map(([reason]) => reason), "ttl-too-low"];
    const counted = (d: Awaited<ReturnType<OurDaemon["dump"]>>) =>
      reasons.map((reason) => ({ reason, count: (d.drops[reason] ?? 0) - (before.drops[reason] ?? 0) }));
    const after = await waitFor("every injected packet counted", async () => {
      const d = await da.dump();
      return counted(d).every((c) => c.count >= 1) ? d : undefined;
    }, 5_000).catch(async () => await da.dump());
    expect(counted(after)).toEqual(reasons.map((reason) => ({ reason, count: 1 })));
    expect(after.sessions.get("sh4")?.["local state"]).toBe("Up");
    expect(da.log()).not.toMatch(/\(sh4\) Entering Down state/);
    expect(da.log()).toMatch(/discarded BFD packet: poll-and-final/);
  }, 30_000);

  test("a reload with new timers completes a Poll Sequence answered by our own peer", async () => {
    await db.reload(renderConf(ON_B.map((c) => (c.name === "mh4" ? { ...c, minRxMs: 150 } : c))));
    await db.waitLog(/\(mh4\) Poll sequence completed by Final from 192\.0\.2\.1/);
    const s = await da.waitSession("mh4", "remote min rx intv", "150000 us");
    expect(s["local state"]).toBe("Up");
  }, 30_000);

  test(
    "a frozen peer is detected (Control Detection Time Expired) and comes back Up when it runs again",
    async () => {
      const child = Number(readFileSync(join(dir, "r", "b.pid"), "utf8").trim());
      sh(["kill", "-STOP", String(child)]);
      try {
        for (const n of ["sh4", "sh6"]) {
          const s = await da.waitSession(n, "local state", "Down");
          expect(s["local diag"]).toBe("Control Detection Time Expired");
        }
      } finally {
        sh(["kill", "-CONT", String(child)]);
      }
      for (const n of ["sh4", "sh6"]) await da.waitSession(n, "local state", "Up");
      expect((await da.dump()).sessions.get("mh4")?.["local state"]).toBe("Up");
    },
    60_000,
  );

  test(
    "TERM on one side sends AdminDown: the other goes Down with Neighbor Signaled Session Down, then Up after a restart",
    async () => {
      expect(await db.stop()).toBe(0);
      for (const n of ["mh4", "mh6"]) {
        const s = await da.waitSession(n, "local state", "Down");
        expect([s["local diag"], s["remote diag"]]).toEqual([
          "Neighbor Signaled Session Down",
          "Administratively Down",
        ]);
      }
      rmSync(join(dir, "b"), { recursive: true, force: true });
      db = daemon(b, "b", await binaryUnderTest(), ON_B);
      for (const n of ["mh4", "mh6"]) await da.waitSession(n, "local state", "Up");
    },
    60_000,
  );
});
