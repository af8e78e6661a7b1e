/**
 * VRRP BACKUP under a flood, keepalived 2.2.7 and ours side by side as the system under test (SUT): the
 * master is keepalived 2.2.7 (priority 150, VRRPv3, 0.1 s adverts); the SUT is BACKUP (100). For
 * BENCH_FLOOD_S seconds (default 60) 5,000 VRRP datagrams of 1,400 bytes a second (VRID BENCH_FLOOD_VRID:
 * 225, nobody's, by default; 97 is the instance's own, so every datagram is decoded and counted as malformed)
 * arrive on the SUT's link, multicast to 224.0.0.18 as adverts are. Reported per SUT: false MASTER
 * transitions while the master was up, RSS of the VRRP process before and at the end of the flood (and
 * its peak), CPU of the whole process tree over the flood.
 * Namespaces kvx-bfa (SUT) / kvx-bfb (master). Run: `bun bench/vrrp-flood.ts`; BENCH_OURS=path compares
 * another build of ours. Nothing is asserted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { collectOutput, Netns, vethPair, waitFor } from "../test/support/netns.ts";
import { ensureBinary, ROOT } from "../test/support/binary.ts";
import { cpuMeter } from "./cpu.ts";
import { type Impl, impls, printTable, type Row, rssKiB } from "./lib.ts";

const SECONDS = Number(process.env.BENCH_FLOOD_S ?? 60);
/** VRID of the flood: 225 (nobody's) by default; 97 (the instance's own: every datagram is decoded and dropped as malformed). */
const VRID = Number(process.env.BENCH_FLOOD_VRID ?? 225);
const conf = (prio: number) =>
  `global_defs {
  router_id kvx_bf_${prio}
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 97
  priority ${prio}
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

function follow(p: Subprocess): { text: string } {
  const into = { text: "" };
  collectOutput(p, (t) => void (into.text += t));
  return into;
}

interface Result {
  falseMasters: number;
  rssStartMiB: number;
  rssEndMiB: number;
  rssPeakMiB: number;
  cpuPct: number;
  /** VRRP process RSS every 10 s of the flood, MiB. */
  timeline: number[];
}

async function run(impl: Impl): Promise<Result> {
  const a = new Netns("kvx-bfa"), b = new Netns("kvx-bfb");
  const dir = mkdtempSync("/tmp/kvx-bf-");
  try {
    vethPair(a, "veth0", b, "veth0");
    a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
    b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
    writeFileSync(join(dir, "m.conf"), conf(150));
    writeFileSync(join(dir, "s.conf"), conf(100));
    const pidArgs = (t: string) => ["-p", join(dir, `${t}.pid`), "-r", join(dir, `${t}v.pid`), "-c", join(dir, `${t}c.pid`)];
    const master = follow(b.spawn(["/usr/sbin/keepalived", "-n", "-l", "-f", join(dir, "m.conf"), ...pidArgs("m")], { stderr: "pipe", stdout: "pipe" }));
    await waitFor("master", () => /Entering MASTER STATE/.test(master.text), 30_000);
    const extra = impl.name === "ours" ? ["-G", "-b", join(dir, "sb.pid")] : [];
    const sutProc = a.spawn([impl.bin, "-n", "-l", "-f", join(dir, "s.conf"), ...pidArgs("s"), ...extra], { stderr: "pipe", stdout: "pipe" });
    const sut = follow(sutProc);
    await waitFor("SUT BACKUP", () => /Entering BACKUP STATE/.test(sut.text), 30_000);
    await Bun.sleep(2000);
    const root = Number(readFileSync(join(dir, "s.pid"), "utf8"));
    const vrrp = [Number(readFileSync(join(dir, "sv.pid"), "utf8"))];
    const rssStart = rssKiB(vrrp);
    const meter = cpuMeter(root, `flood-${impl.name}`);
    const masters0 = (sut.text.match(/Entering MASTER STATE/g) ?? []).length;
    const junk = "31" + VRID.toString(16).padStart(2, "0") + "640100" + "0a0000" + "c0000264";
    const flood = b.spawn([process.execPath, join(ROOT, "test/support/raw-flood.ts"), "112", "224.0.0.18", "veth0", "1400", "5000", String(SECONDS), junk]);
    let peak = rssStart;
    const t0 = performance.now();
    const timeline: number[] = [];
    for (let s = 1; flood.exitCode === null; s++) {
      await Bun.sleep(1000);
      const r = rssKiB(vrrp);
      peak = Math.max(peak, r);
      if (s % 10 === 0) timeline.push(Math.round(r / 102.4) / 10);
    }
    const cpu = meter.ns() / 1e6 / (performance.now() - t0) * 100;
    meter.close();
    const rssEnd = rssKiB(vrrp);
    await Bun.sleep(500);
    return {
      falseMasters: (sut.text.match(/Entering MASTER STATE/g) ?? []).length - masters0,
      rssStartMiB: rssStart / 1024,
      rssEndMiB: rssEnd / 1024,
      rssPeakMiB: Math.max(peak, rssEnd) / 1024,
      cpuPct: cpu,
      timeline,
    };
  } finally {
    await a.destroy();
    await b.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ours = process.env.BENCH_OURS ?? await ensureBinary();
const res: Record<string, Result> = {};
for (const impl of impls(ours)) res[impl.name] = await run(impl);
const k = res.keepalived!, o = res.ours!;
const scenario = `BACKUP, ${SECONDS} s of 5,000 × 1,400 B/s, VRID ${VRID}`;
const rows: Row[] = [
  { scenario, metric: "false MASTER transitions", keepalived: k.falseMasters, ours: o.falseMasters, unit: "count", lowerIsBetter: true },
  { scenario, metric: "VRRP process RSS before the flood", keepalived: k.rssStartMiB, ours: o.rssStartMiB, unit: "MiB", lowerIsBetter: true },
  { scenario, metric: "VRRP process RSS at the end", keepalived: k.rssEndMiB, ours: o.rssEndMiB, unit: "MiB", lowerIsBetter: true },
  { scenario, metric: "VRRP process RSS peak", keepalived: k.rssPeakMiB, ours: o.rssPeakMiB, unit: "MiB", lowerIsBetter: true },
  { scenario, metric: "CPU during the flood (process tree)", keepalived: k.cpuPct, ours: o.cpuPct, unit: "% of a core", lowerIsBetter: true },
];
printTable(rows);
for (const [name, r] of Object.entries(res)) console.log(`${name}: VRRP RSS every 10 s of the flood (MiB): ${r.timeline.join(" ")}`);
