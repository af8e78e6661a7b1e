/**
 * `vrrp_notify_priority_changes` (keepalived.conf(5) global_defs; `notify_priority_changes` per
 * instance) beside Debian's keepalived 2.2.7 (prefix kcd-): the same configuration, a track_file whose
 * value moves the effective priority and a vrrp_notify_fifo, runs under keepalived and under ours, each
 * alone in its namespace. Both FIFOs must carry the same lines, in keepalived's format:
 * `INSTANCE "VI_1" MASTER_PRIORITY 107`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { loneRouter } from "../support/vrrp-lab.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const id = process.pid % 10000;
const dir = mkdtempSync("/tmp/kcd-pn-");
const spaces: Netns[] = [];
const readers: Subprocess[] = [];
afterAll(async () => {
  for (const r of readers) if (r.exitCode === null) r.kill("SIGKILL");
  for (const ns of spaces.reverse()) await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function conf(tag: string): string {
  return `global_defs {
  router_id kcd_pn
  vrrp_notify_fifo ${dir}/${tag}.fifo
  vrrp_notify_priority_changes
}
track_file tf {
  file ${dir}/${tag}.val
  weight 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 81
  priority 100
  track_file {
    tf
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
}

const read = (p: string): string => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
};

describe("notify_priority_changes beside keepalived 2.2.7", () => {
  test("the same FIFO lines", async () => {
    const bin = await ensureBinary();
    const lines: Record<string, string[]> = {};
    const runs = [["ka", KEEPALIVED], ["us", bin]] as const;
    const procs: Subprocess[] = [];
    for (const [tag, b] of runs) {
      const ns = loneRouter(`kcd-pn${tag}${id}`);
      spaces.push(ns);
      writeFileSync(join(dir, `${tag}.val`), "0\n");
      Bun.spawnSync(["mkfifo", "-m", "600", join(dir, `${tag}.fifo`)]);
      const reader = Bun.spawn(["sh", "-c", `exec cat "$0" > "$1"`, join(dir, `${tag}.fifo`), join(dir, `${tag}.out`)]);
      readers.push(reader);
      writeFileSync(join(dir, `${tag}.conf`), conf(tag));
      const f = (s: string) => join(dir, `${tag}-${s}`);
      procs.push(ns.spawn([b, "-n", "-l", "-D", "-f", join(dir, `${tag}.conf`), "-p", f("k"), "-r", f("v"), "-c", f("c"), "-b", f("b")]));
    }
    const out = (tag: string) => read(join(dir, `${tag}.out`));
    for (const [tag] of runs) await waitFor(`${tag} MASTER on the FIFO`, () => out(tag).includes(`"VI_1" MASTER 100`), 30_000);
    for (const [tag] of runs) writeFileSync(join(dir, `${tag}.val`), "7\n");
    for (const [tag] of runs) await waitFor(`${tag} priority 107`, () => out(tag).includes("MASTER_PRIORITY 107"), 20_000);
    for (const [tag] of runs) writeFileSync(join(dir, `${tag}.val`), "-5\n");
    for (const [tag] of runs) await waitFor(`${tag} priority 95`, () => out(tag).includes("MASTER_PRIORITY 95"), 20_000);
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
    for (const [tag] of runs) await waitFor(`${tag} STOP`, () => out(tag).includes("STOP"), 10_000);
    for (const [tag] of runs) lines[tag] = out(tag).trim().split("\n");
    expect(lines.ka).toEqual([
      `INSTANCE "VI_1" BACKUP 100`,
      `INSTANCE "VI_1" MASTER 100`,
      `INSTANCE "VI_1" MASTER_PRIORITY 107`,
      `INSTANCE "VI_1" MASTER_PRIORITY 95`,
      `INSTANCE "VI_1" STOP 95`,
    ]);
    expect(lines.us).toEqual(lines.ka!);
  }, 120_000);
});
