/**
 * Config parse/validate benchmark (baseline §5): generates configs with 1,000 and 10,000
 * vrrp_instances (VRID i % 255 + 1, interface i / 255, one VIP each) and one virtual_server with 10,000
 * real_servers, writes them to a fixed path (KABENCH_CFG_DIR, default /tmp/kabench-cfg, because
 * keepalived's -t time depends on the path length), and times `keepalived -t` against our loadConfig
 * (in-process) and our CLI check (`bun src/config/cli-check.ts`, process start included), all inside
 * a private kcf- namespace holding the needed veth interfaces. Run: `bun bench/config-parse.ts`.
 * Exports `configParseScenarios(trials)` for bench/run.ts. Nothing is asserted.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadConfig } from "../src/config/index.ts";
import { median, printTable, type Row } from "./lib.ts";

const DIR = process.env.KABENCH_CFG_DIR ?? "/tmp/kabench-cfg";
const KEEPALIVED = "/usr/sbin/keepalived";
const BUN = process.execPath;
/** Our side of `-t`: the compiled binary (set by configParseScenarios; the dev CLI when run alone). */
let oursCmd: string[] = [BUN, `${import.meta.dir}/../src/config/cli-check.ts`, "-i", "bench"];

/** Interface name for index j: veth pairs p0a/p0b, p1a/p1b, ... */
const ifName = (j: number): string => `p${j >> 1}${j & 1 ? "b" : "a"}`;

function vrrpConfig(n: number): string {
  const out: string[] = ["global_defs {\n  router_id bench\n}\n"];
  for (let i = 0; i < n; i++) {
    const vip = `192.0.2.${(i % 254) + 1}/24`;
    out.push(
      `vrrp_instance VI_${i} {\n  state BACKUP\n  interface ${ifName(Math.floor(i / 255))}\n  virtual_router_id ${
        (i % 255) + 1
      }\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`,
    );
  }
  return out.join("");
}

function rsConfig(n: number): string {
  const out: string[] = [
    "virtual_server 198.51.100.10 80 {\n  delay_loop 10\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n",
  ];
  for (let i = 0; i < n; i++) {
    out.push(
      `  real_server 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) || 1} ${
        8000 + (i % 1000)
      } {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n`,
    );
  }
  out.push("}\n");
  return out.join("");
}

function sh(cmd: string[]): { code: number; ms: number; err: string } {
  const t0 = performance.now();
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, ms: performance.now() - t0, err: p.stderr.toString() };
}

function setupNs(ns: string, ifaces: number): string[] {
  sh(["ip", "netns", "del", ns]);
  if (sh(["ip", "netns", "add", ns]).code !== 0) throw new Error(`cannot create namespace ${ns}`);
  sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  const names: string[] = [];
  for (let j = 0; j < ifaces; j += 2) {
    sh(["ip", "-n", ns, "link", "add", ifName(j), "type", "veth", "peer", "name", ifName(j + 1)]);
    names.push(ifName(j), ifName(j + 1));
  }
  return names;
}

interface Case {
  name: string;
  file: string;
  ifaces: number;
}

function timeCase(c: Case, ns: string, names: string[], trials: number): Row[] {
  const ka: number[] = [], inproc: number[] = [], cli: number[] = [];
  const codes = new Set<string>();
  for (let t = 0; t < trials; t++) {
    const k = sh(["ip", "netns", "exec", ns, KEEPALIVED, "-t", "-f", c.file]);
    ka.push(k.ms);
    const t0 = performance.now();
    const r = loadConfig(c.file, { configId: "bench", interfaceExists: (n) => names.includes(n) });
    inproc.push(performance.now() - t0);
    const o = sh(["ip", "netns", "exec", ns, ...oursCmd, c.file]);
    cli.push(o.ms);
    codes.add(`${k.code}/${r.exitCode}/${o.code}`);
  }
  console.error(`${c.name}: exit codes keepalived/ours-inprocess/ours-cli = ${[...codes].join(", ")}`);
  return [
    {
      scenario: c.name,
      metric: "-t wall time, ours in-process",
      keepalived: median(ka),
      ours: median(inproc),
      unit: "ms",
      lowerIsBetter: true,
    },
    {
      scenario: c.name,
      metric: "-t wall time, ours as a process",
      keepalived: median(ka),
      ours: median(cli),
      unit: "ms",
      lowerIsBetter: true,
    },
  ];
}

/** Generate the configs and time both implementations; returns table rows. */
export function configParseScenarios(trials = 3, oursBinary?: string): Row[] {
  if (oursBinary) oursCmd = [oursBinary, "-i", "bench", "-t", "-f"];
  mkdirSync(DIR, { recursive: true });
  const cases: Case[] = [
    { name: "1000 vrrp_instances", file: `${DIR}/vrrp-1000.conf`, ifaces: 4 },
    { name: "10000 vrrp_instances", file: `${DIR}/vrrp-10000.conf`, ifaces: 40 },
    { name: "10000 real_servers", file: `${DIR}/rs-10000.conf`, ifaces: 0 },
  ];
  writeFileSync(cases[0]!.file, vrrpConfig(1000));
  writeFileSync(cases[1]!.file, vrrpConfig(10000));
  writeFileSync(cases[2]!.file, rsConfig(10000));
  const ns = `kcf-bench-${process.pid}`;
  const rows: Row[] = [];
  try {
    const names = setupNs(ns, 40);
    for (const c of cases) rows.push(...timeCase(c, ns, names, trials));
  } finally {
    sh(["ip", "netns", "del", ns]);
  }
  return rows;
}

if (import.meta.main) {
  printTable(configParseScenarios(Number(process.env.BENCH_TRIALS ?? 3)));
}
