/**
 * The VRRP child's runtime: builds the interface model from rtnetlink, opens one transport per
 * (interface, family, AH) and demultiplexes adverts to instances by VRID, runs the trackers
 * (track_interface, vrrp_script) into effective priorities, follows link and address events (interface
 * down -> FAULT, a VIP deleted by someone else while MASTER -> restored), and applies reloads without
 * flapping: an instance whose configuration did not change keeps its state and VIPs. An instance whose
 * sockets cannot be opened or used is FAULT with the reason and retried (src/vrrp/socket-faults.ts).
 */
import { vipMetric } from "../bgp/desired.ts";
import type { KeepalivedConfig, VrrpInstance } from "../config/model.ts";
import type { Message } from "../core/ipc.ts";
import { RateLimitedLog, type Logger } from "../core/log.ts";
import type { Scheduler } from "../core/scheduler.ts";
import { resolveRunAs } from "../core/script.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { effectivePriority } from "./priority.ts";
import { Announcer, PacedAnnouncer } from "./garp.ts";
import { VrrpInstanceRunner } from "./instance.ts";
import type { AddrInfo, LinkInfo, NetEvent, NetKernel } from "./netkernel.ts";
import { execScript, type NotifyTargets, type ResolvedScript, type ScriptExec } from "./notify.ts";
import { VrrpFifos } from "./notify-fifos.ts";
import { InotifyFileWatch } from "./file-watch.ts";
import type { FileWatch } from "./track-file.ts";
import type { ProcInfo } from "./track-process.ts";
import { TrackerSet } from "./tracker-set.ts";
import { procSysctl, SysctlJournal, type Sysctl } from "./sysctl.ts";
import { PromoteSecondaries } from "./promote-secondaries.ts";
import { VmacManager } from "./vmac.ts";
import { StaticSet } from "./static.ts";
import { IFA_F } from "../proto/rtnl-addr.ts";
import { instanceTrackers } from "./trackers.ts";
import { type RxPacket, type TransportLike, type TransportOptions, VrrpTransport } from "./transport.ts";
import { VrrpSockets, type SocketView } from "./sockets.ts";
import { InstanceSockets, type Running } from "./instance-sockets.ts";
import type { ScriptSpec } from "../config/model.ts";
import type { VrrpState } from "./fsm.ts";
import { SyncGroupRunner } from "./sync-group.ts";
import { FailoverHolds } from "./failover.ts";
import type { ChildCommand } from "../core/control-proto.ts";
import { trackerLines } from "./control-snap.ts";
import { NftFirewall } from "./firewall.ts";
import { LinkDebounce } from "./link-debounce.ts";
import { firewallShape } from "./firewall-rules.ts";
import type { SyncGroup } from "../config/model.ts";
import { meaningKey } from "../config/meaning.ts";

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
}

/** What the runtime needs of the announcer. */
export type AnnouncerLike = Pick<Announcer, "garp" | "na" | "close">;

const configKey = (i: VrrpInstance) => meaningKey(i);

/** The VRRP child's state. */
export class VrrpRuntime {
  readonly #links = new Map<number, LinkInfo>();
  readonly #addrs: AddrInfo[] = [];
  readonly #io: InstanceSockets;
  readonly #instances = new Map<string, Running>();
  readonly #byVrid = new Map<string, (VrrpInstanceRunner[] | undefined)[]>();
  readonly #trackers: TrackerSet;
  readonly #groups = new Map<string, { group: SyncGroupRunner; json: string }>();
  readonly #rawAnnouncer: AnnouncerLike;
  readonly #announcer: PacedAnnouncer;
  readonly #bad: RateLimitedLog;
  readonly #fifos: VrrpFifos;
  #config: KeepalivedConfig | undefined;
  #subscribed = false;
  readonly #firewall: NftFirewall;
  readonly #debounce: LinkDebounce;
  /** When instances may start (vrrp_startup_delay after the first configuration), ms on the scheduler's clock. */
  #startAt: number | undefined;
  readonly #delayed = new Set<VrrpInstanceRunner>();
  #firewallOn = false;
  #vmacs: VmacManager | undefined;
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
    const sockets = new VrrpSockets(d.log, d.sched, d.watcher, d.openTransport ?? ((o) => new VrrpTransport({ ...o, log: d.log })), {
      packet: (key, p) => this.#dispatch(key, p),
      error: (key, ifname, reason) => this.#bad.warn(`rx:${key}`, `bad datagram on ${ifname}: ${reason}`),
      repeat: (key, vrid, at) => this.#repeat(key, vrid, at),
      wants: (key, vrid) => this.#byVrid.get(key)?.[vrid] !== undefined,
    });
    this.#io = new InstanceSockets({
      sched: d.sched, link: (i) => this.#links.get(i), primaryAddress: (i, f) => this.#primaryAddress(i, f),
      copyLinkLocal: (cfg, vmac, src) => this.#copyLinkLocal(cfg, vmac, src), instances: () => this.#instances.values(),
      byName: (n) => this.#instances.get(n),
      changed: () => {
        this.#closeUnusedTransports();
        if (this.#config) this.#io.size(this.#config);
        this.#reindex();
        this.#recomputeAll();
      },
    }, sockets);
    this.#rawAnnouncer = d.announcer ?? new Announcer();
    this.#announcer = new PacedAnnouncer(this.#rawAnnouncer, d.sched, (i, k) => this.#garpInterval(i, k));
    this.#fifos = new VrrpFifos(d.log, d.exec);
    this.#files = d.fileWatch ?? new InotifyFileWatch(d.watcher);
    this.#firewall = d.firewall ?? new NftFirewall(d.log);
    this.#debounce = new LinkDebounce(d.sched, d.log);
    this.#static = new StaticSet(d.kernel, d.log, (n) => this.#linkByName(n)?.index ?? 0, () => this.#config?.global.defaultInterface ?? null);
    this.#trackers = new TrackerSet({
      log: d.log, sched: d.sched, files: this.#files, resolve: (s) => this.#resolve(s, this.#config!),
      changed: () => this.#recomputeAll(), scan: d.scanProc, watcher: d.watcher,
    });
  }

  /** Applies a configuration (first start or reload). */
  apply(c: KeepalivedConfig, reload: boolean): void {
    this.#refreshKernelView();
    if (!this.#subscribed) {
      this.d.kernel.subscribe((e) => this.#onNetEvent(e));
      this.#subscribed = true;
    }
    this.#config = c;
    const shape = firewallShape(c);
    if (shape && !c.global.nftables.table && !this.#firewallOn) this.d.log.info("use_vmac or no_accept/strict specified, but no firewall configured - using nftables");
    this.#firewallOn = shape !== null;
    this.#firewall.configure(shape);
    this.#fifos.configure(c, (s) => this.#resolve(s, c));
    this.#static.apply(c);
    this.#debounce.configure(c.vrrp.interfaceUpDownDelays);
    // Route deletions matter only when routes of ours are configured (virtual or static).
    this.d.kernel.watchRoutes?.(c.vrrp.staticRoutes.length > 0 || c.vrrp.instances.some((i) => i.virtualRoutes.length > 0));
    this.#trackers.apply(c);
    const wanted = new Map(c.vrrp.instances.map((i) => [i.name, i]));
    for (const [name, r] of [...this.#instances]) {
      const cfg = wanted.get(name);
      if (cfg && configKey(cfg) === r.json) continue; // unchanged: keeps state and VIPs
      this.d.log.info(`(${name}) ${cfg ? "configuration changed; restarting instance" : "removed from configuration; stopping"}`);
      r.runner.stop();
      this.#releaseVmac(r.runner);
      for (const g of this.#groups.values()) g.group.remove(r.runner);
      this.#instances.delete(name);
    }
    this.#setupGroups(c);
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
    if (reload) this.d.log.info(`Reload finished: ${this.#instances.size - faulty} VRRP instance(s) running${faulty ? `, ${faulty} in FAULT (sockets)` : ""}`);
  }

  #refreshKernelView(): void {
    this.#links.clear();
    for (const l of this.d.kernel.dumpLinks()) this.#links.set(l.index, l);
    this.#addrs.length = 0;
    this.#addrs.push(...this.d.kernel.dumpAddrs());
  }

  #linkByName(name: string): LinkInfo | undefined {
    for (const l of this.#links.values()) if (l.name === name) return l;
    return undefined;
  }

  #primaryAddress(ifindex: number, family: "ipv4" | "ipv6"): string | undefined {
    const own = this.#addrs.filter((a) => a.index === ifindex && a.family === family);
    if (family === "ipv6") {
      // A tentative link-local address (DAD running) cannot be bound yet: prefer one that can.
      const ll = own.filter((a) => a.address.toLowerCase().startsWith("fe80:"));
      return (ll.find((a) => !(a.flags & IFA_F.TENTATIVE)) ?? ll[0] ?? own[0])?.address;
    }
    return own.find((a) => !(a.flags & 0x01))?.address ?? own[0]?.address; // not IFA_F_SECONDARY
  }

  #startInstance(cfg: VrrpInstance, c: KeepalivedConfig): void {
    const ifname = cfg.interface ?? c.global.defaultInterface;
    const link = ifname ? this.#linkByName(ifname) : undefined;
    if (!ifname || !link) {
      this.d.log.error(`(${cfg.name}) interface ${ifname ?? "(none)"} does not exist; instance not started`);
      return;
    }
    const family = cfg.family === "ipv6" ? "ipv6" : "ipv4";
    const vmac = this.#vmacFor(cfg, c, link, family);
    if (typeof vmac === "string") {
      this.d.log.error(`(${cfg.name}) use_vmac: ${vmac}; instance not started`);
      return;
    }
    const rec = { key: "", json: configKey(cfg), link, vmac } as Running;
    const loc = this.#io.locate(rec, cfg);
    const home = vmac ?? link;
    const runner = new VrrpInstanceRunner(cfg, { ifindex: home.index, ifname: home.name, mac: home.mac, src: typeof loc === "string" ? "" : loc.src }, {
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
      ifindex: (name) => this.#linkByName(name)?.index ?? 0,
      vipMetric: (address, len) => vipMetric(this.#config?.bgp.announces ?? [], address, len),
      firewall: { fw: this.#firewall, byName: !c.global.nftables.ifindex },
      masterRxLowerPri: () => {
        const s = this.#resolve(cfg.notify.masterRxLowerPri, c);
        if (s) void (this.d.exec ?? execScript)(s.argv, s.uid, s.gid);
      },
    }, this.#targets(cfg, c), cfg.priority);
    rec.runner = runner;
    if (typeof loc === "string") this.#io.fault(rec, loc);
    else rec.key = loc.key;
    this.#instances.set(cfg.name, rec);
    if (cfg.syncGroup) this.#groups.get(cfg.syncGroup)?.group.add(runner);
    runner.onControlChange = () => this.onControlChange();
    this.#recompute(runner); // a failing tracker at start means FAULT straight from INIT, as keepalived
    this.#startWhenDue(runner);
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

  /** The instance's VMAC (created if needed), undefined without use_vmac, or why it cannot be made. */
  #vmacFor(cfg: VrrpInstance, c: KeepalivedConfig, base: LinkInfo, family: "ipv4" | "ipv6"): LinkInfo | string | undefined {
    if (!cfg.vmac) return undefined;
    if (cfg.vmac.ipvlan) return "use_ipvlan is not supported";
    this.#vmacs ??= new VmacManager(this.d.kernel, new SysctlJournal(this.d.sysctl ?? procSysctl, this.d.log), this.d.log, c.global.vmacPrefix);
    const r = this.#vmacs.ensure({ vrid: cfg.vrid, family, name: cfg.vmac.name, mac: cfg.vmac.mac, base });
    if (typeof r !== "string") {
      this.#links.set(r.index, r);
      this.#firewall.addVmac(cfg.name, family, r.index, base.index);
    }
    return r;
  }

  /** vrrp_garp_interval / vrrp_gna_interval, or the interface's garp_group values. */
  #garpInterval(ifindex: number, kind: "garp" | "na"): number {
    const c = this.#config;
    if (!c) return 0;
    const name = this.#links.get(ifindex)?.name;
    const g = name ? c.vrrp.garpGroups.find((x) => x.interfaces.includes(name)) : undefined;
    const own = kind === "garp" ? g?.garpIntervalMs : g?.gnaIntervalMs;
    return own ?? (kind === "garp" ? c.global.vrrpGarpIntervalMs : c.global.vrrpGnaIntervalMs);
  }

  /** An IPv6 VMAC gets the base's link-local address (nodad, deprecated) to send adverts from. */
  #copyLinkLocal(cfg: VrrpInstance, vmac: LinkInfo, src: string): void {
    if (!src.toLowerCase().startsWith("fe80:")) return;
    try {
      this.d.kernel.addAddr({ index: vmac.index, address: src, prefixLen: 64, scope: 253, flags: IFA_F.NODAD, preferredLft: 0 });
    } catch (e) {
      this.d.log.error(`(${cfg.name}) cannot add ${src} to ${vmac.name}: ${(e as Error).message}`);
    }
  }

  #dispatch(key: string, p: RxPacket): void {
    const vrid = (p.ahDatagram ? p.payload[24 + 1] : p.payload[1]) ?? -1;
    for (const r of this.#byVrid.get(key)?.[vrid] ?? []) r.receive(p);
  }

  /** The last advert of `vrid` again: true when every instance listening for it replayed its verdict. */
  #repeat(key: string, vrid: number, at: number): boolean {
    const list = this.#byVrid.get(key)?.[vrid];
    if (!list) return true; // nobody listens for that VRID: nothing to do, as for a decoded one
    for (const r of list) if (!r.canReplay()) return false;
    for (const r of list) r.replay(at);
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

  #releaseVmac(r: VrrpInstanceRunner): void {
    if (r.cfg.vmac && this.#vmacs) this.#vmacs.release(r.place.ifname);
    this.#firewall.removeVmac(r.cfg.name);
  }

  #closeUnusedTransports(): void {
    this.#io.sockets.closeUnused(new Set([...this.#instances.values()].map((r) => r.key)));
  }

  #resolve(s: ScriptSpec | null, c: KeepalivedConfig): ResolvedScript | null {
    return resolveRunAs(s, c.global, this.d.log);
  }

  /**
   * Sync groups: an unchanged group keeps its runner and state; a new or changed one starts from its
   * running members' states. Members join when they start (#startInstance).
   */
  #setupGroups(c: KeepalivedConfig): void {
    const wanted = new Map<string, SyncGroup>(c.vrrp.syncGroups.map((g) => [g.name, g]));
    for (const [name, g] of [...this.#groups]) {
      const w = wanted.get(name);
      if (w && meaningKey(w) === g.json) continue;
      for (const m of [...g.group.members]) g.group.remove(m);
      this.#groups.delete(name);
    }
    for (const g of c.vrrp.syncGroups) {
      if (this.#groups.has(g.name)) continue;
      const group = new SyncGroupRunner(g.name, this.#targets(g, c), this.d.log, () => this.#fifos.notifier);
      for (const r of this.#instances.values()) if (r.runner.cfg.syncGroup === g.name) group.add(r.runner);
      const states = group.members.map((m) => m.state);
      group.state = states.includes("FAULT") ? "FAULT" : states.includes("MASTER") ? "MASTER" : states.length ? "BACKUP" : "INIT";
      this.#groups.set(g.name, { group, json: meaningKey(g) });
    }
  }

  #targets(cfg: VrrpInstance | SyncGroup, c: KeepalivedConfig): NotifyTargets {
    const n = cfg.notify;
    return {
      kind: "members" in cfg ? "GROUP" : "INSTANCE", name: cfg.name, master: this.#resolve(n.master, c), backup: this.#resolve(n.backup, c),
      fault: this.#resolve(n.fault, c), stop: this.#resolve(n.stop, c), deleted: this.#resolve(n.deleted, c),
      generic: this.#resolve(n.generic, c),
    };
  }

  #recomputeAll(): void {
    for (const r of this.#instances.values()) this.#recompute(r.runner);
  }

  /** The instance's trackers in their current states. */
  #trackerList(runner: VrrpInstanceRunner) {
    const states = this.#trackers.states((n) => this.#linkByName(n)?.up);
    const c = this.#config;
    const cfg = runner.cfg;
    const group = cfg.syncGroup ? c?.vrrp.syncGroups.find((g) => g.name === cfg.syncGroup) : undefined;
    return instanceTrackers(cfg, group, c?.vrrp ?? { scripts: [], trackFiles: [], trackProcesses: [] }, states);
  }

  /** Why an instance's priority is what it is: one line per tracker that moves it, and the hold. */
  priorityReasons(runner: VrrpInstanceRunner): { reasons: string[]; faults: string[] } {
    const t = trackerLines(this.#trackerList(runner));
    if (this.holds.until(runner.cfg.name) !== undefined) t.reasons.push("failover hold: priority 1");
    return t;
  }

  /** Feeds an instance its effective priority and FAULT state from its trackers. */
  #recompute(runner: VrrpInstanceRunner): void {
    const cfg = runner.cfg;
    const res = effectivePriority(cfg.priority, this.#trackerList(runner));
    // unicast_fault_no_peer: a unicast instance without peers cannot work (keepalived 2.2.7 log line).
    if (cfg.unicastFaultNoPeer && cfg.unicastPeers.length === 0) res.faultReasons.push("Cannot use unicast without any peers");
    const sockets = this.#io.faults.reason(cfg.name);
    if (sockets) res.faultReasons.push(sockets);
    const fault = res.faultReasons.length > 0;
    if (fault && !runner.fsm.fault) runner.log.info(`entering FAULT: ${res.faultReasons.join(", ")}`);
    const before = runner.fsm.priority;
    runner.setPriority(this.holds.priority(cfg.name, res.priority), fault);
    if (runner.fsm.priority !== before) this.onControlChange();
  }

  /** Sync groups: name, state, members, for `keepalived ctl status`. */
  groups(): { name: string; state: string; members: string[] }[] {
    return [...this.#groups.values()].map(({ group }) => ({ name: group.name, state: group.state, members: group.members.map((m) => m.cfg.name) }));
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

  #onNetEvent(e: NetEvent): void {
    if (e.kind === "link") {
      if (e.op === "del") {
        this.#debounce.drop(e.link.index);
        const before = this.#links.get(e.link.index);
        this.#links.delete(e.link.index);
        if (before?.up) this.#linkChanged(e.link.name, "removed");
        return;
      }
      // interface_up_down_delays: the instances may see the old state for a while, then #setLink.
      const before = this.#links.get(e.link.index);
      const up = this.#debounce.offer(e.link, before?.up, (l) => this.#setLink(l));
      this.#links.set(e.link.index, { ...e.link, up });
      if (before?.up !== up) this.#linkChanged(e.link.name, up ? "up" : "down");
      else this.#io.faults.kick();
      return;
    }
    if (e.kind === "route") {
      for (const r of this.#instances.values()) r.runner.routeDeleted(e.route);
      this.#static.routeDeleted(e.route);
      return;
    }
    const a = e.addr;
    const i = this.#addrs.findIndex((x) => x.index === a.index && x.address === a.address);
    if (e.op === "new" && i < 0) this.#addrs.push(a);
    if (e.op === "new" && i >= 0) this.#addrs[i] = a; // flags change too: a link-local address finishing DAD
    if (e.op === "new") this.#io.faults.kick();
    if (e.op === "del") {
      if (i >= 0) this.#addrs.splice(i, 1);
      for (const r of this.#instances.values()) r.runner.vipDeleted(a.address);
      this.#static.addrDeleted(a.address, a.index);
    }
  }

  #setLink(l: LinkInfo): void {
    const before = this.#links.get(l.index);
    this.#links.set(l.index, l);
    if (before?.up !== l.up) this.#linkChanged(l.name, l.up ? "up" : "down");
  }

  #linkChanged(name: string, how: string): void {
    this.d.log.info(`Netlink reports ${name} ${how}`);
    this.#recomputeAll();
    this.#io.faults.kick();
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

  /** TERM: every instance stops (priority 0 if MASTER, VIPs removed unless -V), notify_stop runs. */
  async stop(): Promise<void> {
    this.holds.prune();
    this.#trackers.stop();
    this.#debounce.stop();
    this.#files.close?.();
    for (const r of this.#instances.values()) r.runner.stop(this.d.keepVipsOnStop);
    for (const g of this.#groups.values()) g.group.stopped();
    // Give notify_stop scripts a moment to be spawned before the process exits.
    await Bun.sleep(50);
    this.#io.faults.stop();
    this.#io.sockets.closeAll();
    this.#fifos.close();
    this.#static.stop();
    if (!this.d.keepVipsOnStop) this.#firewall.stop();
    this.#promote.stop();
    this.#vmacs?.releaseAll();
    this.#rawAnnouncer.close();
    this.d.kernel.close();
  }
}
