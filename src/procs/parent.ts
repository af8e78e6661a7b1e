/**
 * The parent process: parse and validate the configuration, write the pid file, start the children the
 * configuration needs (VRRP, check, BFD), restart any that die, relay events between them, forward
 * signals (HUP reload, TERM stop, USR1/USR2 dumps) and hand each child its typed configuration slice.
 * It also sends the SMTP alerts (src/alert/) and serves /metrics (src/metrics/), so a slow mail server or
 * scraper never delays VRRP. It does no protocol work itself, so it has little that can fail.
 */
import type { CliOptions } from "../cli.ts";
import type { KeepalivedConfig } from "../config/model.ts";
import { runLifecycleScript } from "./lifecycle-scripts.ts";
import { loadConfig, type LoadResult, sliceFor } from "../config/index.ts";
import type { Message, Role } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import { removePidFile } from "../core/pidfile.ts";
import { dataInstance } from "../core/instance-files.ts";
import { type InstanceSetup, releaseInstance, warnRestartOnly } from "./instance.ts";
import { ParentLocalIgmp } from "./local-igmp.ts";
import { ReadFiles, saveConfigCopy } from "./config-save.ts";
import { childArgv, type EarlyChild, takeEarly } from "./prespawn.ts";
import { wantedRoles } from "./presend.ts";
import { ReloadDriver } from "./reload-driver.ts";
import { collectAfterLoad, configIdDefault, interfaceExists, logLoad } from "./common.ts";
import { Supervised } from "./supervise.ts";
import { childEnv } from "./tuning.ts";
import { sdNotify } from "../ffi/sd-notify.ts";
import { SigioWatcher } from "../ffi/sigio.ts";
import { Alerter } from "../alert/alerter.ts";
import { MetricsStore } from "../metrics/store.ts";
import { type MetricsServer, startMetricsServer } from "../metrics/server.ts";
import { writeDumpFile } from "../core/dumpfile.ts";
import { parentDataDump, parentDumpPath } from "./parent-dump.ts";
import { SnmpService } from "../snmp/service.ts";
import { DbusService } from "../dbus/service.ts";
import { BgpAnnouncer } from "../bgp/announcer.ts";
import { TunBgpNet } from "../bgp/devices.ts";
import { releaseOrphanedVips } from "./orphans.ts";
import { acceptedErrors, reloadRefusal } from "./reload-gate.ts";
import { applyProcessName, autoPriorityNotice } from "./sched.ts";
import { bfdRoles } from "./bfd-route.ts";
import type { Diagnostic } from "../config/index.ts";
import { ControlService } from "../control/service.ts";
import { InflowCollector } from "./inflow-gc.ts";

/** Signals a child receives as-is from the parent. */
const FORWARDED: NodeJS.Signals[] = ["SIGUSR1", "SIGUSR2", "SIGURG", "SIGWINCH"];

/** The running parent. */
export class Parent {
  #children = new Map<Role, Supervised>();
  /** Last bfdState per session and vrrpState per instance, replayed to a (re)started child. */
  readonly #lastState = new Map<string, Message>();
  #ready = new Set<Role>();
  #generation = 0;
  #config: KeepalivedConfig;
  /** process_name in force (sched.ts applyProcessName). */
  #name: string | null = null;
  #stopping = false;
  #onAllReady: (() => void) | undefined;
  readonly #alerter: Alerter;
  readonly #metrics = new MetricsStore();
  readonly #snmp: SnmpService;
  readonly #dbus: DbusService;
  #metricsServer: MetricsServer | undefined;
  #metricsListen = "";
  /** Readiness of the children's channels: SIGIO, so the parent needs no reactor thread and sleeps when idle. */
  readonly #watcher = new SigioWatcher();
  /** bgp_announce: the prefixes on our TUN devices (docs/bgp.md). */
  readonly #bgp: BgpAnnouncer;
  /** The control socket and `keepalived ctl` (src/control/). */
  readonly #control: ControlService;

  /** Errors the running configuration was accepted with (reload-gate.ts). */
  #accepted: Set<string>;
  /** The files the last reload read (config_save_dir). */
  #lastRead = new ReadFiles();
  /** HUP and the reload timer, reload_check_config, reload_file (reload-driver.ts). */
  readonly #reloads: ReloadDriver;
  readonly #igmp: ParentLocalIgmp;
  /** A full collection after every MiB the children sent (inflow-gc.ts). */
  readonly #inflow = new InflowCollector();

  constructor(
    readonly opts: CliOptions,
    readonly log: Logger,
    config: KeepalivedConfig,
    diagnostics: readonly Diagnostic[] = [],
    readonly instance: InstanceSetup = { createdDirs: [] },
    /** The VRRP child started before the parse (prespawn.ts): taken by the first VRRP start, else killed. */
    private early?: EarlyChild,
  ) {
    this.#config = config;
    this.#igmp = new ParentLocalIgmp(log, childEnv("vrrp", config));
    this.#accepted = acceptedErrors(diagnostics);
    this.#reloads = new ReloadDriver({ log, opts, global: () => this.#config.global, reload: () => this.reload() });
    this.#alerter = new Alerter(log, config);
    this.#snmp = new SnmpService(log, config, { snmp: opts.snmp, snmpSocket: opts.snmpSocket });
    const vrrp = (m: Message) => this.#children.get("vrrp")?.send(m);
    this.#dbus = new DbusService(log, {
      dump: (kind) => vrrp({ type: "dump", kind }),
      reload: () => this.reload(),
      sendGarp: (instance) => vrrp({ type: "garp", instance }),
    });
    this.#bgp = new BgpAnnouncer(new TunBgpNet(), log, config);
    this.#control = new ControlService({
      log,
      pidFile: opts.pidFile,
      configFile: opts.configFile,
      config: () => this.#config,
      generation: () => this.#generation,
      children: () =>
        [...this.#children].map(([role, c]) => ({
          role,
          pid: c.pid,
          ready: this.#ready.has(role),
          restarts: c.totalRestarts,
          startedAtMs: c.pid ? c.startedAtMs : null,
        })),
      send: (role, msg) => this.#children.get(role)?.send(msg) ?? false,
      load: () => this.#load(),
      reload: (r) => this.reload(r),
      pending: (gen) => (gen === this.#generation ? [...this.#children.keys()].filter((r) => !this.#ready.has(r)) : [...this.#children.keys()]),
    });
  }

  /** Reads the configuration file again (a reload), keeping what was read for config_save_dir. */
  #load(): LoadResult {
    this.#lastRead = new ReadFiles();
    const o = this.opts;
    const rf = this.#lastRead;
    return this.#reloads.reading(() =>
      loadConfig(o.configFile, { configId: o.configId ?? configIdDefault(), interfaceExists, allConfig: o.allConfig, onRead: rf.onRead })
    );
  }

  /** Roles the configuration and the command line ask for. */
  wantedRoles(config: KeepalivedConfig): Role[] {
    return wantedRoles(this.opts, config);
  }

  /** Starts the children; `onAllReady` runs once every started child has applied its configuration. */
  start(onAllReady?: () => void): void {
    this.#onAllReady = onAllReady;
    this.#generation = 1;
    this.#name = applyProcessName(this.#config.global.processNames.parent, this.#name, this.log);
    autoPriorityNotice(this.#config.global, this.log);
    const roles = this.wantedRoles(this.#config);
    if (roles.length === 0) {
      this.log.warn("the configuration needs no VRRP, checker or BFD process; running with no children");
    }
    for (const r of roles) this.#startChild(r);
    this.early = takeEarly(this.early, [], undefined);
    this.#maybeAllReady();
    this.#serveMetrics();
    this.#snmp.setConfig(this.#config);
    this.#dbus.setConfig(this.#config);
    // Signal handlers do not keep Bun's loop alive: with no child (a configuration with no VRRP, checker
    // or BFD section) the parent must still wait for the next HUP.
    setInterval(() => {}, 0x7fffffff);
    void this.#control.configure();
    process.on("SIGUSR1", () => this.dumpData());
    process.on("SIGHUP", () => void this.#reloads.request());
    this.#reloads.configured();
    process.on("SIGTERM", () => void this.stop(0));
    process.on("SIGINT", () => void this.stop(0));
    for (const s of FORWARDED) process.on(s, () => this.#forward(s));
  }

  #startChild(role: Role): void {
    const o = this.opts;
    const pidFile = role === "vrrp" ? o.vrrpPidFile : role === "check" ? o.checkersPidFile : o.bfdPidFile;
    const argv = childArgv(o, role);
    const env = role === "vrrp" ? (this.#igmp.note(this.#config), this.#igmp.env) : childEnv(role, this.#config);
    const early = role === "vrrp" ? takeEarly(this.early, argv, env) : undefined;
    if (role === "vrrp") this.early = undefined;
    let presented = early?.configSent === true; // generation 1's configuration went before this parent was built
    const child = new Supervised(
      { role, argv, pidFile, respawn: !o.dontRespawn, env },
      this.log,
      {
        onMessage: (r, m) => this.#onMessage(r, m),
        onGone: (r) => this.#onGone(r),
        onSpawned: (r) => {
          if (presented) presented = false;
          else this.#sendConfig(r, false);
          this.#replayStates(r);
        },
        onDied: (r) => {
          this.#bgp.childExited(r); // withdraw first: what the dead child reported no longer holds
          if (r === "vrrp") releaseOrphanedVips(this.#config, this.log, this.#watcher, o.dontReleaseVrrp);
        },
      },
      this.#watcher,
      undefined,
      this.#inflow.note,
    );
    this.#children.set(role, child);
    child.start(early);
  }

  /**
   * A (re)started child learns the last BFD session and VRRP instance states it follows (BFD_CHECK,
   * track_bfd, lvs_sync_daemon), instead of waiting for the next transition.
   */
  #replayStates(role: Role): void {
    const child = this.#children.get(role);
    if (!child || role === "bfd") return;
    for (const m of this.#lastState.values()) {
      if (m.type === "bfdState" ? bfdRoles(this.#config, m.name).includes(role) : role === "check") child.send(m);
    }
  }

  #sendConfig(role: Role, reload: boolean): void {
    if (role === "vrrp") this.#igmp.note(this.#config);
    this.#children.get(role)?.send({
      type: "config",
      generation: this.#generation,
      reload,
      slice: sliceFor(this.#config, role),
    });
  }

  #onMessage(role: Role, msg: Message): void {
    this.#metrics.onMessage(role, msg);
    this.#snmp.onMessage(role, msg);
    this.#dbus.onMessage(role, msg);
    this.#control.onMessage(role, msg);
    switch (msg.type) {
      case "ready":
        // A child announces itself with generation 0 when it starts; its slice was sent at its spawn.
        if (msg.generation === 0) {
          this.#control.childStarted(role);
          return;
        }
        if (msg.generation === this.#generation) {
          this.#ready.add(role);
          this.#maybeAllReady();
        }
        return;
      case "fatal":
        this.log.error(`${role} child reported a permanent error: ${msg.reason}. Terminating`);
        void this.stop(1);
        return;
      case "bfdState":
        this.#lastState.set(`bfd ${msg.name}`, msg);
        for (const r of bfdRoles(this.#config, msg.name)) this.#children.get(r)?.send(msg);
        return;
      case "vrrpState":
        this.#lastState.set(`vrrp ${msg.instance}`, msg);
        this.#children.get("check")?.send(msg);
        this.#alerter.onMessage(msg);
        this.#bgp.onMessage(msg);
        return;
      case "rsState":
      case "vsState":
        this.#alerter.onMessage(msg);
        this.#bgp.onMessage(msg);
        return;
      case "metrics":
      case "ctlSnapshot":
      case "ctlReply":
        return;
      default:
        this.log.error(`unexpected ${msg.type} message from the ${role} child; restarting it`);
        this.#children.get(role)?.signal("SIGKILL");
    }
  }

  #maybeAllReady(): void {
    if (!this.#onAllReady) return;
    for (const r of this.#children.keys()) if (!this.#ready.has(r)) return;
    const cb = this.#onAllReady;
    this.#onAllReady = undefined;
    sdNotify(`READY=1\nSTATUS=running: ${[...this.#children.keys()].join(", ") || "no"} children\nMAINPID=${process.pid}`);
    cb();
    collectAfterLoad(); // after READY: a full collection takes milliseconds, and nothing waits for it
  }

  #onGone(role: Role): void {
    this.#children.delete(role);
    this.#ready.delete(role);
    if (role === "vrrp") this.#igmp.restore();
    if (this.#stopping) return;
    if (this.opts.dontRespawn) {
      this.log.error(`${role} child is gone and respawn is disabled; stopping`);
      void this.stop(1);
    }
  }

  #forward(sig: NodeJS.Signals): void {
    for (const c of this.#children.values()) c.signal(sig);
  }

  /** Reads the configuration for a reload; undefined (logged) when it must not replace the running one. */
  #readForReload(pre?: LoadResult): LoadResult | undefined {
    let refusal: string | undefined;
    let r: LoadResult | undefined;
    try {
      r = pre ?? this.#load();
      logLoad(this.log, r.diagnostics);
      refusal = reloadRefusal(r, this.#accepted);
    } catch (e) {
      // Nothing a file holds may stop the daemon, not even a loader bug.
      refusal = `internal error while reading it: ${(e as Error).stack ?? e}`;
    }
    if (refusal === undefined) return r;
    r = undefined;
    collectAfterLoad(); // what a refused 5 MB file left behind goes now, not at some later allocation
    this.log.error(`reload of ${this.opts.configFile} refused, keeping the running configuration: ${refusal}`);
    sdNotify("READY=1\nSTATUS=reload failed; running the previous configuration");
    return undefined;
  }

  /**
   * HUP: re-read the configuration (or apply `pre`, loaded by keepalived ctl); one with any error changes
   * nothing (reload-gate.ts). Returns whether the configuration was taken.
   */
  reload(pre?: LoadResult): boolean {
    if (this.#stopping) return false;
    this.log.info("Reloading configuration");
    sdNotify("RELOADING=1\nSTATUS=reloading configuration");
    const r = this.#readForReload(pre);
    if (!r) return false;
    warnRestartOnly(this.#config.global, r.config.global, this.log);
    this.#config = r.config;
    this.#name = applyProcessName(r.config.global.processNames.parent, this.#name, this.log);
    this.#accepted = acceptedErrors(r.diagnostics);
    // States of instances and sessions the new configuration dropped are not replayed to a later child.
    const names = new Set([
      ...r.config.vrrp.instances.map((i) => `vrrp ${i.name}`),
      ...r.config.bfd.instances.map((b) => `bfd ${b.name}`),
    ]);
    for (const k of [...this.#lastState.keys()]) if (!names.has(k)) this.#lastState.delete(k);
    this.#alerter.setConfig(r.config);
    this.#bgp.setConfig(r.config);
    this.#serveMetrics();
    this.#snmp.setConfig(r.config);
    this.#dbus.setConfig(r.config, true);
    this.#control.reloaded();
    void this.#control.configure();
    this.#generation++;
    saveConfigCopy(r.config.global.configSaveDir, this.#generation - 1, this.#lastRead, this.log);
    this.#reloads.configured();
    this.#ready.clear();
    const wanted = new Set(this.wantedRoles(r.config));
    for (const [role, child] of [...this.#children]) {
      if (!wanted.has(role)) {
        this.log.info(`${role} is no longer configured; stopping its child`);
        void child.stop(this.#childWaitMs());
      } else this.#sendConfig(role, true);
    }
    for (const role of wanted) if (!this.#children.has(role)) this.#startChild(role);
    collectAfterLoad();
    sdNotify("READY=1\nSTATUS=configuration reloaded");
    return true;
  }

  /** Starts, moves or stops the /metrics endpoint to match `metrics_listen`. */
  #serveMetrics(): void {
    const l = this.#config.global.metricsListen;
    const key = l ? `${l.host}|${l.port}` : "";
    if (key === this.#metricsListen) return;
    this.#metricsServer?.stop();
    this.#metricsServer = undefined;
    this.#metricsListen = key;
    if (!l) return;
    try {
      this.#metricsServer = startMetricsServer(l, () => this.renderMetrics(), this.log);
    } catch (e) {
      this.log.error(`${(e as Error).message}; metrics are off`);
    }
  }

  /** The /metrics text now. */
  renderMetrics(): string {
    const children = [...this.#children].map(([role, c]) => ({
      role,
      up: c.pid !== undefined,
      restarts: c.totalRestarts,
      pid: c.pid,
      droppedMessages: c.inbox.dropped,
    }));
    const processes = [{ role: "parent", pid: process.pid }, ...children.flatMap((c) => (c.pid === undefined ? [] : [{ role: c.role, pid: c.pid }]))];
    const compat = this.#config?.global.metricsCompat ?? [];
    return this.#metrics.render(children, this.#alerter.queue ? this.#alerter.stats : undefined, { compat, processes });
  }

  /** USR1: the parent's own data dump (the children write theirs). */
  dumpData(): void {
    const g = this.#config.global;
    const l = g.metricsListen;
    const q = this.#alerter.queue;
    const text = parentDataDump({
      configFile: this.opts.configFile,
      generation: this.#generation,
      pid: process.pid,
      global: g,
      children: [...this.#children].map(([role, c]) => ({
        role,
        pid: c.pid,
        ready: this.#ready.has(role),
        restarts: c.totalRestarts,
        faulty: role === "vrrp" ? this.#faulty() : undefined,
      })),
      smtp: q ? { target: q.target, stats: q.stats } : null,
      bgp: this.#bgp.states(),
      metricsUrl: l && this.#metricsServer ? `http://${l.host.includes(":") ? `[${l.host}]` : l.host}:${this.#metricsServer.port}/metrics` : null,
    });
    try {
      writeDumpFile(parentDumpPath(g.stateDumpFile, dataInstance(g)), text);
    } catch (e) {
      this.log.error(`dump: ${(e as Error).message}`);
    }
  }

  /** VRRP instances whose last reported state is FAULT. */
  #faulty(): string[] {
    return [...this.#lastState.values()].flatMap((m) => (m.type === "vrrpState" && m.state === "FAULT" ? [m.instance] : []));
  }

  #childWaitMs(): number {
    return this.#config.global.childWaitTimeMs || 5000;
  }

  /** TERM: stop every child, remove pid files, exit with `status`. */
  async stop(status: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.log.info("Stopping");
    sdNotify("STOPPING=1\nSTATUS=stopping");
    this.#bgp.close(); // withdraw before the children release their addresses
    await Promise.all([...this.#children.values()].map((c) => c.stop(this.#childWaitMs())));
    this.#igmp.restore();
    await runLifecycleScript("shutdown", this.#config.global, this.log);
    this.#metricsServer?.stop();
    this.#snmp.stop();
    await this.#dbus.stop();
    this.#control.close();
    this.#alerter.close();
    this.#reloads.close();
    removePidFile(this.opts.pidFile);
    releaseInstance(this.instance);
    this.log.info("Stopped");
    process.exit(status);
  }
}

export { childArgs, claimPidFile, facilityName } from "./parent-args.ts";
