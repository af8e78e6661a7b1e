/**
 * The VRRP child's runtime: builds the interface model from rtnetlink, opens one transport per
 * (interface, family, AH) and demultiplexes adverts to instances by VRID, runs the trackers
 * (track_interface, vrrp_script) into effective priorities, follows link and address events (interface down -> FAULT,
 * a tracked VIP deleted by someone else while MASTER -> BACKUP and re-election), and applies reloads without flapping: an
 * instance whose configuration did not change keeps its state and VIPs; one whose sockets cannot be opened or used is
 * FAULT with the reason and retried (src/vrrp/socket-faults.ts).
 * The parts, each in its own file: the interface view and kernel events (net-view.ts), use_vmac (instance-vmac.ts),
 * priorities from trackers (priority-feed.ts), sync groups (sync-groups.ts), sockets (instance-sockets.ts) and notify
 * FIFOs (notify-fifos.ts); this file starts, stops and reloads instances and hands adverts to them.
 */
import { vipMetric } from "../bgp/desired.ts";
import type { ScriptSpec, VrrpInstance } from "../config/model.ts";
import type { VrrpSlice } from "../config/slice.ts";
import type { Message } from "../core/ipc.ts";
import { type Logger, RateLimitedLog } from "../core/log.ts";
import type { Scheduler } from "../core/scheduler.ts";
import { resolveRunAs, type RunAs } from "../core/script.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { Announcer, PacedAnnouncer } from "./garp.ts";
import { VrrpInstanceRunner } from "./instance.ts";
import type { NetKernel } from "./netkernel.ts";
import { notifyTargets, type ScriptExec } from "./notify.ts";
import { VrrpFifos } from "./notify-fifos.ts";
import { InotifyFileWatch } from "./file-watch.ts";
import type { FileWatch } from "./track-file.ts";
import type { ProcInfo } from "./track-process.ts";
import { TrackerSet, type TrackerValues } from "./tracker-set.ts";
import { procSysctl, type Sysctl } from "./sysctl.ts";
import { PromoteSecondaries } from "./promote-secondaries.ts";
import { StaticSet } from "./static.ts";
import { type RxPacket, type TransportLike, type TransportOptions, VrrpTransport } from "./transport.ts";
import { type SocketView, VrrpSockets } from "./sockets.ts";
import { InstanceSockets, type Running } from "./instance-sockets.ts";
import type { VrrpState } from "./fsm.ts";
import { FailoverHolds } from "./failover.ts";
import type { ChildCommand } from "../core/control-proto.ts";
import { NftFirewall } from "./firewall.ts";
import { firewallShape } from "./firewall-rules.ts";
import { meaningKey } from "../config/meaning.ts";
import { NetView } from "./net-view.ts";
import { linkbeatNames, type LinkRead } from "./linkbeat.ts";
import { InstanceVmacs } from "./instance-vmac.ts";
import { PriorityFeed } from "./priority-feed.ts";
import { SyncGroups } from "./sync-groups.ts";

/** What the runtime is given by the child process. */
export interface VrrpRuntimeDeps {
  log: Logger;
  sched: Scheduler;
  watcher: FdWatcher;
  kernel: NetKernel;
  /** Sends a message to the parent. */
  send(msg: Message): void;
  /** -V: leave VIPs in place on stop. */
  keepVipsOnStop: boolean;
  /** Opens VRRP sockets; tests pass a fake. @default real raw sockets (VrrpTransport) */
  openTransport?: (o: TransportOptions) => TransportLike;
  /** GARP/NA sender; tests pass a fake. @default a packet socket (Announcer) */
  announcer?: AnnouncerLike;
  /** Runs notify scripts; tests pass a recorder. @default the script runner */
  exec?: ScriptExec;
  /** Watches track files; tests pass a fake. @default inotify */
  fileWatch?: FileWatch & { close?(): void };
  /** /proc/sys access for VMAC settings; tests pass a map. @default /proc/sys */
  sysctl?: Sysctl;
  /** Lists processes for vrrp_track_process; tests pass a fake. @default a /proc scan */
  scanProc?: () => ProcInfo[];
  /** The nftables writer for no_accept; tests pass one with a fake link. @default nf_tables netlink */
  firewall?: NftFirewall;
  /** Reads link states for linkbeat polling; tests pass a fake. @default ioctl (src/ffi/link-probe.ts) */
  linkRead?: LinkRead;
  /** How long stop() waits for notify scripts (notify_stop) to end, ms. @default STOP_SCRIPTS_WAIT_MS */
  stopScriptsWaitMs?: number;
}

/**
 * How long a stopping VRRP child waits for the notify scripts it started (notify_stop, the generic
 * notify STOP) to end. keepalived 2.2.7 gives the script children it signals at shutdown one second
 * (script_killall, then a 1 s child timeout) before it exits; the parent's child_wait_time (5 s) is
 * well above this.
 */
export const STOP_SCRIPTS_WAIT_MS = 1000;

export type { TransportLike } from "./transport.ts";

/** What the runtime needs of the announcer. */
export type AnnouncerLike = Pick<Announcer, "garp" | "na" | "close">;

const configKey = (i: VrrpInstance) => meaningKey(i);

/** The VRRP child's state. */
export class VrrpRuntime {
  readonly #net: NetView;
  readonly #io: InstanceSockets;
  readonly #instances = new Map<string, Running>();
  readonly #byVrid = new Map<string, (VrrpInstanceRunner[] | undefined)[]>();
  readonly #trackers: TrackerSet;
  readonly #groups: SyncGroups;
  readonly #rawAnnouncer: AnnouncerLike;
  readonly #announcer: PacedAnnouncer;
  readonly #bad: RateLimitedLog;
  readonly #fifos: VrrpFifos;
  #config: VrrpSlice | undefined;
  readonly #firewall: NftFirewall;
  /** When instances may start (vrrp_startup_delay after the first configuration), ms on the scheduler's clock. */
  #startAt: number | undefined;
  readonly #delayed = new Set<VrrpInstanceRunner>();
  #firewallOn = false;
  readonly #vmacs: InstanceVmacs;
  readonly #priority: PriorityFeed;
  readonly #static: StaticSet;
  readonly #files: FileWatch & { close?(): void };
  /** Operator failover holds (keepalived ctl failover). */
  readonly holds: FailoverHolds;
  /** Told when an instance's status for `keepalived ctl` may have changed. */
  onControlChange: () => void = () => {};

  /** promote_secondaries on the instances' interfaces. */
  readonly #promote: PromoteSecondaries;

  constructor(readonly d: VrrpRuntimeDeps) {
    this.holds = new FailoverHolds(d.sched, d.log, () => this.#recomputeAll());
    this.#promote = new PromoteSecondaries(d.sysctl ?? procSysctl, d.log);
    this.#bad = new RateLimitedLog(d.log);
    this.#net = new NetView(d.kernel, d.sched, d.log, {
      linkChanged: () => this.#recomputeAll(),
      retrySockets: () => this.#io.faults.kick(),
      routeDeleted: (route) => {
        for (const r of this.#instances.values()) r.runner.routeDeleted(route);
        this.#static.routeDeleted(route);
      },
      addrAdded: () => {
        if (this.#config?.vrrp.instances.some((x) => x.trackSrcIp)) this.#recomputeAll(); // track_src_ip
      },
      addrDeleted: (a) => {
        for (const r of this.#instances.values()) r.runner.vipDeleted(a.address, a.index);
        this.#static.addrDeleted(a.address, a.index);
        if (this.#config?.vrrp.instances.some((x) => x.trackSrcIp)) this.#recomputeAll(); // track_src_ip
      },
    }, d.linkRead);
    this.#firewall = d.firewall ?? new NftFirewall(d.log);
    this.#vmacs = new InstanceVmacs({ kernel: d.kernel, log: d.log, firewall: this.#firewall, links: this.#net.links, sysctl: d.sysctl });
    this.#io = this.#instanceSockets();
    this.#rawAnnouncer = d.announcer ?? new Announcer();
    this.#announcer = new PacedAnnouncer(this.#rawAnnouncer, d.sched, (i, k) => this.#garpInterval(i, k));
    this.#fifos = new VrrpFifos(d.log, d.exec);
    this.#groups = new SyncGroups(d.log, () => this.#fifos.notifier);
    this.#files = d.fileWatch ?? new InotifyFileWatch(d.watcher);
    this.#static = new StaticSet(d.kernel, d.log, (n) => this.#net.byName(n)?.index ?? 0, () => this.#config?.global.defaultInterface ?? null);
    this.#trackers = new TrackerSet({
      log: d.log,
      sched: d.sched,
      files: this.#files,
      resolve: (s) => this.#resolve(s, this.#config!),
      changed: () => this.#recomputeAll(),
      scan: d.scanProc,
      watcher: d.watcher,
    });
    this.#priority = new PriorityFeed({
      trackers: this.#trackers,
      holds: this.holds,
      vrrp: () => this.#config?.vrrp,
      linkUp: (n) => this.#net.byName(n)?.up,
      defaultInterface: () => this.#config?.global.defaultInterface ?? null,
      addrs: () => this.#net.addrs,
      socketFault: (n) => this.#io.faults.reason(n),
      changed: () => this.onControlChange(),
    });
  }

  #instanceSockets(): InstanceSockets {
    const d = this.d;
    const sockets = new VrrpSockets(d.log, d.sched, d.watcher, d.openTransport ?? ((o) => new VrrpTransport({ ...o, log: d.log })), {
      packet: (key, p) => this.#dispatch(key, p),
      error: (key, ifname, reason) => this.#bad.warn(`rx:${key}`, `bad datagram on ${ifname}: ${reason}`),
      repeat: (key, vrid, at) => this.#repeat(key, vrid, at),
      wants: (key, vrid) => this.#byVrid.get(key)?.[vrid] !== undefined,
      unknown: (ifname, vrid) => this.#config?.global.logUnknownVrids && d.log.info(`Unknown VRID(${vrid}) received on interface(${ifname}). ignoring...`),
      instances: (key) => this.#byVrid.get(key),
    });
    return new InstanceSockets({
      sched: d.sched,
      link: (i) => this.#net.links.get(i),
      primaryAddress: (i, f) => this.#net.primaryAddress(i, f),
      copyLinkLocal: (cfg, vmac, src) => this.#vmacs.copyLinkLocal(cfg, vmac, src),
      instances: () => this.#instances.values(),
      byName: (n) => this.#instances.get(n),
      changed: () => {
        this.#closeUnusedTransports();
        if (this.#config) this.#io.size(this.#config);
        this.#reindex();
        this.#recomputeAll();
      },
    }, sockets);
  }

  /** Applies a configuration (first start or reload). */
  apply(c: VrrpSlice, reload: boolean): void {
    this.#net.refresh(c.vrrp.interfaceUpDownDelays, linkbeatNames(c));
    this.#config = c;
    const shape = firewallShape(c);
    if (shape && !c.global.nftables.table && !this.#firewallOn) {
      this.d.log.info("use_vmac or no_accept/strict specified, but no firewall configured - using nftables");
    }
    this.#firewallOn = shape !== null;
    this.#firewall.configure(shape);
    this.#vmacs.localIgmp(c.global.disableLocalIgmp);
    this.#fifos.configure(c, (s) => this.#resolve(s, c));
    this.#static.apply(c);
    // Route deletions matter only when routes of ours are configured (virtual or static).
    this.d.kernel.watchRoutes?.(c.vrrp.staticRoutes.length > 0 || c.vrrp.instances.some((i) => i.virtualRoutes.length > 0));
    this.#trackers.apply(c);
    this.#stopChanged(c);
    this.#groups.apply(c.vrrp.syncGroups, this.instances(), (g) => notifyTargets(g, "GROUP", (s) => this.#resolve(s, c)));
    for (const cfg of c.vrrp.instances) {
      if (this.#instances.has(cfg.name)) continue;
      this.#startInstance(cfg, c);
    }
    for (const name of this.#io.faults.names()) if (!this.#instances.has(name)) this.#io.faults.clear(name);
    this.holds.prune(new Set(this.#instances.keys()));
    this.#promote.apply(c.vrrp.instances);
    this.#closeUnusedTransports();
    this.#io.size(c);
    this.#reindex();
    this.#recomputeAll();
    this.#firewall.settle();
    const faulty = this.#io.faults.names().length;
    if (reload) this.#groups.reloaded(c.global.fifoWriteVrrpStatesOnReload);
    if (reload) this.d.log.info(`Reload finished: ${this.#instances.size - faulty} VRRP instance(s) running${faulty ? `, ${faulty} in FAULT (sockets)` : ""}`);
  }

  /** Reload: instances removed or changed stop (an unchanged one keeps its state and VIPs). */
  #stopChanged(c: VrrpSlice): void {
    const wanted = new Map(c.vrrp.instances.map((i) => [i.name, i]));
    for (const [name, r] of [...this.#instances]) {
      const cfg = wanted.get(name);
      if (cfg && configKey(cfg) === r.json) continue;
      this.d.log.info(`(${name}) ${cfg ? "configuration changed; restarting instance" : "removed from configuration; stopping"}`);
      r.runner.stop();
      this.#vmacs.release(r.runner);
      this.#groups.leave(r.runner);
      this.#instances.delete(name);
    }
  }

  #startInstance(cfg: VrrpInstance, c: VrrpSlice): void {
    const ifname = cfg.interface ?? c.global.defaultInterface;
    const link = ifname ? this.#net.byName(ifname) : undefined;
    if (!ifname || !link) {
      this.d.log.error(`(${cfg.name}) interface ${ifname ?? "(none)"} does not exist; instance not started`);
      return;
    }
    const family = cfg.family === "ipv6" ? "ipv6" : "ipv4";
    const vmac = this.#vmacs.ensure(cfg, c.global.vmacPrefix, link, family);
    if (typeof vmac === "string") {
      this.d.log.error(`(${cfg.name}) use_vmac: ${vmac}; instance not started`);
      return;
    }
    const rec = { key: "", json: configKey(cfg), link, vmac } as Running;
    const loc = this.#io.locate(rec, cfg);
    // The VIPs go on a VMAC, but on the base interface beside an ipvlan (keepalived 2.2.7, seen in the VM).
    const home = vmac && !cfg.vmac?.ipvlan ? vmac : link;
    const place = { ifindex: home.index, ifname: home.name, mac: home.mac, src: typeof loc === "string" ? "" : loc.src };
    const runner = new VrrpInstanceRunner(cfg, place, this.#instanceEnv(rec, cfg, c), notifyTargets(cfg, "INSTANCE", (s) => this.#resolve(s, c)), cfg.priority);
    rec.runner = runner;
    if (typeof loc === "string") this.#io.fault(rec, loc);
    else rec.key = loc.key;
    this.#instances.set(cfg.name, rec);
    this.#groups.join(runner);
    runner.onControlChange = () => this.onControlChange();
    this.#priority.recompute(runner); // a failing tracker at start means FAULT straight from INIT, as keepalived
    this.#startWhenDue(runner);
  }

  /** What an instance works with: the child's scheduler, kernel and announcer, and its own sockets. */
  #instanceEnv(rec: Running, cfg: VrrpInstance, c: VrrpSlice): ConstructorParameters<typeof VrrpInstanceRunner>[2] {
    return {
      sched: this.d.sched,
      log: this.d.log,
      badPackets: this.#bad,
      kernel: this.d.kernel,
      announcer: this.#announcer,
      notifier: () => this.#fifos.notifier,
      send: (data, dst) => this.#io.send(rec, data, dst),
      queue: (data, dst, onError) => this.#io.queue(rec, data, dst, onError),
      sendFailed: (e) => this.#io.sendFailed(rec, e),
      drainRx: () => this.#io.sockets.readNow(rec.key),
      report: (state, priority) => this.#report(cfg, state, priority),
      ifindex: (name) => this.#net.byName(name)?.index ?? 0,
      ifmac: (name) => this.#net.byName(name)?.mac,
      vipMetric: (address, len) => vipMetric(this.#config?.bgp.announces ?? [], address, len),
      firewall: { fw: this.#firewall, byName: !c.global.nftables.ifindex },
      masterRxLowerPri: () => {
        const s = this.#resolve(cfg.notify.masterRxLowerPri, c);
        if (s) this.#fifos.run(s);
      },
    };
  }

  /**
   * vrrp_startup_delay: instances made within the delay after the daemon's start stay in INIT (no adverts,
   * no VIPs) until it has run out ("Delaying startup for N seconds"); later ones start at once.
   */
  #startWhenDue(runner: VrrpInstanceRunner): void {
    const c = this.#config!;
    this.#startAt ??= this.d.sched.now() + c.global.vrrpStartupDelayMs;
    const wait = this.#startAt - this.d.sched.now();
    if (wait <= 0) return runner.start();
    if (!this.#delayed.size) {
      this.d.log.info(`Delaying startup for ${wait / 1000} seconds`);
      this.d.sched.after(wait, () => {
        for (const r of this.#delayed) if (this.instances().includes(r)) r.start();
        this.#delayed.clear();
      });
    }
    this.#delayed.add(runner);
  }

  /** The VRRP sockets, for /metrics and dumps. */
  sockets(): SocketView[] {
    return this.#io.sockets.views();
  }

  /** vrrp_garp_interval / vrrp_gna_interval, or the interface's garp_group values. */
  #garpInterval(ifindex: number, kind: "garp" | "na"): number {
    const c = this.#config;
    if (!c) return 0;
    const name = this.#net.links.get(ifindex)?.name;
    const g = name ? c.vrrp.garpGroups.find((x) => x.interfaces.includes(name)) : undefined;
    const own = kind === "garp" ? g?.garpIntervalMs : g?.gnaIntervalMs;
    return own ?? (kind === "garp" ? c.global.vrrpGarpIntervalMs : c.global.vrrpGnaIntervalMs);
  }

  #dispatch(key: string, p: RxPacket): void {
    const vrid = (p.ahDatagram ? p.payload[24 + 1] : p.payload[1]) ?? -1;
    for (const r of this.#byVrid.get(key)?.[vrid] ?? []) r.receive(p);
  }

  /** The last advert of `vrid` again: true when every instance listening for it replayed its verdict. */
  #repeat(key: string, vrid: number, at: number): boolean {
    const list = this.#byVrid.get(key)?.[vrid];
    if (!list) return true; // nobody listens for that VRID: nothing to do, as for a decoded one
    for (let i = 0; i < list.length; i++) if (!list[i]!.canReplay()) return false; // index loops: no iterator per advert
    for (let i = 0; i < list.length; i++) list[i]!.replay(at);
    return true;
  }

  /** transport key + VRID -> instances, rebuilt when instances start or stop. */
  #reindex(): void {
    this.#byVrid.clear();
    for (const r of this.#instances.values()) {
      const byVrid = this.#byVrid.get(r.key) ?? [];
      (byVrid[r.runner.cfg.vrid] ??= []).push(r.runner);
      this.#byVrid.set(r.key, byVrid);
    }
  }

  #report(cfg: VrrpInstance, state: VrrpState, priority: number): void {
    if (state === "INIT") return;
    this.d.send({ type: "vrrpState", instance: cfg.name, state, priority: cfg.priority, effectivePriority: priority });
  }

  #closeUnusedTransports(): void {
    this.#io.sockets.closeUnused(new Set([...this.#instances.values()].map((r) => r.key)));
  }

  #resolve(s: ScriptSpec | null, c: VrrpSlice): RunAs | null {
    return resolveRunAs(s, c.global, this.d.log);
  }

  #recomputeAll(): void {
    for (const r of this.#instances.values()) this.#priority.recompute(r.runner);
  }

  /** track_file values, track_process counts and BFD states (the USR1 data dump). */
  trackerValues(): TrackerValues {
    return this.#trackers.values();
  }

  /** Why an instance's priority is what it is: one line per tracker that moves it, and the hold. */
  priorityReasons(runner: VrrpInstanceRunner): { reasons: string[]; faults: string[] } {
    return this.#priority.reasons(runner);
  }

  /** Sync groups: name, state, members, for `keepalived ctl status`. */
  groups(): ReturnType<SyncGroups["views"]> {
    return this.#groups.views();
  }

  /** A control command (keepalived ctl failover). */
  control(cmd: ChildCommand): { ok: boolean; message: string } {
    if (cmd.op === "hold") {
      const now = Date.now();
      const live = Object.entries(cmd.holds).filter(([n, until]) => this.#instances.has(n) && until > now);
      for (const [n, until] of live) this.holds.hold(n, until - now);
      this.#recomputeAll();
      return { ok: true, message: `${live.length} hold(s) resumed` };
    }
    if (cmd.op !== "failover") return { ok: false, message: `the VRRP child takes no ${cmd.op} command` };
    const runners = cmd.instances.map((n) => this.#instances.get(n)?.runner);
    const missing = cmd.instances.filter((_, i) => !runners[i]);
    if (missing.length) return { ok: false, message: `not running here: ${missing.join(", ")}` };
    return this.holds.failover(runners as VrrpInstanceRunner[], cmd.holdMs, cmd.force);
  }

  /** Relayed events: BFD session states for track_bfd; D-Bus SendGarp. */
  onEvent(msg: Message): void {
    if (msg.type === "garp") return this.#instances.get(msg.instance)?.runner.sendGarp();
    if (msg.type !== "bfdState") return;
    if (this.#trackers.setBfd(msg.name, msg.state === "Up")) {
      this.d.log.info(`BFD ${msg.name} is ${msg.state}`);
      this.#recomputeAll();
    }
  }

  /** vrrp_scripts in use: name, verdict, whether a run is in progress and runs so far (metrics, SNMP). */
  scripts(): { name: string; up: boolean; running: boolean; runs: number }[] {
    return [...this.#trackers.scripts].map(([name, { tracker }]) => ({ name, up: tracker.up, running: tracker.running, runs: tracker.runs }));
  }

  /** Current instances, for dumps and tests. */
  instances(): VrrpInstanceRunner[] {
    return [...this.#instances.values()].map((r) => r.runner);
  }

  /**
   * TERM: every instance stops (priority 0 if MASTER, VIPs removed unless -V), notify_stop runs and is
   * waited for (at most stopScriptsWaitMs), then sockets, FIFOs, firewall rules and VMACs go.
   */
  async stop(): Promise<void> {
    this.holds.prune();
    this.#trackers.stop();
    this.#net.stop();
    this.#files.close?.();
    for (const r of this.#instances.values()) r.runner.stop(this.d.keepVipsOnStop);
    this.#groups.stopped();
    const waitMs = this.d.stopScriptsWaitMs ?? STOP_SCRIPTS_WAIT_MS;
    if (!(await this.#fifos.settle(waitMs))) this.d.log.warn(`notify scripts still running after ${waitMs} ms; sent them SIGTERM`);
    this.#io.faults.stop();
    this.#io.sockets.closeAll();
    this.#fifos.close();
    this.#static.stop();
    if (!this.d.keepVipsOnStop) this.#firewall.stop();
    this.#promote.stop();
    this.#vmacs.releaseAll();
    this.#rawAnnouncer.close();
    this.d.kernel.close();
  }
}
