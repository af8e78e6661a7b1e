/**
 * track_bfd end to end (prefix kvf-f): our BFD child runs a session with keepalived 2.2.7's BFD child
 * in B; the parent relays its bfdState messages to our VRRP child, whose instance tracks the session
 * (weight 0): FAULT until the session is Up, MASTER while it is, FAULT when keepalived is SIGKILLed
 * (detection time 3 × 100 ms), MASTER again when it comes back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { VrrpLab } from "../support/vrrp-lab.ts";

let dir = "";
let lab: VrrpLab | undefined, a: Netns, b: Netns;
let ours: Subprocess;

const bfd = (peer: string) =>
  `bfd_instance peer1 {
  neighbor_ip ${peer}
  min_rx 100
  min_tx 100
  multiplier 3
}
`;

beforeAll(async () => {
  const bin = await ensureBinary();
  lab = new VrrpLab("kvf-f");
  ({ a, b, dir } = lab);
  writeFileSync(
    join(dir, "a.conf"),
    `global_defs {
  router_id kvf_fa
}
${bfd("192.0.2.2")}vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 71
  priority 100
  advert_int 1
  track_bfd {
    peer1
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`,
  );
  writeFileSync(
    join(dir, "b.conf"),
    `global_defs {
  router_id kvf_fb
}
${bfd("192.0.2.1")}`,
  );
  ours = a.spawn(["sh", "-c", `exec ${bin} -n -l -D -f ${dir}/a.conf -p ${dir}/a.pid -r ${dir}/av.pid -c ${dir}/ac.pid -b ${dir}/ab.pid > ${dir}/a.log 2>&1`]);
});

afterAll(async () => {
  ours?.kill("SIGTERM");
  await ours?.exited;
  await lab?.destroy();
});

const state = () => [...readFileSync(join(dir, "a.log"), "utf8").matchAll(/\(VI_1\) Entering (\w+) STATE/g)].at(-1)?.[1];
const hasVip = () => a.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100/24");

function startKa(): Subprocess {
  return b.spawn([
    "sh",
    "-c",
    `exec /usr/sbin/keepalived -n -l -D -f ${dir}/b.conf -p ${dir}/b.pid -r ${dir}/bv.pid -c ${dir}/bc.pid -b ${dir}/bb.pid >> ${dir}/b.log 2>&1`,
  ]);
}

async function killKa(): Promise<void> {
  const pids = ["b.pid", "bb.pid"].filter((f) => existsSync(join(dir, f))).map((f) => Number(readFileSync(join(dir, f), "utf8")));
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch { /* gone */ }
  }
  for (const f of ["b.pid", "bb.pid"]) rmSync(join(dir, f), { force: true });
  await waitFor("keepalived gone", () => pids.every((p) => !existsSync(`/proc/${p}`) || /\) Z/.test(readFileSync(`/proc/${p}/stat`, "utf8"))));
}

describe("track_bfd", () => {
  test("FAULT while the BFD session is down, MASTER while it is up", async () => {
    await waitFor("FAULT without a BFD peer", () => existsSync(join(dir, "a.log")) && state() === "FAULT");
    expect(hasVip()).toBe(false);
    const ka = startKa();
    await waitFor("MASTER once BFD is Up", () => state() === "MASTER" && hasVip());
    await killKa();
    await ka.exited;
    await waitFor("FAULT after BFD detection time", () => state() === "FAULT" && !hasVip());
    expect(readFileSync(join(dir, "a.log"), "utf8")).toMatch(/BFD peer1 is Down/);
    expect(readFileSync(join(dir, "a.log"), "utf8")).not.toMatch(/VRRP child process\(\d+\) exited/);
    const ka2 = startKa();
    await waitFor("MASTER again", () => state() === "MASTER" && hasVip());
    await killKa();
    await ka2.exited;
  }, 90_000);
});
