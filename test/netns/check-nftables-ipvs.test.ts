/**
 * nftables_ipvs on this host's kernel (nf_tables, no IPVS), in an nfi- namespace: the compiled daemon
 * (check child only) with test/vm/configs/nftables-ipvs.conf writes exactly the ruleset keepalived 2.2.7
 * wrote for it in the VM (test/vm/configs/nftables-ipvs.ruleset, which VM test 39 keeps true), handles
 * aside; after a kill -9 of the check child the restarted one leaves it as it was; a group of 3,000
 * entries (several transactions) is all there; TERM deletes the tables.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary, ROOT } from "../support/binary.ts";
import { collectOutput, Netns, waitFor } from "../support/netns.ts";

const CONFIGS = join(ROOT, "test/vm/configs");
let bin = "";
let ns: Netns;
const dir = mkdtempSync("/tmp/nfi-ipvs-");
chmodSync(dir, 0o755);

beforeAll(async () => {
  bin = await ensureBinary();
  ns = new Netns("nfi-ipvs");
});
afterAll(async () => {
  await ns?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** `nft -j list ruleset` as VM tests print it (lib.sh nft_ruleset): no handles, no metainfo, one object a line. */
function ruleset(): string {
  return ns.exec(["nft", "-j", "list", "ruleset"]).replace(/"handle": \d+, /g, "").replace(/, "handle": \d+/g, "")
    .replace(/\{"metainfo": \{[^}]*\}\}, /, "").replaceAll('}}, {"', '}}\n{"');
}

/** Starts the daemon on `text`; its output collects into `out`. */
function start(name: string, text: string): { proc: Subprocess; out: () => string; childPid: () => number } {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, text, { mode: 0o644 });
  const pid = join(dir, `${name}.pid`), cpid = join(dir, `${name}-c.pid`);
  const proc = ns.spawn([bin, "-n", "-l", "-C", "-G", "-f", conf, "-p", pid, "-c", cpid], { stdout: "pipe", stderr: "pipe" });
  let log = "";
  collectOutput(proc, (t) => void (log += t));
  return { proc, out: () => log, childPid: () => Number(readFileSync(cpid, "utf8").trim()) };
}

async function stop(d: { proc: Subprocess }): Promise<void> {
  d.proc.kill("SIGTERM");
  await d.proc.exited;
}

describe("nftables_ipvs on the host kernel", () => {
  test("the ruleset keepalived 2.2.7 wrote; kept across a kill -9 of the check child; gone on TERM", async () => {
    const want = readFileSync(join(CONFIGS, "nftables-ipvs.ruleset"), "utf8");
    const d = start("ref", readFileSync(join(CONFIGS, "nftables-ipvs.conf"), "utf8"));
    await waitFor("the ruleset keepalived 2.2.7 wrote", () => ruleset() === want, 60_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n--- ours:\n${ruleset()}\n--- log:\n${d.out()}`);
    });
    const loads = () => d.out().split("Loaded configuration").length - 1;
    await waitFor("the check child's log of its configuration", () => loads() === 1, 30_000);
    process.kill(d.childPid(), "SIGKILL");
    await waitFor("the check child started again", () => loads() === 2, 60_000);
    expect(ruleset()).toBe(want);
    await stop(d);
    expect(ns.exec(["nft", "list", "ruleset"]).trim()).toBe("");
  }, 150_000);

  test("a group of 3,000 entries is all in the map; TERM deletes it", async () => {
    const entries = Array.from({ length: 3000 }, (_, i) => `    10.1.${i >> 8}.${i & 255} 80`).join("\n");
    const d = start(
      "big",
      `global_defs {\n    nftables_ipvs\n}\nvirtual_server_group big {\n${entries}\n}
virtual_server group big {\n    protocol TCP\n    lb_kind DR\n    real_server 127.0.0.2 80 {\n    }\n}\n`,
    );
    const count = () => (ns.exec(["nft", "-j", "list", "ruleset"]).match(/"10\.1\.\d+\.\d+"/g) ?? []).length;
    await waitFor("3,000 elements", () => count() === 3000, 60_000).catch((e) => {
      throw new Error(`${(e as Error).message} (have ${count()})\n${d.out()}`);
    });
    expect(ruleset()).toContain('"name": "tcp_map"');
    await stop(d);
    expect(ns.exec(["nft", "list", "ruleset"]).trim()).toBe("");
  }, 150_000);
});
