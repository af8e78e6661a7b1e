/**
 * The BGP test topology (docs/bgp.md "Tests"): a router namespace running FRR zebra+bgpd (AS 65000)
 * with a bridge that two load-balancer namespaces share (one VRRP segment, eBGP from each LB's own
 * zebra+bgpd, AS 65001 / 65002, IPv4 and IPv6 sessions), and a client namespace behind the router.
 * Each LB runs our keepalived with bgp_announce blocks and a socat "service" on port 17980 that
 * answers its own name, and a socat "real server" on 17981 that its TCP_CHECK probes.
 * Used by test/netns/bgp-announce.test.ts and bench/bgp.ts; the prefix selects the namespace names.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Netns, sh, vethPair, waitFor } from "../netns.ts";
import { type FrrBgp, startFrrBgp } from "./frr-bgp.ts";

/** Service port answered on each LB (any address), and the real server port probed by TCP_CHECK. */
export const SERVICE_PORT = 17980, RS_PORT = 17981;
/** Addresses. */
export const A = {
  r4: "10.0.1.254",
  r6: "fd00:1::254",
  client: "10.0.9.1",
  rClient: "10.0.9.254",
  lb4: (n: number) => `10.0.1.${n}`,
  lb6: (n: number) => `fd00:1::${n}`,
  vip: "192.0.2.10",
  vip6: "2001:db8:10::10",
  anycast: "192.0.2.20",
};

/** bfdd's configuration when the BGP sessions run BFD: 100 ms x 3. */
export const BFDD_CONF = "bfd\n profile fast\n  receive-interval 100\n  transmit-interval 100\n  detect-multiplier 3\n !\n!\n";

/** `neighbor X bfd profile fast` after each `neighbor X timers connect 1` line when `bfd`. */
function withBfd(conf: string, bfd: boolean): string {
  return bfd ? conf.replace(/^ neighbor (\S+) timers connect 1$/gm, (l, peer) => `${l}\n neighbor ${peer} bfd profile fast`) : conf;
}

/** The FRR lines docs/bgp.md tells a user to add on a load balancer (plus the session to the router). */
export function lbBgpdConf(n: number, device = "ka-bgp"): string {
  return `route-map KEEPALIVED permit 10
 match interface ${device}
!
router bgp ${65000 + n}
 bgp router-id ${A.lb4(n)}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor ${A.r4} remote-as 65000
 neighbor ${A.r4} timers 1 3
 neighbor ${A.r4} timers connect 1
 neighbor ${A.r6} remote-as 65000
 neighbor ${A.r6} timers 1 3
 neighbor ${A.r6} timers connect 1
 address-family ipv4 unicast
  redistribute connected route-map KEEPALIVED
  neighbor ${A.r4} activate
 exit-address-family
 address-family ipv6 unicast
  redistribute connected route-map KEEPALIVED
  neighbor ${A.r6} activate
 exit-address-family
!
`;
}

function routerBgpdConf(): string {
  const peers = [1, 2].flatMap((n) => [
    ` neighbor ${A.lb4(n)} remote-as ${65000 + n}`,
    ` neighbor ${A.lb4(n)} timers 1 3`,
    ` neighbor ${A.lb4(n)} timers connect 1`,
    ` neighbor ${A.lb6(n)} remote-as ${65000 + n}`,
    ` neighbor ${A.lb6(n)} timers 1 3`,
    ` neighbor ${A.lb6(n)} timers connect 1`,
  ]);
  return [
    "router bgp 65000",
    ` bgp router-id ${A.r4}`,
    " no bgp ebgp-requires-policy",
    " no bgp default ipv4-unicast",
    // always-compare-med: the LBs are in different ASes, and announce_backup's MED must still decide.
    " bgp bestpath as-path multipath-relax",
    " bgp always-compare-med",
    ...peers,
    " address-family ipv4 unicast",
    "  maximum-paths 4",
    ...[1, 2].map((n) => `  neighbor ${A.lb4(n)} activate`),
    " exit-address-family",
    " address-family ipv6 unicast",
    "  maximum-paths 4",
    ...[1, 2].map((n) => `  neighbor ${A.lb6(n)} activate`),
    " exit-address-family",
    "!",
    "",
  ].join("\n");
}

/** Our keepalived configuration for LB `n` (priority 150 on LB 1, 100 on LB 2). */
export function lbConf(n: number, extra = ""): string {
  return `global_defs {
  router_id lb${n}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${n === 1 ? 150 : 100}
  advert_int 1
  virtual_ipaddress {
    ${A.vip}/32
  }
}
virtual_server ${A.anycast} ${SERVICE_PORT} {
  delay_loop 1
  protocol TCP
  alpha
  real_server ${A.lb4(n)} ${RS_PORT} {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
bgp_announce WEB {
  follow_instance VI_1
}
bgp_announce WEB6 {
  follow_instance VI_1
  prefix {
    ${A.vip6}/128
  }
}
bgp_announce ANY {
  follow_virtual_server ${A.anycast} ${SERVICE_PORT}
}
${extra}`;
}

/** Our daemon in one LB namespace. */
export class LbDaemon {
  proc: Subprocess | undefined;
  constructor(readonly ns: Netns, readonly dir: string, readonly bin: string) {}

  get confPath(): string {
    return join(this.dir, "keepalived.conf");
  }
  get logPath(): string {
    return join(this.dir, "console.log");
  }
  /** The console log of the current run. */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, "utf8") : "";
  }
  /** Starts the daemon with `conf` and waits until every child runs. */
  async start(conf: string): Promise<void> {
    writeFileSync(this.confPath, conf);
    rmSync(this.logPath, { force: true });
    const d = this.dir;
    const argv = [
      this.bin,
      "-n",
      "-l",
      "-D",
      "-G",
      "-f",
      this.confPath,
      "-p",
      join(d, "k.pid"),
      "-r",
      join(d, "v.pid"),
      "-c",
      join(d, "c.pid"),
      "-b",
      join(d, "b.pid"),
    ];
    const p = Bun.spawn(["ip", "netns", "exec", this.ns.name, ...argv], {
      stdout: "ignore",
      stderr: Bun.file(this.logPath),
      env: { ...process.env, TMPDIR: d },
    });
    this.proc = p;
    this.ns.procs.push(p);
    await waitFor(`keepalived in ${this.ns.name} to start`, () => {
      if (p.exitCode !== null) throw new Error(`keepalived exited with ${p.exitCode}: ${this.log()}`);
      return this.log().includes("All child processes are running");
    }, 30_000);
  }
  /**
   * Pid of the current child, from the parent's "Starting ... child process, pid=N" lines (not the pid
   * file: a child orphaned by a killed parent stays a zombie here, and its pid file keeps naming it).
   */
  childPid(role: "vrrp" | "check"): number {
    const re = new RegExp(`Starting ${role === "vrrp" ? "VRRP" : "Healthcheck"} child process, pid=(\\d+)`, "g");
    const all = [...this.log().matchAll(re)];
    const pid = Number(all[all.length - 1]?.[1]);
    if (!pid) throw new Error(`no ${role} child pid in the log of ${this.ns.name}`);
    return pid;
  }
  /** Waits for the parent to exit; returns its status. */
  async exited(): Promise<number> {
    return await this.proc!.exited;
  }
}

/** Is process `pid` alive (and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** The whole topology. */
export class BgpTopology {
  readonly r: Netns;
  readonly lbs: Netns[];
  readonly client: Netns;
  frrR!: FrrBgp;
  readonly frrLb: FrrBgp[] = [];
  readonly daemons: LbDaemon[] = [];

  constructor(readonly prefix: string, readonly dir: string, bin: string) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.r = new Netns(`${prefix}r`);
    this.lbs = [new Netns(`${prefix}1`), new Netns(`${prefix}2`)];
    this.client = new Netns(`${prefix}c`);
    this.#links();
    this.lbs.forEach((ns, i) => {
      const d = join(dir, `lb${i + 1}`);
      mkdirSync(d, { recursive: true });
      this.daemons.push(new LbDaemon(ns, d, bin));
    });
  }

  #links(): void {
    const r = this.r;
    r.ip("link", "add", "br0", "type", "bridge");
    r.ip("link", "set", "br0", "up");
    r.ip("addr", "add", `${A.r4}/24`, "dev", "br0");
    r.ip("addr", "add", `${A.r6}/64`, "dev", "br0", "nodad");
    this.lbs.forEach((lb, i) => {
      const n = i + 1;
      vethPair(r, `p${n}`, lb, "eth0");
      r.ip("link", "set", `p${n}`, "master", "br0");
      lb.ip("addr", "add", `${A.lb4(n)}/24`, "dev", "eth0");
      lb.ip("addr", "add", `${A.lb6(n)}/64`, "dev", "eth0", "nodad");
      lb.ip("route", "add", "default", "via", A.r4);
    });
    vethPair(r, "cl0", this.client, "eth0");
    r.ip("addr", "add", `${A.rClient}/24`, "dev", "cl0");
    this.client.ip("addr", "add", `${A.client}/24`, "dev", "eth0");
    this.client.ip("route", "add", "default", "via", A.rClient);
    r.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  }

  /** Starts FRR everywhere (with BFD on the BGP sessions when `bfd`) and the socat services on the LBs. */
  async startFrr(bfd = false): Promise<void> {
    const bfdd = bfd ? BFDD_CONF : undefined;
    this.frrR = await startFrrBgp(this.r.name, join(this.dir, "frr-r"), "!\n", withBfd(routerBgpdConf(), bfd), bfdd);
    for (const [i, lb] of this.lbs.entries()) {
      const conf = withBfd(lbBgpdConf(i + 1), bfd);
      this.frrLb.push(await startFrrBgp(lb.name, join(this.dir, `frr-lb${i + 1}`), "!\n", conf, bfdd));
      lb.spawn(["socat", `TCP-LISTEN:${SERVICE_PORT},fork,reuseaddr`, `SYSTEM:echo lb${i + 1}`]);
    }
    for (const n of [1, 2]) this.startRealServer(n);
    await waitFor(
      "four BGP sessions Established",
      async () => {
        const j = JSON.parse(await this.frrR.vtysh(["show bgp summary json"])) as Record<
          string,
          { peers?: Record<string, { state?: string }> }
        >;
        const states = Object.values(j).flatMap((af) => Object.values(af.peers ?? {}).map((p) => p.state));
        return states.length === 4 && states.every((s) => s === "Established");
      },
      60_000,
      250,
    );
  }

  readonly #rs = new Map<number, Subprocess>();
  /** Starts LB `n`'s real server (what its TCP_CHECK probes). */
  startRealServer(n: number): void {
    this.#rs.set(n, this.lbs[n - 1]!.spawn(["socat", `TCP-LISTEN:${RS_PORT},bind=${A.lb4(n)},fork,reuseaddr`, "SYSTEM:true"]));
  }
  /** Stops LB `n`'s real server. */
  async stopRealServer(n: number): Promise<void> {
    const p = this.#rs.get(n);
    p?.kill("SIGKILL");
    await p?.exited;
  }

  /** The router's RIB for `afi`: prefix -> peers. */
  async rib(afi: "ipv4" | "ipv6" = "ipv4"): Promise<Map<string, string[]>> {
    return await this.frrR.routes(afi);
  }

  /** Peers the router has for `prefix` now ([] when none). */
  async via(prefix: string, afi: "ipv4" | "ipv6" = "ipv4"): Promise<string[]> {
    return (await this.rib(afi)).get(prefix) ?? [];
  }

  /** What the client gets from `ip`:SERVICE_PORT ("" when nothing answers). */
  fetch(ip: string): string {
    return sh(["ip", "netns", "exec", this.client.name, "socat", "-T2", "-", `TCP:${ip}:${SERVICE_PORT},connect-timeout=2`], {
      allowFail: true,
    }).trim();
  }

  /** Like fetch() without blocking the event loop (for timing): at most `timeoutS` seconds. */
  async fetchAsync(ip: string, timeoutS = 0.5): Promise<string> {
    const p = Bun.spawn(["ip", "netns", "exec", this.client.name, "socat", `-T${timeoutS}`, "-", `TCP:${ip}:${SERVICE_PORT},connect-timeout=${timeoutS}`], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
    });
    const out = await new Response(p.stdout).text();
    await p.exited;
    return out.trim();
  }

  /** Stops everything and removes the namespaces and files. */
  async destroy(): Promise<void> {
    for (const d of this.daemons) {
      if (d.proc && d.proc.exitCode === null) d.proc.kill("SIGKILL");
      await d.proc?.exited;
    }
    for (const f of [...this.frrLb, this.frrR]) await f?.stop();
    for (const ns of [this.client, ...this.lbs, this.r]) await ns.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
