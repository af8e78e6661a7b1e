/**
 * nopreempt and preempt_delay next to Debian's keepalived 2.2.7 (prefix kvn-), VRRPv3 at 0.1 s.
 * keepalived (priority 100) is MASTER when ours (priority 200) starts:
 *  - with `nopreempt` ours stays BACKUP although its priority is higher, until keepalived stops
 *    (priority 0 advert), then takes over; restarted, keepalived stays BACKUP (it has the lower priority);
 *  - with `preempt_delay 1` ours takes over, but not before the delay has run.
 * keepalived's log and both sides' addresses must agree.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { holdsFor, type Netns, waitFor } from "../support/netns.ts";
import { type LabDaemon, VrrpLab } from "../support/vrrp-lab.ts";

const VIP = "192.0.2.100";
const labs: VrrpLab[] = [];
afterAll(async () => {
  for (const l of labs) await l.destroy();
});

function conf(name: string, prio: number, extra: string): string {
  return `global_defs {\n  router_id ${name}\n  vrrp_version 3\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n` +
    `  virtual_router_id 77\n  priority ${prio}\n  advert_int 0.1\n${extra}  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
}

/** The lab for one case: ours in A, keepalived in B, VIP checks and logs by daemon name. */
function lab(label: string) {
  const l = new VrrpLab(`kvn-${label}`);
  labs.push(l);
  const daemons = new Map<string, LabDaemon>();
  const has = (n: Netns) => l.has(n, `${VIP}/24`);
  const start = (n: Netns, bin: string, name: string, text: string): Subprocess => {
    const d = l.daemon(n, bin, name, text, { args: ["-P"] });
    daemons.set(name, d);
    return d.proc;
  };
  const log = (name: string) => daemons.get(name)?.log() ?? "";
  return { a: l.a, b: l.b, has, start, log };
}

/** keepalived (priority 100) MASTER in B, then ours (priority 200, `extra` lines) in A, BACKUP for now. */
async function keepalivedMasterThenOurs(label: string, extra: string) {
  const bin = await ensureBinary();
  const l = lab(label);
  const ka = l.start(l.b, "/usr/sbin/keepalived", `ka${label}`, conf(`ka${label}`, 100, ""));
  await waitFor("keepalived MASTER", () => l.has(l.b) && /Entering MASTER STATE/.test(l.log(`ka${label}`)), 20_000);
  const ours = l.start(l.a, bin, `ours${label}`, conf(`ours${label}`, 200, extra));
  await waitFor("ours BACKUP", () => /Entering BACKUP STATE/.test(l.log(`ours${label}`)), 20_000);
  return { l, ka, ours };
}

describe("preemption next to keepalived 2.2.7", () => {
  test("nopreempt: a higher-priority BACKUP does not take over a live master, only a stopped one", async () => {
    const { l, ka, ours } = await keepalivedMasterThenOurs("n", "  nopreempt\n");
    // 15 advert intervals, far beyond the 0.3 s Master_Down_Interval
    await holdsFor("ours stays BACKUP (nopreempt)", () => !/Entering MASTER STATE/.test(l.log("oursn")) && !l.has(l.a) && l.has(l.b), 1500);
    // keepalived stops (priority 0): ours takes over within Skew_Time.
    ka.kill("SIGTERM");
    await ka.exited;
    await waitFor("ours MASTER after keepalived stopped", () => l.has(l.a) && /Entering MASTER STATE/.test(l.log("oursn")), 5_000);
    // keepalived back with its lower priority: it stays BACKUP, ours stays MASTER.
    const ka2 = l.start(l.b, "/usr/sbin/keepalived", "kan2", conf("kan", 100, ""));
    await waitFor("keepalived BACKUP", () => /Entering BACKUP STATE/.test(l.log("kan2")), 20_000);
    await holdsFor("keepalived stays BACKUP, ours MASTER", () => !/Entering MASTER STATE/.test(l.log("kan2")) && l.has(l.a) && !l.has(l.b), 1000);
    for (const p of [ka2, ours]) p.kill("SIGTERM");
    await Promise.all([ka2.exited, ours.exited]);
  }, 90_000);

  test("preempt_delay 1: the higher priority takes over, one second after it first heard the master", async () => {
    const { l, ka, ours } = await keepalivedMasterThenOurs("d", "  preempt_delay 1\n");
    const t0 = performance.now();
    await waitFor("ours MASTER", () => l.has(l.a) && /Entering MASTER STATE/.test(l.log("oursd")), 10_000);
    const waited = performance.now() - t0;
    // Not at the first advert (0.1 s), not later than the delay plus a few adverts of slack.
    expect(waited).toBeGreaterThan(700);
    expect(waited).toBeLessThan(4000);
    await waitFor("keepalived BACKUP", () => !l.has(l.b) && /Entering BACKUP STATE/.test(l.log("kad")), 5_000);
    for (const p of [ka, ours]) p.kill("SIGTERM");
    await Promise.all([ka.exited, ours.exited]);
  }, 90_000);
});
