/**
 * The check child's runtime (keepalived's healthcheckers process): builds one VsRunner per
 * virtual server, hands the whole desired IPVS table to the LvsSink after changes (coalesced to
 * one table per loop turn), follows vrrpState (ha_suspend) and bfdState (BFD_CHECK) messages,
 * applies reloads keeping unchanged real servers and their checker state, writes the USR1 dump,
 * and on stop runs omega notifications and removes its IPVS entries unless -I was given. Under
 * nftables_ipvs it hands out the groups' fwmarks and keeps the nftables maps (nft-ipvs.ts) in step
 * with the configuration, before the IPVS table that uses them.
 */
import { networkInterfaces } from "node:os";
import type { CheckerView } from "../metrics/check-samples.ts";
import type { ScriptSpec, VirtualServer } from "../config/model.ts";
import type { CheckSlice } from "../config/slice.ts";
import type { BfdStateName, DumpKind, Message } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import { defaultScriptUser, type UserEntry } from "../core/script.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { planChecker } from "./build.ts";
import { dumpPath, writeDumpFile } from "../core/dumpfile.ts";
import { checkDumpLines } from "../dump/ka-check.ts";
import { readTrackFile, type VsLive } from "../dump/ka-check-live.ts";
import { dataInstance } from "../core/instance-files.ts";
import { FileWatchHub } from "./file-watch.ts";
import type { LvsSink } from "./lvs.ts";
import { LvsFifos, resolveScript, type RunNotify, scriptRunner } from "./notify.ts";
import { describeChanges, type DesiredService } from "./table.ts";
import { vsIdentity, VsRunner } from "./vs-runner.ts";
import { meaningKey } from "../config/meaning.ts";
import type { ChildCommand } from "../core/control-proto.ts";
import type { CheckSnap } from "../core/control-state.ts";
import { applyOverrides, checkSnapshot } from "./control.ts";
import { IpvsNft } from "./nft-ipvs.ts";
import { ipvsNftShape, marksFromKernel, planFwmarks } from "./nft-ipvs-rules.ts";

/** What the runtime is given by the child process. */
export interface CheckRuntimeDeps {
  log: Logger;
  sched: Scheduler;
  watcher: FdWatcher;
  lvs: LvsSink;
  /** -I: leave IPVS entries in place on stop. */
  keepIpvsOnStop: boolean;
  /** Runs notify scripts. @default the shared script runner */
  runNotify?: RunNotify;
  /** Addresses configured on this host (ha_suspend). @default os.networkInterfaces() */
  localAddresses?: () => Set<string>;
  /** Sends rsState / vsState to the parent (SMTP alerts, metrics). @default nothing sent */
  send?: (msg: Message) => void;
  /** The nftables_ipvs writer. @default one on a netfilter netlink socket, opened when first needed */
  nft?: IpvsNft;
  /** Where USR1 writes. @default /tmp/keepalived_check.data */
  dumpPath?: string;
  random?: () => number;
}

/** How often ha_suspend looks at the local addresses, ms. */
const HA_SUSPEND_POLL_MS = 2000;

/** Addresses of every local interface. */
export function hostAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address.toLowerCase());
  }
  return out;
}

/** The check child's state. */
export class CheckRuntime {
  readonly #vs = new Map<string, VsRunner>();
  readonly #bfd = new Map<string, BfdStateName>();
  readonly #fifos: LvsFifos;
  readonly #hub: FileWatchHub;
  readonly #run: RunNotify;
  #config: CheckSlice | undefined;
  #scriptUser: UserEntry = { name: "root", uid: 0, gid: 0 };
  #table: DesiredService[] = [];
  readonly #nft: IpvsNft;
  /** nftables_ipvs: the groups' fwmarks, and the next one to hand out (undefined: start_fwmark). */
  #marks: ReadonlyMap<string, number> = new Map();
  #nextMark: number | undefined;
  #flush: TimerHandle | undefined;
  #haTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(readonly d: CheckRuntimeDeps) {
    this.#fifos = new LvsFifos(d.log);
    this.#hub = new FileWatchHub(d.watcher, d.log);
    this.#run = d.runNotify ?? scriptRunner(d.log);
    this.#nft = d.nft ?? new IpvsNft(d.log);
    this.#nft.retryOn(d.sched);
  }

  /** nftables_ipvs: the fwmark of each group and protocol (autoFwmarkKey), for tests and dumps. */
  get fwmarks(): ReadonlyMap<string, number> {
    return this.#marks;
  }

  /** The last table handed to the LVS sink. */
  get table(): readonly DesiredService[] {
    return this.#table;
  }

  /** The runner of a VS by its log name ("[203.0.113.10]:tcp:80"), for tests and dumps. */
  vs(name: string): VsRunner | undefined {
    return [...this.#vs.values()].find((v) => v.name === name);
  }

  /** Per-checker counters of every virtual server, for the metrics report. */
  checkerViews(): CheckerView[] {
    return [...this.#vs.values()].flatMap((v) => v.checkerViews());
  }

  /** Applies a configuration (first start or reload). */
  apply(c: CheckSlice, reload: boolean): void {
    this.#config = c;
    const su = c.global.scriptUser;
    const u = defaultScriptUser(su ? { user: su.user, group: su.group ?? undefined } : undefined);
    if (typeof u === "string") this.d.log.error(`script_user: ${u}; scripts run as root`);
    else this.#scriptUser = u;
    this.#fifos.configure(c);
    const wanted = new Map(c.check.virtualServers.map((v) => [vsIdentity(v), v]));
    for (const [id, run] of [...this.#vs]) {
      if (wanted.has(id)) continue;
      this.d.log.info(`VS ${run.name} removed from the configuration`);
      run.stop(false);
      this.#vs.delete(id);
    }
    for (const [id, cfg] of wanted) {
      const run = this.#vs.get(id);
      if (run) run.reconfigure(cfg);
      else this.#vs.set(id, new VsRunner(cfg, this.#vsDeps(c)));
    }
    this.d.log.info(
      `${reload ? "Reloaded" : "Loaded"} configuration: ${this.#vs.size} virtual server(s), ${this.#countRs()} real server(s)`,
    );
    if (this.#overrides) applyOverrides([...this.#vs.values()], this.#overrides);
    this.#applyFwmarks(c);
    this.d.lvs.settings?.configure(c.global);
    this.#checkHaSuspend();
    this.#flushTable();
  }

  /** nftables_ipvs: fwmarks for the groups (kept across reloads, or read from a previous child's maps), then the maps. */
  #applyFwmarks(c: CheckSlice): void {
    const shape = ipvsNftShape(c.global.nftables);
    const { virtualServers: vss, virtualServerGroups: groups } = c.check;
    if (shape && this.#nextMark === undefined) this.#marks = marksFromKernel(vss, groups, this.#nft.read(shape));
    const plan = shape ? planFwmarks(vss, groups, this.#marks, this.#nextMark ?? c.global.nftables.ipvsStartFwmark) : undefined;
    this.#marks = plan?.marks ?? new Map();
    if (plan) this.#nextMark = plan.next;
    this.#nft.configure(shape, plan?.elems ?? []);
  }

  #countRs(): number {
    let n = 0;
    for (const v of this.#vs.values()) n += v.cfg.realServers.length;
    return n;
  }

  #vsDeps(c: CheckSlice) {
    const config = () => this.#config ?? c;
    const scriptUser = () => this.#scriptUser;
    return {
      log: this.d.log,
      sched: this.d.sched,
      hub: this.#hub,
      plan: (vs: Parameters<typeof planChecker>[0], rs: Parameters<typeof planChecker>[1], i: number) =>
        planChecker(vs, rs, rs.checkers[i]!, {
          config: this.#config ?? c,
          watcher: this.d.watcher,
          scriptUser: this.#scriptUser,
          sched: this.d.sched,
        }),
      runScript: (s: ScriptSpec | null, why: string) => this.#runScript(s, why),
      fifo: (line: string) => this.#fifos.write(line),
      bfdState: (name: string) => this.#bfd.get(name),
      changed: () => this.#scheduleFlush(),
      send: (msg: Message) => this.d.send?.(msg),
      get rsInitNotifies() {
        return config().global.rsInitNotifies;
      },
      planContext: () => {
        const g = config().global;
        return meaningKey([
          config().check.ssl,
          config().vrrp.trackFiles,
          scriptUser(),
          g.checkerLogAllFailures,
        ]);
      },
      ...(this.d.random ? { random: this.d.random } : {}),
    };
  }

  #runScript(s: ScriptSpec | null, why: string): void {
    if (!s || !this.#config) return;
    const r = resolveScript(s, this.#config, this.d.log);
    if (r) this.#run(r, why);
  }

  #scheduleFlush(): void {
    if (this.#flush || this.#stopped) return;
    this.#flush = this.d.sched.soon(() => {
      this.#flush = undefined;
      this.#flushTable();
    });
  }

  #flushTable(): void {
    if (this.#stopped) return;
    const groups = this.#config?.check.virtualServerGroups ?? [];
    const next: DesiredService[] = [];
    for (const v of this.#vs.values()) next.push(...v.table(groups, this.#marks));
    // Only with -D: the description is O(real servers) in strings and Maps on every change.
    if (this.d.log.opts.detail) { for (const line of describeChanges(this.#table, next)) this.d.log.debug(`IPVS: ${line}`); }
    this.#table = next;
    try {
      this.d.lvs.apply(next);
    } catch (e) {
      this.d.log.error(`IPVS: cannot apply the table: ${(e as Error).message}`);
    }
  }

  #checkHaSuspend(): void {
    const any = [...this.#vs.values()].some((v) => v.cfg.haSuspend);
    this.d.sched.cancel(this.#haTimer);
    this.#haTimer = undefined;
    if (!any || this.#stopped) return;
    const local = (this.d.localAddresses ?? hostAddresses)();
    for (const v of this.#vs.values()) {
      if (!v.cfg.haSuspend || v.cfg.kind !== "address" || v.cfg.address === null) continue;
      v.setSuspended(!local.has(v.cfg.address.toLowerCase()));
    }
    this.#haTimer = this.d.sched.after(HA_SUSPEND_POLL_MS, () => this.#checkHaSuspend());
  }

  /** vrrpState (ha_suspend: the VIP may have come or gone) and bfdState (BFD_CHECK). */
  onEvent(msg: Message): void {
    if (msg.type === "bfdState") {
      this.#bfd.set(msg.name, msg.state);
      for (const v of this.#vs.values()) v.bfd(msg.name, msg.state);
    } else if (msg.type === "vrrpState") {
      this.d.lvs.settings?.vrrpState(msg.instance, msg.state);
      this.#checkHaSuspend();
    }
  }

  /** Operator overrides from keepalived ctl (the complete set); they survive reloads only when resent. */
  control(cmd: ChildCommand): { ok: boolean; message: string; changed?: boolean } {
    if (cmd.op !== "overrides") return { ok: false, message: `the check child takes no ${cmd.op} command` };
    this.#overrides = cmd;
    return applyOverrides([...this.#vs.values()], cmd);
  }

  #overrides: Extract<ChildCommand, { op: "overrides" }> | undefined;

  /** Status of every virtual and real server for keepalived ctl. */
  snapshot(): CheckSnap {
    return checkSnapshot([...this.#vs.values()], this.#config?.check.virtualServerGroups ?? [], this.d.lvs.programming, this.#marks);
  }

  /** The dump text: keepalived's sections (src/dump/ka-check.ts), then ours (checker results, desired IPVS table). */
  dumpText(): string {
    const c = this.#config;
    const lines: string[] = [];
    if (c) {
      const runners = new Map([...this.#vs.values()].map((v) => [v.cfg, v]));
      const groups = c.check.virtualServerGroups;
      // One view per VS for the whole dump (the checker section asks once per checker).
      const seen = new Map<VirtualServer, VsLive | undefined>();
      const live = (v: VirtualServer): VsLive | undefined => {
        if (!seen.has(v)) seen.set(v, runners.get(v)?.live(groups));
        return seen.get(v);
      };
      lines.push(...checkDumpLines(c, {
        vs: live,
        trackFileValue: (name) => readTrackFile(c.vrrp.trackFiles.find((t) => t.name === name)?.path ?? null),
      }));
    }
    lines.push(`------< Checker results >------`, ` IPVS: ${this.d.lvs.programming ? "programmed" : "not programmed (no IPVS)"}`);
    const n = this.#nft.counts;
    if (n.failures) lines.push(` nftables_ipvs: ${n.failures} failed transaction(s), ${n.retries} retries${this.#nft.pending ? ", retry pending" : ""}`);
    for (const v of this.#vs.values()) lines.push(...v.ourLines());
    lines.push(`------< IPVS table (desired) >------`);
    for (const s of this.#table) {
      lines.push(
        ` ${s.fwmark !== undefined ? `FWM ${s.fwmark}` : `${s.protocol} [${s.addr}]:${s.port}`} ${s.sched}`,
      );
      for (const dd of s.dests) lines.push(`  -> [${dd.addr}]:${dd.port} ${dd.fwd} weight ${dd.weight}`);
    }
    return lines.join("\n") + "\n";
  }

  /** USR1 writes the data dump; other kinds are not produced by this child. */
  dump(kind: DumpKind, to?: string): void {
    if (kind !== "data") return;
    const path = to ?? this.d.dumpPath ??
      dumpPath("data", "check", this.#config?.global.stateDumpFile ?? null, this.#config ? dataInstance(this.#config.global) : null);
    try {
      writeDumpFile(path, this.dumpText());
    } catch (e) {
      this.d.log.error((e as Error).message);
    }
  }

  /** Stops checkers, runs omega notifications, removes IPVS entries unless -I. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.d.sched.cancel(this.#flush);
    this.d.sched.cancel(this.#haTimer);
    for (const v of this.#vs.values()) v.stop(v.cfg.omega);
    // The sync daemon always stops; lvs_flush_on_stop applies even with -I (as keepalived's).
    const flushedAll = this.d.lvs.settings?.stop() ?? false;
    const flushVs = this.#config?.global.lvsFlushOnStop === "vs";
    if (!flushedAll && (!this.d.keepIpvsOnStop || flushVs)) {
      try {
        this.d.lvs.cleanup();
      } catch (e) {
        this.d.log.error(`IPVS: cleanup failed: ${(e as Error).message}`);
      }
    }
    // keepalived deletes its nftables_ipvs tables on stop, -I or not.
    this.#nft.stop();
    this.#hub.close();
    this.#fifos.close();
  }
}
