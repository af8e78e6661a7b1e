/**
 * The linux-arm64 binary under qemu user-mode emulation (test/support/arm64.ts): `keepalived -t` on every
 * upstream sample keepalived.conf.* gives the same exit code as Debian's keepalived 2.2.7 -t, both run in
 * one private namespace (prefix kfp-c) holding eth0..eth3, as test/netns/config-parity.test.ts does in-process.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { arm64Binary } from "../support/arm64.ts";
import { Netns } from "../support/netns.ts";

const SAMPLES = `${import.meta.dir}/../../../shared/conformance/upstream-samples`;
const samples = readdirSync(SAMPLES).filter((f) => f.startsWith("keepalived.conf.")).sort();
let ns: Netns;
let bin = "";

beforeAll(async () => {
  bin = await arm64Binary();
  ns = new Netns(`kfp-c${process.pid % 10000}`);
  ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
  ns.ip("link", "add", "eth2", "type", "veth", "peer", "name", "eth3");
}, 120_000);
afterAll(async () => {
  await ns?.destroy();
});

async function configTest(exe: string, file: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(["ip", "netns", "exec", ns.name, exe, "-t", "-f", file], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: out + err };
}

describe("arm64 binary (qemu-user): -t on the upstream samples matches keepalived 2.2.7", () => {
  test("the sample set is present", () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
  });
  for (const name of samples) {
    test(name, async () => {
      const file = `${SAMPLES}/${name}`;
      const [ka, ours] = await Promise.all([configTest("/usr/sbin/keepalived", file), configTest(bin, file)]);
      const detail = ours.code === ka.code ? "" : `\n--- keepalived:\n${ka.out}--- ours (arm64):\n${ours.out}`;
      expect(`${name} exit ${ours.code}${detail}`).toBe(`${name} exit ${ka.code}`);
    }, 60_000);
  }
});
