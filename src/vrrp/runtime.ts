/**
 * The VRRP child's runtime: builds the interface model from rtnetlink, opens one transport per
 * (interface, family, AH) and demultiplexes adverts to instances by VRID, runs the trackers
 * (track_interface, vrrp_script) into effective priorities, follows link and address events (interface
 * down -> FAULT, a VIP deleted by someone else while MASTER -> restored), and applies reloads without
 * flapping: an instance whose configuration did not change keeps its state and VIPs.
 */
import type { KeepalivedConfig, VrrpInstance } from "../config/model.ts";
import type { Message } from "../core/ipc.ts";
import { RateLimitedLog, type Logger } from "../core/log.ts";
import type { Scheduler } from "../core/scheduler.ts";
import { defaultScriptUser, resolveUser, scriptInsecurity } from "../core/script.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { effectivePriority } from "./priority.ts";
import { Announcer, PacedAnnouncer } from "./garp.ts";
import { VrrpInstanceRunner } from "./instance.ts";
import type { AddrInfo, LinkInfo, NetEvent, NetKernel } from "./netkernel.ts";
import { execScript, FifoReaders, type FifoReaderSpec, Notifier, NotifyFifo, type NotifyTargets, type ResolvedScript, type ScriptExec } from "./notify.ts";
import { InotifyFileWatch } from "./file-watch.ts";
import type { FileWatch } from "./track-file.ts";
import type { ProcInfo } from "./track-process.ts";
import { TrackerSet } from "./tracker-set.ts";
import { procSysctl, SysctlJournal, type Sysctl } from "./sysctl.ts";
import { VmacManager } from "./vmac.ts";
import { StaticSet } from "./static.ts";
import { IFA_F } from "../proto/rtnl-addr.ts";
import { instanceTrackers } from "./trackers.ts";
import { VrrpTransport, type RxPacket, type TransportOptions } from "./transport.ts";
import { RxPump } from "../core/rx-pump.ts";
import type { ScriptSpec } from "../config/model.ts";
import type { VrrpState } from "./fsm.ts";
import { SyncGroupRunner } from "./sync-group.ts";
import type { SyncGroup } from "../config/model.ts";

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
}

/** What the runtime needs of a transport (VrrpTransport, or a fake in tests). */
export interface TransportLike {
  readonly rx: { readonly fd: number };
  send(data: Uint8Array, dst: string): void;
  /** Reads everything queued; returns how many datagrams it read (a fake may return nothing). */
  drain(onPacket: (p: RxPacket) => void, onError: (e: { reason: string }) => void, onRepeat?: (vrid: number, at: number) => boolean): number | void;
  close(): void;
}

/** What the runtime needs of the announcer. */
export type AnnouncerLike = Pick<Announcer, "garp" | "na" | "close">;

interface Running {
  runner: VrrpInstanceRunner;
  key: string;
  /** The instance's config as JSON, to tell a changed instance on reload. */
  json: string;
}

const configKey = (i: VrrpInstance) => JSON.stringify({ ...i, src: undefined });

/** The VRRP child's state. */
export class VrrpRuntime {
  readonly #links = new Map<number, LinkInfo>();
  readonly #addrs: AddrInfo[] = [];
  readonly #transports = new Map<string, TransportLike>();
  /** Per transport key: what reads its socket (through the reactor, or on a timer while busy). */
  readonly #pumps = new Map<string, RxPump>();
  readonly #instances = new Map<string, Running>();
  readonly #byVrid = new Map<string, (VrrpInstanceRunner[] | undefined)[]>();
  readonly #trackers: TrackerSet;
  readonly #groups = new Map<string, { group: SyncGroupRunner; json: string }>();
  readonly #rawAnnouncer: AnnouncerLike;
  readonly #announcer: PacedAnnouncer;
  readonly #bad: RateLimitedLog;
  #notifier: Notifier;
  #fifos: NotifyFifo[] = [];
  #fifoReaders: FifoReaders | undefined;
  #config: KeepalivedConfig | undefined;
  #subscribed = false;
  #vmacs: VmacManager | undefined;
  readonly #static: StaticSet;
  readonly #files: FileWatch & { close?(): void };

  constructor(readonly d: VrrpRuntimeDeps) {
    this.#bad = new RateLimitedLog(d.log);
    this.#rawAnnouncer = d.announcer ?? new Announcer();
    this.#announcer = new PacedAnnouncer(this.#rawAnnouncer, d.sched, (i, k) => this.#garpInterval(i, k));
    this.#notifier = new Notifier(d.log, [], d.exec);
    this.#files = d.fileWatch ?? new InotifyFileWatch(d.watcher);
    this.#static = new StaticSet(d.kernel, d.log, (n) => this.#linkByName(n)?.index ?? 0, () => this.#config?.global.defaultInterface ?? null);
    this.#trackers = new TrackerSet({
      log: d.log, sched: d.sched, files: this.#files, resolve: (s) => this.#resolve(s, this.#config!),
      changed: () => this.#recomputeAll(), scan: d.scanProc,
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
    this.#setupFifos(c);
    this.#static.apply(c);
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
    this.#closeUnusedTransports();
    this.#reindex();
    this.#recomputeAll();
    if (reload) this.d.log.info(`Reload finished: ${this.#instances.size} VRRP instance(s) running`);
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
    if (family === "ipv6") return own.find((a) => a.address.toLowerCase().startsWith("fe80:"))?.address ?? own[0]?.address;
    return own.find((a) => !(a.flags & 0x01))?.address ?? own[0]?.address; // not IFA_F_SECONDARY
  }

  #startInstance(cfg: VrrpInstance, c: KeepalivedConfig): void {
    const ifname = cfg.interface ?? c.global.defaultInterface;
    const link = ifname ? this.#linkByName(ifname) : undefined;
    if (!ifname || !link) {
      this.d.log.error(`(${cfg.name}) interface ${ifname ?? "(none)"} does not exist; instance not started`);
      return;
    }
    const family = cfg.family === "inet6" ? "ipv6" : "ipv4";
    const src = cfg.unicastSrcIp ?? cfg.mcastSrcIp ?? this.#primaryAddress(link.index, family);
    if (!src) {
      this.d.log.error(`(${cfg.name}) ${ifname} has no ${family} address to send adverts from; instance not started`);
      return;
    }
    const ah = cfg.auth?.type === "AH" && cfg.version === 2;
    const vmac = this.#vmacFor(cfg, c, link, family);
    if (typeof vmac === "string") {
      this.d.log.error(`(${cfg.name}) use_vmac: ${vmac}; instance not started`);
      return;
    }
    // Adverts leave from the VMAC unless vmac_xmit_base.
    if (vmac && family === "ipv6") this.#copyLinkLocal(cfg, vmac, src);
    const tx = vmac && !cfg.vmacXmitBase ? vmac : link;
    const key = `${link.index}/${tx.index}/${family}/${ah ? "ah" : "vrrp"}/${src}`;
    let t = this.#transports.get(key);
    if (!t) {
      try {
        const open = this.d.openTransport ?? ((o: TransportOptions) => new VrrpTransport(o));
        t = open({
          family, ifname: link.name, ifindex: link.index, src, ah, log: this.d.log, unicastTtl: cfg.unicastTtl, txIfname: tx.name, txIfindex: tx.index,
          group: cfg.unicastPeers.length ? undefined : cfg.mcastDstIp ?? (family === "ipv4" ? "224.0.0.18" : "ff02::12"),
        });
      } catch (e) {
        this.d.log.error(`(${cfg.name}) cannot open VRRP sockets on ${link.name}: ${(e as Error).message}`);
        return;
      }
      const tr = t;
      this.#transports.set(key, tr);
      const onPacket = (p: RxPacket) => this.#dispatch(key, p);
      const onError = (e: { reason: string }) => this.#bad.warn(`rx:${key}`, `bad datagram on ${link.name}: ${e.reason}`);
      const onRepeat = (vrid: number, at: number) => this.#repeat(key, vrid, at);
      this.#pumps.set(key, new RxPump(tr.rx.fd, () => tr.drain(onPacket, onError, onRepeat), this.d.watcher, this.d.sched));
    }
    const transport = t;
    const home = vmac ?? link;
    const runner = new VrrpInstanceRunner(cfg, { ifindex: home.index, ifname: home.name, mac: home.mac, src }, {
      sched: this.d.sched,
      log: this.d.log,
      badPackets: this.#bad,
      kernel: this.d.kernel,
      announcer: this.#announcer,
      notifier: () => this.#notifier,
      send: (data, dst) => transport.send(data, dst),
      drainRx: () => this.#pumps.get(key)?.readNow(),
      report: (state, priority) => this.#report(cfg, state, priority),
      ifindex: (name) => this.#linkByName(name)?.index ?? 0,
      masterRxLowerPri: () => {
        const s = this.#resolve(cfg.notify.masterRxLowerPri, c);
        if (s) void (this.d.exec ?? execScript)(s.argv, s.uid, s.gid);
      },
    }, this.#targets(cfg, c), cfg.priority);
    this.#instances.set(cfg.name, { runner, key, json: configKey(cfg) });
    if (cfg.syncGroup) this.#groups.get(cfg.syncGroup)?.group.add(runner);
    this.#recompute(runner); // a failing tracker at start means FAULT straight from INIT, as keepalived
    runner.start();
  }

  /** The instance's VMAC (created if needed), undefined without use_vmac, or why it cannot be made. */
  #vmacFor(cfg: VrrpInstance, c: KeepalivedConfig, base: LinkInfo, family: "ipv4" | "ipv6"): LinkInfo | string | undefined {
    if (!cfg.vmac) return undefined;
    if (cfg.vmac.ipvlan) return "use_ipvlan is not supported";
    this.#vmacs ??= new VmacManager(this.d.kernel, new SysctlJournal(this.d.sysctl ?? procSysctl, this.d.log), this.d.log, c.global.vmacPrefix);
    const r = this.#vmacs.ensure({ vrid: cfg.vrid, family, name: cfg.vmac.name, mac: cfg.vmac.mac, base });
    if (typeof r !== "string") this.#links.set(r.index, r);
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
  }

  #closeUnusedTransports(): void {
    const used = new Set([...this.#instances.values()].map((r) => r.key));
    for (const [key, t] of [...this.#transports]) {
      if (used.has(key)) continue;
      this.#pumps.get(key)?.close();
      this.#pumps.delete(key);
      t.close();
      this.#transports.delete(key);
    }
  }

  #resolve(s: ScriptSpec | null, c: KeepalivedConfig): ResolvedScript | null {
    if (!s) return null;
    const def = defaultScriptUser(c.global.scriptUser ? { user: c.global.scriptUser.user, group: c.global.scriptUser.group ?? undefined } : undefined);
    const u = s.user ? resolveUser(s.user, s.group ?? undefined) : def;
    if (typeof u === "string") {
      this.d.log.error(`script ${s.cmd}: ${u}; not run`);
      return null;
    }
    if (c.global.enableScriptSecurity && u.uid === 0) {
      const why = scriptInsecurity(s.argv[0] ?? "");
      if (why) {
        this.d.log.error(`script ${s.argv[0]} is insecure (${why}); disabled by enable_script_security`);
        return null;
      }
    }
    return { argv: s.argv, uid: u.uid, gid: u.gid };
  }

  /**
   * Sync groups: an unchanged group keeps its runner and state; a new or changed one starts from its
   * running members' states. Members join when they start (#startInstance).
   */
  #setupGroups(c: KeepalivedConfig): void {
    const wanted = new Map<string, SyncGroup>(c.vrrp.syncGroups.map((g) => [g.name, g]));
    for (const [name, g] of [...this.#groups]) {
      const w = wanted.get(name);
      if (w && JSON.stringify({ ...w, src: undefined }) === g.json) continue;
      for (const m of [...g.group.members]) g.group.remove(m);
      this.#groups.delete(name);
    }
    for (const g of c.vrrp.syncGroups) {
      if (this.#groups.has(g.name)) continue;
      const group = new SyncGroupRunner(g.name, this.#targets(g, c), this.d.log, () => this.#notifier);
      for (const r of this.#instances.values()) if (r.runner.cfg.syncGroup === g.name) group.add(r.runner);
      const states = group.members.map((m) => m.state);
      group.state = states.includes("FAULT") ? "FAULT" : states.includes("MASTER") ? "MASTER" : states.length ? "BACKUP" : "INIT";
      this.#groups.set(g.name, { group, json: JSON.stringify({ ...g, src: undefined }) });
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

  /** Opens the configured FIFOs; one already open stays open (closing it would discard unread lines). */
  #setupFifos(c: KeepalivedConfig): void {
    const paths = [c.global.notifyFifo, c.global.vrrpNotifyFifo].filter((f) => f !== null).map((f) => f.path);
    const keep: NotifyFifo[] = [];
    for (const f of this.#fifos) {
      if (paths.includes(f.path)) keep.push(f);
      else f.close();
    }
    for (const p of paths) {
      if (keep.some((f) => f.path === p)) continue;
      const f = new NotifyFifo(p, this.d.log);
      f.open();
      keep.push(f);
    }
    this.#fifos = keep;
    this.#notifier = new Notifier(this.d.log, this.#fifos, this.d.exec);
    // The reader scripts: vrrp_notify_fifo_script, and notify_fifo_script (the shared FIFO's reader is
    // started here; the check child starts only lvs_notify_fifo_script).
    const readers: FifoReaderSpec[] = [];
    for (const [what, f] of [["notify_fifo_script", c.global.notifyFifo], ["vrrp_notify_fifo_script", c.global.vrrpNotifyFifo]] as const) {
      const script = f?.script ? this.#resolve(f.script, c) : null;
      if (f && script) readers.push({ what, path: f.path, script });
    }
    this.#fifoReaders ??= new FifoReaders(this.d.log);
    this.#fifoReaders.set(readers);
  }

  #recomputeAll(): void {
    for (const r of this.#instances.values()) this.#recompute(r.runner);
  }

  /** Feeds an instance its effective priority and FAULT state from its trackers. */
  #recompute(runner: VrrpInstanceRunner): void {
    const states = this.#trackers.states((n) => this.#linkByName(n)?.up);
    const c = this.#config;
    const cfg = runner.cfg;
    const group = cfg.syncGroup ? c?.vrrp.syncGroups.find((g) => g.name === cfg.syncGroup) : undefined;
    const list = instanceTrackers(cfg, group, c?.vrrp ?? { scripts: [], trackFiles: [], trackProcesses: [] }, states);
    const res = effectivePriority(cfg.priority, list);
    // unicast_fault_no_peer: a unicast instance without peers cannot work (keepalived 2.2.7 log line).
    if (cfg.unicastFaultNoPeer && cfg.unicastPeers.length === 0) res.faultReasons.push("Cannot use unicast without any peers");
    const fault = res.faultReasons.length > 0;
    if (fault && !runner.fsm.fault) runner.log.info(`entering FAULT: ${res.faultReasons.join(", ")}`);
    runner.setPriority(res.priority, fault);
  }

  #onNetEvent(e: NetEvent): void {
    if (e.kind === "link") {
      const before = this.#links.get(e.link.index);
      if (e.op === "del") this.#links.delete(e.link.index);
      else this.#links.set(e.link.index, e.link);
      if (before?.up !== (e.op === "del" ? false : e.link.up)) {
        this.d.log.info(`Netlink reports ${e.link.name} ${e.op === "del" ? "removed" : e.link.up ? "up" : "down"}`);
        this.#recomputeAll();
      }
      return;
    }
    const a = e.addr;
    const i = this.#addrs.findIndex((x) => x.index === a.index && x.address === a.address);
    if (e.op === "new" && i < 0) this.#addrs.push(a);
    if (e.op === "del") {
      if (i >= 0) this.#addrs.splice(i, 1);
      for (const r of this.#instances.values()) r.runner.vipDeleted(a.address);
      this.#static.addrDeleted(a.address, a.index);
    }
  }

  /** Relayed events: BFD session states for track_bfd. */
  onEvent(msg: Message): void {
    if (msg.type !== "bfdState") return;
    if (this.#trackers.setBfd(msg.name, msg.state === "Up")) {
      this.d.log.info(`BFD ${msg.name} is ${msg.state}`);
      this.#recomputeAll();
    }
  }

  /** Current instances, for dumps and tests. */
  instances(): VrrpInstanceRunner[] {
    return [...this.#instances.values()].map((r) => r.runner);
  }

  /** TERM: every instance stops (priority 0 if MASTER, VIPs removed unless -V), notify_stop runs. */
  async stop(): Promise<void> {
    this.#trackers.stop();
    this.#files.close?.();
    for (const r of this.#instances.values()) r.runner.stop(this.d.keepVipsOnStop);
    for (const g of this.#groups.values()) g.group.stopped();
    // Give notify_stop scripts a moment to be spawned before the process exits.
    await Bun.sleep(50);
    for (const p of this.#pumps.values()) p.close();
    for (const t of this.#transports.values()) t.close();
    this.#fifoReaders?.stop();
    for (const f of this.#fifos) f.close();
    this.#static.stop();
    this.#vmacs?.releaseAll();
    this.#rawAnnouncer.close();
    this.d.kernel.close();
  }
}
