/**
 * The linux-arm64 binary under qemu user-mode emulation (test/support/arm64.ts) runs a TCP_CHECK
 * (keepalived.conf(5) "TCP_CHECK") against a real server, socat, in namespaces (prefix kfp-k): the real
 * server comes UP, goes DOWN when socat stops, and comes back UP when it listens again. This kernel has
 * no IPVS in namespaces, so the state is read from the log (the checker keeps running without IPVS).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { arm64Binary } from "../support/arm64.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";
import { spawnIn, type Started, waitListening } from "../support/check/servers.ts";

const PORT = 18210;
const RS = `RS [192.0.2.2]:tcp:${PORT} of VS [203.0.113.1]:tcp:80`;
let dir = "", director: Netns, server: Netns, daemon: Subprocess, socat: Started | undefined;
const log = () => (existsSync(join(dir, "console.log")) ? readFileSync(join(dir, "console.log"), "utf8") : "");
const startSocat = async () => {
  socat = spawnIn(server.name, ["socat", `TCP-LISTEN:${PORT},bind=192.0.2.2,fork,reuseaddr`, "OPEN:/dev/null"]);
  await waitListening(server.name, "tcp", PORT);
};
const waitLog = async (what: string, s: string, from = 0) => {
  try {
    await waitFor(what, () => log().indexOf(s, from) >= 0, 60_000, 100);
  } catch (e) {
    console.log(log());
    throw e;
  }
  return log().indexOf(s, from);
};

beforeAll(async () => {
  const bin = await arm64Binary();
  dir = mkdtempSync("/tmp/kfp-check-");
  director = new Netns(`kfp-kd${process.pid % 10000}`);
  server = new Netns(`kfp-ks${process.pid % 10000}`);
  vethPair(director, "kd0", server, "ks0");
  director.ip("addr", "add", "192.0.2.1/24", "dev", "kd0");
  server.ip("addr", "add", "192.0.2.2/24", "dev", "ks0");
  await startSocat();
  writeFileSync(
    join(dir, "k.conf"),
    `virtual_server 203.0.113.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  real_server 192.0.2.2 ${PORT} {
    TCP_CHECK {
      connect_timeout 2
      retry 0
    }
  }
}
`,
  );
  const f = (n: string) => join(dir, n);
  daemon = Bun.spawn([
    "ip",
    "netns",
    "exec",
    director.name,
    bin,
    "-n",
    "-l",
    "-D",
    "-f",
    f("k.conf"),
    "-p",
    f("k.pid"),
    "-r",
    f("v.pid"),
    "-c",
    f("c.pid"),
    "-b",
    f("b.pid"),
  ], {
    stdout: Bun.file(f("stdout.log")),
    stderr: Bun.file(f("console.log")),
  });
  director.procs.push(daemon);
}, 120_000);

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill("SIGTERM");
    await daemon.exited;
  }
  await socat?.stop();
  await director?.destroy();
  await server?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("arm64 binary (qemu-user): TCP_CHECK against socat", () => {
  test("UP while it listens, DOWN when it stops, UP again when it is back", async () => {
    const up = await waitLog("RS up", `${RS} starts UP`);
    await socat!.stop();
    const down = await waitLog("RS DOWN", `${RS} is DOWN (TCP_CHECK`, up);
    expect(log().slice(down)).toMatch(/connect: (connection refused|ECONNREFUSED)/i);
    await startSocat();
    await waitLog("RS UP again", `${RS} is UP (TCP_CHECK`, down);
    expect(daemon.exitCode).toBeNull();
    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  }, 180_000);
});
