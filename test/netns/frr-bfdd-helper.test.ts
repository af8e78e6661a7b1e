/** The FRR bfdd helper itself: two bfdd in namespaces kbf-t-a / kbf-t-b reach Up; stop kills only that pid. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { renderBfddConfig, startFrrBfdd } from "../support/bfd/frr.ts";
import type { FrrBfdd } from "../support/bfd/frr.ts";
import { waitFor } from "../support/wait.ts";

const NS = ["kbf-t-a", "kbf-t-b"] as const;
const started: FrrBfdd[] = [];

function sh(...argv: string[]): void {
  const r = Bun.spawnSync(argv, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString().trim()}`);
}

beforeAll(() => {
  for (const ns of NS) Bun.spawnSync(["ip", "netns", "del", ns]);
  for (const ns of NS) sh("ip", "netns", "add", ns);
  sh("ip", "link", "add", "kbf-ta", "netns", NS[0], "type", "veth", "peer", "name", "kbf-tb", "netns", NS[1]);
  sh("ip", "-n", NS[0], "addr", "add", "192.0.2.1/24", "dev", "kbf-ta");
  sh("ip", "-n", NS[1], "addr", "add", "192.0.2.2/24", "dev", "kbf-tb");
  sh("ip", "-n", NS[0], "link", "set", "kbf-ta", "up");
  sh("ip", "-n", NS[1], "link", "set", "kbf-tb", "up");
});

afterAll(async () => {
  for (const d of started) await d.stop();
  for (const ns of NS) Bun.spawnSync(["ip", "netns", "del", ns]);
  for (const dir of ["/tmp/kbf-t-a", "/tmp/kbf-t-b"]) rmSync(dir, { recursive: true, force: true });
});

test("renders a peer block", () => {
  expect(
    renderBfddConfig([{
      peer: "198.51.100.2",
      localAddress: "198.51.100.1",
      multihop: true,
      transmitIntervalMs: 100,
      passive: true,
    }]),
  )
    .toBe(
      "bfd\n peer 198.51.100.2 multihop local-address 198.51.100.1\n  transmit-interval 100\n  passive-mode\n  no shutdown\n !\n!\n",
    );
});

test("two bfdd come Up; stop ends exactly the returned pid", async () => {
  const a = await startFrrBfdd({
    namespace: NS[0],
    dir: "/tmp/kbf-t-a",
    peers: [{
      peer: "192.0.2.2",
      localAddress: "192.0.2.1",
      transmitIntervalMs: 100,
      receiveIntervalMs: 100,
    }],
  });
  started.push(a);
  const b = await startFrrBfdd({
    namespace: NS[1],
    dir: "/tmp/kbf-t-b",
    peers: [{
      peer: "192.0.2.1",
      localAddress: "192.0.2.2",
      transmitIntervalMs: 100,
      receiveIntervalMs: 100,
    }],
  });
  started.push(b);
  expect(readFileSync(`/proc/${a.pid}/comm`, "utf8").trim()).toBe("bfdd");
  expect(readFileSync(`/tmp/kbf-t-a/bfdd.pid`, "utf8").trim()).toBe(String(a.pid));
  await waitFor(
    "both Up",
    async () => (await a.peers())[0]?.status === "up" && (await b.peers())[0]?.status === "up",
  );
  const peer = (await a.peers())[0]!;
  expect(peer["remote-id"]).toBe((await b.peers())[0]!.id);
  await b.stop();
  expect(existsSync(`/proc/${b.pid}`)).toBe(false);
  expect(existsSync(`/proc/${a.pid}`)).toBe(true);
  await waitFor("a detects b gone", async () => (await a.peers())[0]?.status === "down");
  expect((await a.peers())[0]!.diagnostic).toBe("control detection time expired");
});
