/**
 * Component-test harness for the VRRP runtime: a fake kernel (links, addresses, routes, rules and
 * macvlans in memory, every write recorded), fake transports (adverts sent are recorded and decoded,
 * adverts can be injected), a recording announcer and notify executor, and FakeScheduler. Configs are
 * real keepalived.conf text through the real loader.
 */
import { type Logger, nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import type { FdWatcher } from "../../../src/ffi/reactor.ts";
import type { LinkbeatKind } from "../../../src/ffi/link-probe.ts";
import { encodeVrrp, parseVrrp } from "../../../src/proto/vrrp.ts";
import type { AddrRequest } from "../../../src/proto/rtnl-addr.ts";
import type { MacvlanRequest } from "../../../src/proto/rtnl-link.ts";
import type { RouteRequest } from "../../../src/proto/rtnl-route.ts";
import type { RuleRequest } from "../../../src/proto/rtnl-rule.ts";
import type { AddrInfo, LinkInfo, NetEvent, NetKernel } from "../../../src/vrrp/netkernel.ts";
import { VrrpRuntime } from "../../../src/vrrp/runtime.ts";
import type { TransportLike } from "../../../src/vrrp/transport.ts";
import type { RxPacket, TransportOptions } from "../../../src/vrrp/transport.ts";
import type { ProcInfo } from "../../../src/vrrp/track-process.ts";
import { loadText } from "../config/helpers.ts";
import type { KeepalivedConfig } from "../../../src/config/model.ts";
import { NftFirewall } from "../../../src/vrrp/firewall.ts";
import { FakeNft } from "./fake-nft.ts";

/** A kernel in memory. */
export class FakeKernel implements NetKernel {
  links: LinkInfo[] = [
    { index: 1, name: "lo", mac: "", up: true },
    { index: 2, name: "eth0", mac: "02:00:00:00:00:01", up: true },
    { index: 3, name: "eth1", mac: "02:00:00:00:00:02", up: true },
  ];
  addrs: AddrInfo[] = [
    { index: 2, family: "ipv4", address: "192.0.2.1", prefixLen: 24, scope: 0, flags: 0 },
    { index: 3, family: "ipv4", address: "198.51.100.1", prefixLen: 24, scope: 0, flags: 0 },
    { index: 2, family: "ipv6", address: "fe80::1", prefixLen: 64, scope: 253, flags: 0 },
  ];
  routes: RouteRequest[] = [];
  rules: RuleRequest[] = [];
  macvlans: MacvlanRequest[] = [];
  ops: string[] = [];
  #on: ((e: NetEvent) => void) | undefined;

  dumpLinks(): LinkInfo[] {
    return this.links.map((l) => ({ ...l }));
  }
  dumpAddrs(): AddrInfo[] {
    return this.addrs.map((a) => ({ ...a }));
  }
  addAddr(r: AddrRequest): boolean {
    if (this.addrs.some((a) => a.index === r.index && a.address === r.address)) return false;
    this.ops.push(`addr add ${r.address}/${r.prefixLen} ${r.index}`);
    this.addrs.push({ index: r.index, family: r.address.includes(":") ? "ipv6" : "ipv4", address: r.address, prefixLen: r.prefixLen, scope: 0, flags: 0 });
    return true;
  }
  delAddr(r: AddrRequest): boolean {
    const i = this.addrs.findIndex((a) => a.index === r.index && a.address === r.address);
    if (i < 0) return false;
    this.ops.push(`addr del ${r.address}/${r.prefixLen} ${r.index}`);
    this.addrs.splice(i, 1);
    return true;
  }
  addMacvlan(r: MacvlanRequest): void {
    const index = Math.max(...this.links.map((l) => l.index)) + 1;
    this.macvlans.push(r);
    this.ops.push(`macvlan add ${r.name}`);
    this.links.push({ index, name: r.name, mac: r.mac ?? "", up: false, kind: "macvlan", link: r.parentIndex });
    this.#on?.({ kind: "link", op: "new", link: { ...this.links.at(-1)! } });
  }
  addIpvlan(r: { name: string; parentIndex: number; flags?: string }): void {
    const index = Math.max(...this.links.map((l) => l.index)) + 1;
    const parent = this.links.find((l) => l.index === r.parentIndex);
    this.ops.push(`ipvlan add ${r.name} ${r.flags ?? "bridge"}`);
    this.links.push({ index, name: r.name, mac: parent?.mac ?? "", up: false, kind: "ipvlan", link: r.parentIndex });
    this.#on?.({ kind: "link", op: "new", link: { ...this.links.at(-1)! } });
  }
  setLinkUp(index: number, up: boolean): void {
    const l = this.links.find((x) => x.index === index);
    if (!l) throw new Error(`no link ${index}`);
    l.up = up;
    this.ops.push(`link ${l.name} ${up ? "up" : "down"}`);
  }
  delLink(index: number): void {
    const l = this.links.find((x) => x.index === index);
    this.links = this.links.filter((x) => x.index !== index);
    this.ops.push(`link del ${l?.name ?? index}`);
  }
  addRoute(r: RouteRequest): boolean {
    if (this.routes.some((x) => JSON.stringify(x) === JSON.stringify(r))) return false;
    this.routes.push(r);
    this.ops.push(`route add ${r.dst}/${r.dstLen}`);
    return true;
  }
  delRoute(r: RouteRequest): boolean {
    const i = this.routes.findIndex((x) => x.dst === r.dst && x.dstLen === r.dstLen && (x.table ?? 254) === (r.table ?? 254));
    if (i < 0) return false;
    this.routes.splice(i, 1);
    this.ops.push(`route del ${r.dst}/${r.dstLen}`);
    return true;
  }
  addRule(r: RuleRequest): boolean {
    if (this.rules.some((x) => JSON.stringify(x) === JSON.stringify(r))) return false;
    this.rules.push(r);
    this.ops.push(`rule add ${r.priority ?? ""}`);
    return true;
  }
  delRule(r: RuleRequest): boolean {
    const i = this.rules.findIndex((x) => JSON.stringify(x) === JSON.stringify(r));
    if (i < 0) return false;
    this.rules.splice(i, 1);
    this.ops.push(`rule del ${r.priority ?? ""}`);
    return true;
  }
  /** Whether the runtime asked for route deletions (watchRoutes). */
  watchingRoutes = false;
  watchRoutes(on: boolean): void {
    this.watchingRoutes = on;
  }
  subscribe(onEvent: (e: NetEvent) => void): void {
    this.#on = onEvent;
  }
  close(): void {}
  /** Delivers an event as the kernel would. */
  emit(e: NetEvent): void {
    this.#on?.(e);
  }
  /** Sets a link's state and tells the runtime. */
  setLink(name: string, up: boolean): void {
    const l = this.links.find((x) => x.name === name)!;
    l.up = up;
    this.emit({ kind: "link", op: "new", link: { ...l } });
  }
  /** Addresses on an interface. */
  addrsOn(name: string): string[] {
    const l = this.links.find((x) => x.name === name);
    return this.addrs.filter((a) => a.index === l?.index).map((a) => a.address);
  }
}

/** A sent advert, decoded. */
export interface SentAdvert {
  vrid: number;
  priority: number;
  dst: string;
  ifname: string;
  at: number;
}

/** Everything a component test needs. */
export class Harness {
  readonly sched = new FakeScheduler(1_000_000);
  readonly kernel = new FakeKernel();
  /** The fake nf_tables the runtime's firewall writes to. */
  readonly nft = new FakeNft();
  readonly sent: SentAdvert[] = [];
  readonly garps: { ifindex: number; mac: string; vip: string }[] = [];
  readonly scripts: string[][] = [];
  /** When set, every notify script "runs" until this promise settles. */
  scriptGate: Promise<unknown> | undefined;
  readonly parentMsgs: unknown[] = [];
  readonly transports: { o: TransportOptions; fd: number; queue: RxPacket[]; last: Map<number, string> }[] = [];
  /** Adverts the runtime took as repeats of the last one (instances replayed their verdict). */
  repeats = 0;
  readonly rt: VrrpRuntime;
  /** /proc/sys as a map (missing keys read as "0" for known interfaces). */
  readonly sysctl = new Map<string, string>();
  /** Track-file watchers by path; call them after changing a file. */
  readonly fileWatchers = new Map<string, Set<() => void>>();
  /** What the /proc scan returns. */
  procs: ProcInfo[] = [];
  /** Link states linkbeat polling reads (a name missing here cannot be read). */
  readonly polledLinks = new Map<string, boolean>();
  /** The polling kinds that work on a link (default ETHTOOL and IOCTL, as on a veth). */
  readonly polledKinds = new Map<string, LinkbeatKind[]>();
  /** Every linkbeat read, as "NAME KIND". */
  readonly pollReads: string[] = [];
  /** When set, opening sockets throws what it returns (a bind refused during DAD...). */
  openError: ((o: TransportOptions) => Error | undefined) | undefined;
  /** When set, sending throws what it returns. */
  sendError: ((dst: string) => Error | undefined) | undefined;
  readonly #cbs = new Map<number, () => void>();
  #fd = 100;

  constructor(log: Logger = nullLogger) {
    const watcher: FdWatcher = { add: (fd, f) => void this.#cbs.set(fd, f), remove: (fd) => void this.#cbs.delete(fd), close: () => {} };
    this.rt = new VrrpRuntime({
      log,
      sched: this.sched,
      watcher,
      kernel: this.kernel,
      keepVipsOnStop: false,
      send: (m) => this.parentMsgs.push(m),
      exec: async (argv) => {
        this.scripts.push([...argv]);
        await this.scriptGate;
        return { status: 0, signal: null, timedOut: false };
      },
      stopScriptsWaitMs: 200,
      announcer: {
        garp: (ifindex, mac, vip) => void this.garps.push({ ifindex, mac, vip }),
        na: (ifindex, mac, vip) => void this.garps.push({ ifindex, mac, vip }),
        close: () => {},
      },
      openTransport: (o) => this.#transport(o),
      firewall: new NftFirewall(nullLogger, () => this.nft),
      sysctl: {
        read: (path) => this.sysctl.get(path) ?? (this.kernel.links.some((l) => path.includes(`/${l.name}/`)) || path.includes("/all/") ? "0" : undefined),
        write: (path, v) => void this.sysctl.set(path, v),
      },
      fileWatch: {
        watch: (path, f) => {
          const set = this.fileWatchers.get(path) ?? new Set();
          this.fileWatchers.set(path, set);
          set.add(f);
          return () => set.delete(f);
        },
      },
      scanProc: () => this.procs,
      linkRead: (n, kind) => {
        const up = this.polledLinks.get(n);
        this.pollReads.push(`${n} ${kind}`);
        return up === undefined || !(this.polledKinds.get(n) ?? ["ETHTOOL", "IOCTL"]).includes(kind) ? undefined : up;
      },
    });
  }

  #transport(o: TransportOptions): TransportLike {
    const err = this.openError?.(o);
    if (err) throw err;
    const fd = this.#fd++;
    const entry = { o, fd, queue: [] as RxPacket[], last: new Map<number, string>() };
    this.transports.push(entry);
    return {
      rx: { fd },
      send: (data, dst) => {
        const err = this.sendError?.(dst);
        if (err) throw err;
        const p = parseVrrp(data, {
          family: o.family,
          version: (data[0]! >> 4) as 2 | 3,
          ttl: 255,
          ttlRange: [0, 255],
          src: o.src,
          dst,
          auth: { type: "none" },
        });
        if (p.ok) this.sent.push({ vrid: p.value.vrid, priority: p.value.priority, dst, ifname: o.ifname, at: this.sched.now() });
      },
      // Like VrrpTransport: a datagram equal to the last good one of its VRID is offered to onRepeat first.
      drain: (onPacket, _onError, onRepeat) => {
        for (let p = entry.queue.shift(); p; p = entry.queue.shift()) {
          const vrid = p.payload[1]!;
          const sig = `${p.src}|${p.dst}|${p.ttl}|${p.payload.join(",")}`;
          if (onRepeat && entry.last.get(vrid) === sig && onRepeat(vrid, p.at ?? this.sched.now())) {
            this.repeats++;
            continue;
          }
          entry.last.set(vrid, sig);
          onPacket(p);
        }
      },
      close: () => {},
    };
  }

  /** Loads config text and applies it. */
  start(text: string, ifaces = ["eth0", "eth1"]): KeepalivedConfig {
    const r = loadText(text, {}, {}, ifaces);
    if (r.exitCode !== 0 && r.diagnostics.some((d) => d.severity === "error")) {
      throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
    }
    this.rt.apply(r.config, false);
    return r.config;
  }

  /**
   * Injects an advert from `src` on the transport of `ifname`. `queueOnly`: it waits in the socket (the
   * reactor has not woken the child yet); `at`: the kernel's receive time (default now).
   */
  advert(
    ifname: string,
    vrid: number,
    priority: number,
    src: string,
    vips: string[],
    version: 2 | 3 = 3,
    intervalCs = 100,
    opts: { queueOnly?: boolean; at?: number } = {},
  ): void {
    const t = this.transports.find((x) => x.o.ifname === ifname);
    if (!t) throw new Error(`no transport on ${ifname}`);
    const dst = "224.0.0.18";
    const payload = encodeVrrp({ version, family: "ipv4", vrid, priority, advertIntervalCs: intervalCs, addresses: vips, src, dst });
    t.queue.push({ family: "ipv4", payload, src, dst, ttl: 255, ifindex: t.o.ifindex, at: opts.at ?? this.sched.now() });
    if (!opts.queueOnly) this.#cbs.get(t.fd)?.();
  }

  /** Tells the track-file watchers of `path` it changed. */
  fileChanged(path: string): void {
    for (const f of this.fileWatchers.get(path) ?? []) f();
  }

  /** State of each instance by name. */
  states(): Record<string, string> {
    return Object.fromEntries(this.rt.instances().map((r) => [r.cfg.name, r.state]));
  }
}
