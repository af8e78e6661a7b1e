/**
 * `npm run bench`: every scenario runs Debian's keepalived 2.2.7 and ours in the same run, and one table
 * shows both figures and the ratio. Select with `bun bench/run.ts process vrrp config ctl bgp ipvs bfd reload footprint`; BENCH_TRIALS sets
 * trials. `ipvs` boots the qemu VM (bench/ipvs-vm.ts; BENCH_IPVS_ARGS, e.g. "--n=2000 --window=20", overrides
 * its defaults of 10,000 real servers and a 30 s window) and takes about a quarter of an hour.
 * Binary size is reported too. Figures are medians over trials; nothing here is asserted.
 */
import { statSync } from "node:fs";
import { ensureBinary } from "../test/support/binary.ts";
import { printTable, type Row } from "./lib.ts";
import { processScenarios } from "./process.ts";
import { vrrpScenarios } from "./vrrp.ts";
import { configParseScenarios } from "./config-parse.ts";
import { ipvsVmScenarios } from "./ipvs-vm.ts";
import { bgpScenarios } from "./bgp.ts";
import { ctlScenarios } from "./ctl.ts";
import { footprintBench } from "./footprint.ts";

const ours = process.env.BENCH_OURS ?? await ensureBinary(); // BENCH_OURS: a binary built before
const want = process.argv.slice(2);
const trials = Number(process.env.BENCH_TRIALS ?? 3);
const on = (s: string) => want.length === 0 || want.includes(s);
const rows: Row[] = [];
rows.push({
  scenario: "binary",
  metric: "size",
  keepalived: statSync("/usr/sbin/keepalived").size / 1048576,
  ours: statSync(ours).size / 1048576,
  unit: "MiB",
  lowerIsBetter: true,
});
if (on("process")) rows.push(...await processScenarios(ours, trials));
if (on("vrrp")) rows.push(...await vrrpScenarios(ours, trials));
if (on("config")) rows.push(...configParseScenarios(trials, ours));
if (on("bgp")) rows.push(...await bgpScenarios(ours, trials));
if (on("ctl")) rows.push(...await ctlScenarios(ours));
if (on("ipvs")) rows.push(...await ipvsVmScenarios((process.env.BENCH_IPVS_ARGS ?? "").split(" ").filter(Boolean)));
printTable(rows);
// BFD compares three implementations (keepalived, FRR bfdd, ours) and prints its own table.
if (on("bfd")) {
  console.log("");
  const p = Bun.spawn([process.execPath, `${import.meta.dir}/bfd.ts`], { stdout: "inherit", stderr: "inherit", env: { ...process.env, BENCH_BFD_OURS: ours } });
  await p.exited;
}
// Reloads: one HUP per kind of file, keepalived and ours as the subject (bench/reload-hup.ts prints its own table).
if (on("reload")) await Bun.spawn([process.execPath, `${import.meta.dir}/reload-hup.ts`, `--bin=${ours}`], { stdout: "inherit", stderr: "inherit" }).exited;
// Footprint compares three columns (keepalived, ours, the floor of idle Bun programs) and prints its own table.
if (on("footprint")) {
  console.log("");
  await footprintBench(ours, trials);
}
process.exit(0);
