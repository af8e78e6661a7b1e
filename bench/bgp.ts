/**
 * bgp_announce convergence, beside Debian's keepalived 2.2.7 + plain VRRP on the same segment, same run,
 * in the topology of test/support/bgp/topology.ts (router with FRR, two LBs, a client behind the router).
 *  - keepalived: VRRP VIP 10.0.1.100/24 on the LBs' shared segment; the "router change" is the router's
 *    neighbour entry for the VIP moving to LB 2's MAC (GARP), from `ip monitor neigh`;
 *  - ours: bgp_announce of VIP 192.0.2.10/32 following the VRRP instance; the "router change" is the
 *    router's FIB route for the VIP leaving LB 1 (zebra installs what bgpd selects), from `ip monitor route`.
 * For each failure of the master LB 1: every process SIGKILLed, and its link set down; plus (ours only)
 * the anycast virtual server losing quorum on LB 1, the kill -9 again with LB 2 announcing as BACKUP
 * (announce_backup: its path is already at the router), and the link down again with FRR's BFD on the BGP
 * sessions (a second topology, kbg-e). "client" is the first answer from LB 2 to a client
 * polling the VIP (one TCP connect at a time, 20 ms apart, 0.5 s connect timeout). BENCH_TRIALS (default 3) trials; medians.
 * Namespace prefix kbg-b.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { A, BgpTopology, lbConf } from "../test/support/bgp/topology.ts";
import { waitFor } from "../test/support/netns.ts";
import { median, processTree, type Row } from "./lib.ts";

const KA_VIP = "10.0.1.100";

function kaConf(n: number): string {
  return `global_defs {\n  router_id ka${n}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n` +
    `  priority ${n === 1 ? 150 : 100}\n  advert_int 1\n  virtual_ipaddress {\n    ${KA_VIP}/24\n  }\n}\n`;
}

/** Lines of a long-running `ip monitor` in the router namespace, timestamped on arrival. */
class Monitor {
  readonly lines: { at: number; text: string }[] = [];
  readonly proc: Subprocess<"ignore", "pipe", "ignore">;
  constructor(ns: string, what: "route" | "neigh") {
    this.proc = Bun.spawn(["ip", "-n", ns, "monitor", what], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    void this.#read();
  }
  async #read(): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of this.proc.stdout) {
      buf += dec.decode(chunk);
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        this.lines.push({ at: performance.now(), text: buf.slice(0, i) });
        buf = buf.slice(i + 1);
      }
    }
  }
  /** ms from t0 to the first line after t0 matching re. */
  async after(t0: number, re: RegExp, timeoutMs = 30_000): Promise<number> {
    const l = await waitFor(`ip monitor line ${re}`, () => this.lines.find((x) => x.at >= t0 && re.test(x.text)), timeoutMs, 5);
    return l.at - t0;
  }
}

/** ms from t0 until the client gets `want` from ip. */
async function clientMoved(t: BgpTopology, t0: number, ip: string, want: string): Promise<number> {
  await waitFor(`client answer ${want} from ${ip}`, async () => (await t.fetchAsync(ip)) === want, 60_000, 20);
  return performance.now() - t0;
}

type Failure = "kill" | "link";

/**
 * SIGKILL to pid and its descendants, descendants first (a child that outlived its parent for a moment
 * would get PR_SET_PDEATHSIG's TERM and stop gracefully); processes already gone are skipped.
 */
function killTree(pid: number): void {
  for (const p of processTree(pid).reverse()) {
    try {
      process.kill(p, "SIGKILL");
    } catch { /* already gone */ }
  }
}

async function failLb1(t: BgpTopology, failure: Failure, rootPid: number): Promise<number> {
  const t0 = performance.now();
  if (failure === "kill") killTree(rootPid);
  else t.lbs[0]!.ip("link", "set", "eth0", "down");
  return t0;
}

async function restoreLink(t: BgpTopology): Promise<void> {
  t.lbs[0]!.ip("link", "set", "eth0", "up");
  t.lbs[0]!.ip("route", "replace", "default", "via", A.r4);
}

async function kaTrial(t: BgpTopology, failure: Failure, dir: string): Promise<[number, number]> {
  const neigh = new Monitor(t.r.name, "neigh");
  const ps = [1, 2].map((n) => {
    const f = (x: string) => join(dir, `ka${n}${x}`);
    writeFileSync(f(".conf"), kaConf(n));
    return t.lbs[n - 1]!.spawn([
      "sh",
      "-c",
      `exec /usr/sbin/keepalived -n -l -D -f ${f(".conf")} -p ${f(".pid")} -r ${f("v.pid")} -c ${f("c.pid")} > ${f(".log")} 2>&1`,
    ]);
  });
  try {
    await waitFor("client reaches LB 1 through keepalived's VIP", () => t.fetch(KA_VIP) === "lb1", 60_000, 100);
    const mac2 = /link\/ether (\S+)/.exec(t.lbs[1]!.ip("link", "show", "eth0"))![1]!;
    const t0 = await failLb1(t, failure, ps[0]!.pid);
    const client = clientMoved(t, t0, KA_VIP, "lb2");
    const router = await neigh.after(t0, new RegExp(`^${KA_VIP.replace(/\./g, "\\.")} .*lladdr ${mac2}`));
    return [router, await client];
  } finally {
    for (const p of ps) killTree(p.pid);
    await Promise.all(ps.map((p) => p.exited));
    neigh.proc.kill();
    if (failure === "link") await restoreLink(t);
    for (const ns of t.lbs) ns.exec(["ip", "addr", "del", `${KA_VIP}/24`, "dev", "eth0"], { allowFail: true });
  }
}

/** LB `n`'s configuration; with `backupToo`, WEB has announce_backup (LB 2's path waits at the router). */
function oursConf(n: number, backupToo: boolean): string {
  const c = lbConf(n);
  return backupToo ? c.replace("bgp_announce WEB {\n  follow_instance VI_1\n}", "bgp_announce WEB {\n  follow_instance VI_1\n  announce_backup\n}") : c;
}

async function oursTrial(t: BgpTopology, failure: Failure | "quorum", backupToo = false): Promise<[number, number]> {
  const route = new Monitor(t.r.name, "route");
  for (const d of t.daemons) await d.start(oursConf(t.daemons.indexOf(d) + 1, backupToo));
  try {
    const want = backupToo ? `${A.lb4(1)},${A.lb4(2)}` : A.lb4(1);
    await waitFor("VIP via LB 1", async () => (await t.via(`${A.vip}/32`)).join() === want, 60_000, 100);
    await waitFor("anycast via both", async () => (await t.via(`${A.anycast}/32`)).length === 2, 60_000, 100);
    await waitFor("client reaches LB 1", () => t.fetch(A.vip) === "lb1", 30_000, 100);
    if (failure === "quorum") {
      const t0 = performance.now();
      await t.stopRealServer(1);
      const ms = await route.after(t0, /^(Deleted )?192\.0\.2\.20 /);
      t.startRealServer(1);
      return [ms, NaN];
    }
    const t0 = await failLb1(t, failure, t.daemons[0]!.proc!.pid);
    const client = clientMoved(t, t0, A.vip, "lb2");
    const router = await route.after(t0, /^(Deleted )?192\.0\.2\.10 /);
    return [router, await client];
  } finally {
    for (const d of t.daemons) {
      if (d.proc && d.proc.exitCode === null) killTree(d.proc.pid);
      await d.proc?.exited;
    }
    route.proc.kill();
    if (failure === "link") await restoreLink(t);
    for (const ns of t.lbs) ns.exec(["ip", "addr", "del", `${A.vip}/32`, "dev", "eth0"], { allowFail: true });
  }
}

/** The rows for `bun bench/run.ts bgp`. */
export async function bgpScenarios(ours: string, trials: number): Promise<Row[]> {
  const dir = "/tmp/kbg-bench";
  const t = new BgpTopology("kbg-b", dir, ours);
  const rows: Row[] = [];
  try {
    mkdirSync(dir, { recursive: true });
    await t.startFrr();
    for (const failure of ["kill", "link"] as const) {
      const ka: [number, number][] = [], us: [number, number][] = [];
      for (let i = 0; i < trials; i++) {
        ka.push(await kaTrial(t, failure, dir));
        us.push(await oursTrial(t, failure));
      }
      const what = failure === "kill" ? "master kill -9 (all processes)" : "master link down";
      rows.push({
        scenario: `bgp: ${what}`,
        metric: "router change",
        keepalived: median(ka.map((x) => x[0])),
        ours: median(us.map((x) => x[0])),
        unit: "ms",
        lowerIsBetter: true,
      });
      rows.push({
        scenario: `bgp: ${what}`,
        metric: "client on LB 2",
        keepalived: median(ka.map((x) => x[1])),
        ours: median(us.map((x) => x[1])),
        unit: "ms",
        lowerIsBetter: true,
      });
    }
    const early: [number, number][] = [];
    for (let i = 0; i < trials; i++) early.push(await oursTrial(t, "kill", true));
    const what = "bgp: master kill -9, LB 2 announcing as BACKUP (announce_backup)";
    rows.push({ scenario: what, metric: "router change", keepalived: NaN, ours: median(early.map((x) => x[0])), unit: "ms", lowerIsBetter: true });
    rows.push({ scenario: what, metric: "client on LB 2", keepalived: NaN, ours: median(early.map((x) => x[1])), unit: "ms", lowerIsBetter: true });
    const q: number[] = [];
    for (let i = 0; i < trials; i++) q.push((await oursTrial(t, "quorum"))[0]);
    rows.push({ scenario: "bgp: anycast quorum lost on LB 1", metric: "router change", keepalived: NaN, ours: median(q), unit: "ms", lowerIsBetter: true });
  } finally {
    await t.destroy();
  }
  rows.push(...await bfdScenario(ours, trials));
  return rows;
}

/** Link down of the master again, with FRR's BFD on every BGP session (bfdd, 100 ms x 3); ours only. */
async function bfdScenario(ours: string, trials: number): Promise<Row[]> {
  const t = new BgpTopology("kbg-e", "/tmp/kbg-bench-bfd", ours);
  try {
    await t.startFrr(true);
    const us: [number, number][] = [];
    for (let i = 0; i < trials; i++) us.push(await oursTrial(t, "link"));
    const what = "bgp: master link down, FRR BFD 100 ms x 3 on the sessions";
    return [
      { scenario: what, metric: "router change", keepalived: NaN, ours: median(us.map((x) => x[0])), unit: "ms", lowerIsBetter: true },
      { scenario: what, metric: "client on LB 2", keepalived: NaN, ours: median(us.map((x) => x[1])), unit: "ms", lowerIsBetter: true },
    ];
  } finally {
    await t.destroy();
  }
}
