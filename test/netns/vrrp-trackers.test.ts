/**
 * Trackers in the compiled binary (prefix kvf-t): track_file seen through inotify (value × weight,
 * init_file), vrrp_track_process counting a process we start and stop, unicast_fault_no_peer;
 * effective priorities and states read from the JSON dump (SIGWINCH to the VRRP child).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { loneRouter } from "../support/vrrp-lab.ts";

let dir = "";
let ns: Netns;
let ours: Subprocess;
const MARK = String(900000 + (process.pid % 90000));

beforeAll(async () => {
  const bin = await ensureBinary();
  dir = mkdtempSync("/tmp/kvf-t-");
  ns = loneRouter(`kvf-t${process.pid % 10000}`);
  writeFileSync(
    join(dir, "k.conf"),
    `global_defs {
  router_id kvf_t
  vrrp_version 3
  json_dump_file ${dir}/json
}
vrrp_track_file tf {
  file ${dir}/prio
  init_file 3
}
vrrp_track_process sleeper {
  process sleep ${MARK}
  quorum 1
  weight 20
  terminate_delay 0
}
vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 61
  priority 100
  advert_int 0.1
  track_file {
    tf weight -5
  }
  track_process {
    sleeper
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance VI_2 {
  interface veth0
  virtual_router_id 62
  priority 100
  advert_int 0.1
  unicast_fault_no_peer
  unicast_src_ip 192.0.2.1
  unicast_peer {
  }
  virtual_ipaddress {
    192.0.2.101/24
  }
}
`,
  );
  ours = ns.spawn(["sh", "-c", `exec ${bin} -n -l -D -f ${dir}/k.conf -p ${dir}/k.pid -r ${dir}/v.pid -c ${dir}/c.pid -b ${dir}/b.pid > ${dir}/log 2>&1`]);
  await waitFor("VRRP child running", () => existsSync(join(dir, "v.pid")) && readFileSync(join(dir, "log"), "utf8").includes("(VI_1) Entering"));
});

afterAll(async () => {
  ours?.kill("SIGTERM");
  await ours?.exited;
  await ns?.destroy();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

interface Dumped {
  data: { iname: string; state: number; effective_priority: number };
}
async function dump(): Promise<Map<string, Dumped["data"]>> {
  if (existsSync(join(dir, "json"))) unlinkSync(join(dir, "json"));
  process.kill(Number(readFileSync(join(dir, "v.pid"), "utf8")), "SIGWINCH");
  // keepalived's JSON dump has no trailing newline: complete when it parses.
  const j = await waitFor("JSON dump", () => {
    if (!existsSync(join(dir, "json"))) return undefined;
    try {
      return JSON.parse(readFileSync(join(dir, "json"), "utf8")) as Dumped[];
    } catch {
      return undefined;
    }
  });
  return new Map(j.map((x) => [x.data.iname, x.data]));
}
const prio = async () => (await dump()).get("VI_1")!.effective_priority;

describe("trackers in the daemon", () => {
  test("track_file: init_file, then every write is seen (inotify)", async () => {
    expect(readFileSync(join(dir, "prio"), "utf8").trim()).toBe("3");
    await waitFor("priority 85", async () => (await prio()) === 85);
    writeFileSync(join(dir, "prio"), "-2\n");
    await waitFor("priority 110", async () => (await prio()) === 110);
    writeFileSync(join(dir, "prio.new"), "0\n");
    Bun.spawnSync(["mv", join(dir, "prio.new"), join(dir, "prio")]); // replaced by rename
    await waitFor("priority 100", async () => (await prio()) === 100);
  }, 30_000);

  test("vrrp_track_process: a matching process adds its weight while it runs (in a namespace: by /proc scan)", async () => {
    // The process connector refuses listeners outside the initial network namespace (keepalived 2.2.7
    // then tracks nothing); we say so and scan /proc. test/component/vrrp/proc-events.test.ts covers the connector.
    expect(readFileSync(join(dir, "log"), "utf8")).toMatch(/cannot open the process connector \(.*ECONNREFUSED.*\); scanning \/proc once a second/);
    const p = Bun.spawn(["sleep", MARK]);
    try {
      await waitFor("priority 120", async () => (await prio()) === 120);
    } finally {
      p.kill("SIGKILL");
      await p.exited;
    }
    await waitFor("priority 100 again", async () => (await prio()) === 100);
  }, 30_000);

  test("unicast_fault_no_peer: an instance without peers is FAULT", async () => {
    const d = await dump();
    expect(d.get("VI_2")!.state).toBe(3);
    const log = readFileSync(join(dir, "log"), "utf8");
    expect(log).toContain("Cannot use unicast without any peers");
    expect(log).not.toContain("(VI_2) Entering BACKUP"); // straight to FAULT, as keepalived
  });
});
