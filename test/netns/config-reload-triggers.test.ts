/**
 * reload_time_file, reload_file and reload_check_config beside keepalived 2.2.7 (namespace kmi-rt*): under
 * each daemon, a reload timer file a few seconds ahead reloads it and is removed; a reload file an updater
 * left is gone once a HUP's reading is done; with reload_check_config, a HUP onto a configuration with an
 * error is refused after the check in a separate process ("New config failed validation, see LOG for
 * details", the check's findings in LOG) and the instance stays MASTER.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { netnsWithVeth, sh } from "../support/netns.ts";
import { KEEPALIVED, OURS } from "../support/dump/dump-capture.ts";
import { waitFor } from "../support/wait.ts";

const dir = mkdtempSync("/tmp/kmi-rt-");
const ns = netnsWithVeth(`kmi-rt${process.pid % 10000}`, "kmi0", "kmi1", "10.250.0.1/24");
afterAll(async () => {
  await ns.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

const conf = (d: string, vrid: number) =>
  `global_defs {
  reload_time_file ${d}/reload-at
  reload_file ${d}/reload-flag
  reload_check_config ${d}/check.log
}
vrrp_instance V1 {
  interface kmi0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.251.0.1/32
  }
}
`;

/** "HH:MM:SSZ" `s` seconds from now. */
const inSeconds = (s: number): string => new Date(Date.now() + s * 1000).toISOString().slice(11, 19) + "Z";

async function scenario(daemon: string, name: string): Promise<string> {
  const d = join(dir, name);
  sh(["mkdir", "-p", d]);
  writeFileSync(join(d, "k.conf"), conf(d, 51));
  const p = ns.spawn(["sh", "-c", `exec ${daemon} -f ${d}/k.conf -l -D -n -p ${d}/k.pid -r ${d}/v.pid > ${d}/log.txt 2>&1`]);
  const log = () => readFileSync(join(d, "log.txt"), "utf8");
  // keepalived says "Reloading ..." then "Reloading"; ours "Reloading configuration".
  const reloads = () => (log().match(/Reloading( configuration)?$/gm) ?? []).length;
  try {
    await waitFor(`${name}: MASTER`, () => log().includes("Entering MASTER STATE"), 30_000);
    const pid = Number(readFileSync(join(d, "k.pid"), "utf8"));
    // A timed reload.
    writeFileSync(join(d, "reload-at"), `${inSeconds(4)}\n`);
    await waitFor(`${name}: the timed reload`, () => reloads() >= 1, 15_000);
    await waitFor(`${name}: the timer file removed`, () => !existsSync(join(d, "reload-at")), 5000);
    // The reload file an updater touched is gone once the HUP's reading is done.
    writeFileSync(join(d, "reload-flag"), "updating");
    process.kill(pid, "SIGHUP");
    await waitFor(`${name}: the reload file removed`, () => !existsSync(join(d, "reload-flag")), 10_000);
    await waitFor(`${name}: the second reload`, () => reloads() >= 2, 10_000);
    // reload_check_config refuses a configuration with an error.
    writeFileSync(join(d, "k.conf"), conf(d, 300));
    process.kill(pid, "SIGHUP");
    await waitFor(`${name}: the refusal`, () => log().includes(`New config failed validation, see ${d}/check.log for details`), 15_000);
    await waitFor(`${name}: the check's findings in its log`, () => statSync(join(d, "check.log")).size > 0, 5000);
    expect(ns.ip("addr", "show", "kmi0")).toContain("10.251.0.1/32");
    return log();
  } finally {
    p.kill("SIGTERM");
    await p.exited;
    await waitFor(`${name}: stopped`, () => !existsSync(join(d, "k.pid")), 15_000).catch(() => {});
  }
}

describe("reload triggers beside keepalived 2.2.7", () => {
  test("timed reload, reload file, reload_check_config refusal: the same under both", async () => {
    await scenario(KEEPALIVED, "ka");
    await scenario(OURS, "ours");
  }, 180_000);
});
