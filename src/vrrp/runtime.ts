/**
 * The VRRP child's runtime: builds the interface model from rtnetlink, opens one transport per
 * (interface, family, AH) and demultiplexes adverts to instances by VRID, runs the trackers
 * (track_interface, vrrp_script) into effective priorities, follows link and address events (interface
 * down -> FAULT, a VIP deleted by someone else while MASTER -> restored), and applies reloads without
 * flapping: an instance whose configuration did not change keeps its state and VIPs.
 */
import type { KeepalivedConfig, VrrpInstance, VrrpScript } from "../config/model.ts";
import type { Message } from "../core/ipc.ts";
import { RateLimitedLog, type Logger } from "../core/log.ts";
import type { Scheduler } from "../core/scheduler.ts";
import { defaultScriptUser, resolveUser, scriptInsecurity } from "../core/script.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { effectivePriority, type Tracker } from "./priority.ts";
import { Announcer } from "./garp.ts";
import { VrrpInstanceRunner } from "./instance.ts";
import type { AddrInfo, LinkInfo, NetEvent, NetKernel } from "./netkernel.ts";
import { Notifier, NotifyFifo, type NotifyTargets, type ResolvedScript } from "./notify.ts";
import { ScriptTracker } from "./track-script.ts";
import { VrrpTransport } from "./transport.ts";
import { runScript } from "../core/script.ts";
import type { ScriptSpec } from "../config/model.ts";
import type { VrrpState } from "./fsm.ts";

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
}

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
  readonly #transports = new Map<string, VrrpTransport>();
  readonly #instances = new Map<string, Running>();
  readonly #scripts = new Map<string, { tracker: ScriptTracker; json: string }>();
  readonly #announcer = new Announcer();
  readonly #bad: RateLimitedLog;
  #notifier: Notifier;
  #fifos: NotifyFifo[] = [];
  #config: KeepalivedConfig | undefined;
  #subscribed = false;

  constructor(readonly d: VrrpRuntimeDeps) {
    this.#bad = new RateLimitedLog(d.log);
    this.#notifier = new Notifier(d.log, []);
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
    this.#setupScripts(c);
    const wanted = new Map(c.vrrp.instances.map((i) => [i.name, i]));
    for (const [name, r] of [...this.#instances]) {
      const cfg = wanted.get(name);
      if (cfg && configKey(cfg) === r.json) continue; // unchanged: keeps state and VIPs
      this.d.log.info(`(${name}) ${cfg ? "configuration changed; restarting instance" : "removed from configuration; stopping"}`);
      r.runner.stop();
      this.#instances.delete(name);
    }
    for (const cfg of c.vrrp.instances) {
      if (this.#instances.has(cfg.name)) continue;
      this.#startInstance(cfg, c);
    }
    this.#closeUnusedTransports();
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
    const key = `${link.index}/${family}/${ah ? "ah" : "vrrp"}/${src}`;
    let t = this.#transports.get(key);
    if (!t) {
      try {
        t = new VrrpTransport({
          family, ifname: link.name, ifindex: link.index, src, ah, unicastTtl: cfg.unicastTtl,
          group: cfg.unicastPeers.length ? undefined : cfg.mcastDstIp ?? (family === "ipv4" ? "224.0.0.18" : "ff02::12"),
        });
      } catch (e) {
        this.d.log.error(`(${cfg.name}) cannot open VRRP sockets on ${link.name}: ${(e as Error).message}`);
        return;
      }
      const tr = t;
      this.#transports.set(key, tr);
      this.d.watcher.add(tr.rx.fd, () => tr.drain((p) => this.#dispatch(key, p), (e) => this.#bad.warn(`rx:${key}`, `bad datagram on ${link.name}: ${e.reason}`)));
    }
    const transport = t;
    const runner = new VrrpInstanceRunner(cfg, { ifindex: link.index, ifname: link.name, mac: link.mac, src }, {
      sched: this.d.sched,
      log: this.d.log,
      badPackets: this.#bad,
      kernel: this.d.kernel,
      announcer: this.#announcer,
      notifier: () => this.#notifier,
      send: (data, dst) => transport.send(data, dst),
      report: (state, priority) => this.#report(cfg, state, priority),
      ifindex: (name) => this.#linkByName(name)?.index ?? 0,
    }, this.#targets(cfg, c), cfg.priority);
    this.#instances.set(cfg.name, { runner, key, json: configKey(cfg) });
    runner.start();
  }

  #dispatch(key: string, p: import("./transport.ts").RxPacket): void {
    const vrid = p.ahDatagram ? p.payload[24 + 1] : p.payload[1];
    for (const r of this.#instances.values()) {
      if (r.key === key && r.runner.cfg.vrid === vrid) r.runner.receive(p);
    }
  }

  #report(cfg: VrrpInstance, state: VrrpState, priority: number): void {
    if (state === "INIT") return;
    this.d.send({ type: "vrrpState", instance: cfg.name, state, priority: cfg.priority, effectivePriority: priority });
  }

  #closeUnusedTransports(): void {
    const used = new Set([...this.#instances.values()].map((r) => r.key));
    for (const [key, t] of [...this.#transports]) {
      if (used.has(key)) continue;
      this.d.watcher.remove(t.rx.fd);
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

  #targets(cfg: VrrpInstance, c: KeepalivedConfig): NotifyTargets {
    const n = cfg.notify;
    return {
      kind: "INSTANCE", name: cfg.name, master: this.#resolve(n.master, c), backup: this.#resolve(n.backup, c),
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
    this.#notifier = new Notifier(this.d.log, this.#fifos);
  }

  #setupScripts(c: KeepalivedConfig): void {
    const wanted = new Map<string, VrrpScript>(c.vrrp.scripts.map((s) => [s.name, s]));
    for (const [name, s] of [...this.#scripts]) {
      const w = wanted.get(name);
      if (w && JSON.stringify({ ...w, src: undefined }) === s.json) continue; // unchanged: keeps its state
      s.tracker.stop();
      this.#scripts.delete(name);
    }
    for (const s of c.vrrp.scripts) {
      if (this.#scripts.has(s.name)) continue;
      const spec = this.#resolve(s.script, c);
      if (!spec) continue;
      const tracker = new ScriptTracker(
        {
          name: s.name, argv: spec.argv, uid: spec.uid, gid: spec.gid, intervalMs: s.intervalMs,
          timeoutMs: s.timeoutMs ?? s.intervalMs, rise: s.rise, fall: s.fall, initFail: s.initFail,
        },
        this.d.sched,
        (argv, uid, gid, timeoutMs) => runScript({ argv: [...argv], uid, gid }, { timeoutMs }),
        (up) => {
          this.d.log.info(`VRRP_Script(${s.name}) ${up ? "succeeded" : "failed"}`);
          this.#recomputeAll();
        },
      );
      this.#scripts.set(s.name, { tracker, json: JSON.stringify({ ...s, src: undefined }) });
      tracker.start();
    }
  }

  /** The trackers of an instance in their current state. */
  #trackers(cfg: VrrpInstance): Tracker[] {
    const out: Tracker[] = [];
    const ifname = cfg.interface;
    const own = ifname ? this.#linkByName(ifname) : undefined;
    if (own && !cfg.dontTrackPrimary) out.push({ kind: "interface", name: own.name, weight: 0, reverse: false, up: own.up });
    for (const t of cfg.trackInterfaces) {
      const l = this.#linkByName(t.name);
      out.push({ kind: "interface", name: t.name, weight: t.weight ?? 0, reverse: t.reverse, up: l?.up ?? false });
    }
    for (const t of cfg.trackScripts) {
      const s = this.#scripts.get(t.name);
      const def = this.#config?.vrrp.scripts.find((x) => x.name === t.name);
      out.push({
        kind: "script", name: t.name, weight: t.weight ?? def?.weight ?? 0, reverse: t.reverse || (def?.weightReverse ?? false),
        up: s?.tracker.up ?? false,
      });
    }
    return out;
  }

  #recomputeAll(): void {
    for (const r of this.#instances.values()) {
      const res = effectivePriority(r.runner.cfg.priority, this.#trackers(r.runner.cfg));
      if (res.fault && !r.runner.fsm.fault) r.runner.log.info(`entering FAULT: ${res.faultReasons.join(", ")}`);
      r.runner.setPriority(res.priority, res.fault);
    }
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
    }
  }

  /** Relayed events (BFD state for track_bfd is not wired yet). */
  onEvent(_msg: Message): void {}

  /** Current instances, for dumps and tests. */
  instances(): VrrpInstanceRunner[] {
    return [...this.#instances.values()].map((r) => r.runner);
  }

  /** TERM: every instance stops (priority 0 if MASTER, VIPs removed unless -V), notify_stop runs. */
  async stop(): Promise<void> {
    for (const s of this.#scripts.values()) s.tracker.stop();
    for (const r of this.#instances.values()) r.runner.stop(this.d.keepVipsOnStop);
    // Give notify_stop scripts a moment to be spawned before the process exits.
    await Bun.sleep(50);
    for (const t of this.#transports.values()) {
      this.d.watcher.remove(t.rx.fd);
      t.close();
    }
    for (const f of this.#fifos) f.close();
    this.#announcer.close();
    this.d.kernel.close();
  }
}
