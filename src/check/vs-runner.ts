/**
 * One virtual server at run time (keepalived.conf(5) virtual_server): its real servers and their
 * checker runners, the topology evaluation after each checker change, and the reports of what
 * changed: log lines, notify_up / notify_down and quorum_up / quorum_down scripts, LVS notify FIFO
 * lines, sorry server switches. Initial states are reported to scripts and FIFOs only with
 * rs_init_notifies. On reload, real servers whose configuration is unchanged keep their runners.
 */
import type { RealServer, ScriptSpec, VirtualServer, VirtualServerGroup } from "../config/model.ts";
import { rsName, vsName } from "../alert/names.ts";
import type { BfdStateName, Message } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler } from "../core/scheduler.ts";
import type { CheckerPlan } from "./build.ts";
import { type CheckResult, fail } from "./checkers/types.ts";
import { bfdResult, fileResult } from "./external-results.ts";
import type { FileWatchHub } from "./file-watch.ts";
import { CheckerRunner, type CheckerRunnerOptions, type CheckerStatus } from "./runner.ts";
import type { CheckerView } from "../metrics/check-samples.ts";
import { type AutoFwmarks, type DesiredService, vsTable } from "./table.ts";
import { type RsOverrides, sameOverrides, withoutDrained } from "./overrides.ts";
import { evaluateRsChange, evaluateVs, fifoRsLine, fifoVsLine, fmtRs, fmtVs, rsKey, rsPort, type TopoEvent, type VsStatus } from "./topology.ts";
import type { RsLive, VsLive } from "../dump/ka-check-live.ts";
import { meaningKey } from "../config/meaning.ts";
import { SENTENCE_KIND, type SentenceNames } from "./sentences.ts";

/** keepalived's checker names in its sentences ("TCP_CHECK on service …"), for the checkers whose sentences we speak. */

/** keepalived's sentence for a real server entering or leaving IPVS (weight 0 under inhibit_on_failure). */
export function ipvsSentence(up: boolean, rs: string, vs: string, inhibit: boolean): string {
  if (inhibit) return `${up ? "Enabling" : "Disabling"} service ${rs} of VS ${vs}`;
  return up ? `Adding service ${rs} to VS ${vs}` : `Removing service ${rs} from VS ${vs}`;
}

/** What a VS runner is given. */
export interface VsDeps {
  log: Logger;
  sched: Scheduler;
  hub: FileWatchHub;
  /** Plans one checker. */
  plan(vs: VirtualServer, rs: RealServer, index: number): CheckerPlan;
  /** Runs a configured script (notify / quorum); `why` names it in logs. */
  runScript(s: ScriptSpec | null, why: string): void;
  /** Writes one LVS notify FIFO line. */
  fifo(line: string): void;
  /** Last known state of a BFD session. */
  bfdState(name: string): BfdStateName | undefined;
  /** The VS's table entries may have changed. */
  changed(): void;
  /** Reports rsState / vsState to the parent. */
  send(msg: Message): void;
  /** Global rs_init_notifies, read at each event (it may change on reload). */
  readonly rsInitNotifies: boolean;
  /** Settings outside the RS block that shape its checkers (ssl, track files, script user, logging). */
  planContext(): string;
  random?: () => number;
}

interface RsRun {
  cfg: RealServer;
  /** The checker change that last moved this real server, for the UP/DOWN line (kept apart: no string per server). */
  lastPlan?: CheckerPlan;
  lastReason?: string;
  runners: CheckerRunner[];
  plans: CheckerPlan[];
  unsubscribe: (() => void)[];
}

/** Identity of a VS across reloads. */
export function vsIdentity(vs: VirtualServer): string {
  return `${vs.kind}|${vs.address}|${vs.port}|${vs.fwmark}|${vs.group}|${vs.protocol}`;
}

/**
 * What must stay equal, besides the real server's own block, for a real server to keep its checkers
 * across a reload: what it inherits from its VS and the settings outside that shape its checkers.
 */
function inheritedKey(vs: VirtualServer, context: string): string {
  return meaningKey({ port: vs.port, protocol: vs.protocol, vhost: vs.virtualhost, alpha: vs.alpha, context });
}

/** A virtual server with its real servers' checkers. */
export class VsRunner {
  status: VsStatus | undefined;
  suspended = false;
  #rs = new Map<string, RsRun>();
  #building = false;
  /**
   * inheritedKey() when the running checkers were planned. No key per real server is kept (10,000 of
   * them held 6 MiB): a reload compares the running block with the new one by meaning.
   */
  #inherited = "";
  /** Operator overrides (keepalived ctl drain / weight), by RS display name (src/check/control.ts). */
  #ctl: RsOverrides = { drained: new Set(), weights: new Map() };

  constructor(public cfg: VirtualServer, readonly d: VsDeps) {
    this.reconfigure(cfg);
  }

  /** The VS in logs: "[203.0.113.10]:tcp:80". */
  get name(): string {
    return fmtVs(this.cfg);
  }

  /** Applies a (new) configuration of this VS; unchanged real servers keep state and timers. */
  reconfigure(cfg: VirtualServer): void {
    this.cfg = cfg;
    this.#building = true;
    const inherited = inheritedKey(cfg, this.d.planContext());
    const same = inherited === this.#inherited;
    this.#inherited = inherited;
    const wanted = new Map(cfg.realServers.map((rs) => [rsKey(cfg, rs), rs]));
    for (const [key, run] of [...this.#rs]) {
      const w = wanted.get(key);
      if (w && same && (w === run.cfg || meaningKey(w) === meaningKey(run.cfg))) {
        run.cfg = w;
        continue;
      }
      this.d.log.info(
        `RS ${fmtRs(cfg, run.cfg)} of VS ${this.name}: ${w ? "configuration changed, restarting its checkers" : "removed"}`,
      );
      this.#stopRs(run);
      this.#rs.delete(key);
    }
    for (const [key, rs] of wanted) if (!this.#rs.has(key)) this.#rs.set(key, this.#startRs(rs));
    this.#building = false;
    this.evaluate();
  }

  #startRs(rs: RealServer): RsRun {
    const run: RsRun = { cfg: rs, runners: [], plans: [], unsubscribe: [] };
    rs.checkers.forEach((_, i) => {
      const plan = this.d.plan(this.cfg, rs, i);
      const c = rs.checkers[i];
      const kind = SENTENCE_KIND[c?.type ?? ""];
      if (kind) this.d.log.info(`Activating healthchecker for service ${fmtRs(this.cfg, rs)} for VS ${this.name}`);
      const script = c?.type === "MISC_CHECK" ? c.script?.argv[0] : undefined;
      const r = new CheckerRunner(new RunnerOptions(this, run, plan, kind, script));
      run.runners.push(r);
      run.plans.push(plan);
      r.start();
      if (this.suspended) r.suspend();
      this.#feedPush(run, plan, r);
    });
    return run;
  }

  #feedPush(run: RsRun, plan: CheckerPlan, r: CheckerRunner): void {
    const p = plan.push;
    if (!p) return;
    if (p.kind === "bfd") {
      const st = this.d.bfdState(p.name);
      if (st !== undefined) r.report(bfdResult(st));
      return;
    }
    if (p.path === "") {
      r.report(fail("file: track_file has no file"));
      return;
    }
    run.unsubscribe.push(this.d.hub.watch(p.path, (text) => r.report(fileResult(text, p.weight, p.reverse))));
  }

  #stopRs(run: RsRun): void {
    for (const r of run.runners) r.stop();
    for (const u of run.unsubscribe) u();
  }

  /** A checker of `run` changed state or weight (called by its RunnerOptions). */
  checkerChanged(run: RsRun, plan: CheckerPlan, res: CheckResult): void {
    const key = rsKey(this.cfg, run.cfg);
    run.lastPlan = plan;
    run.lastReason = res.reason;
    // Only this real server's inputs changed: update it alone (a full evaluation is O(real servers)).
    if (this.#building || !this.status?.rs.has(key) || this.#rs.get(key) !== run) return this.evaluate();
    const { next, events } = evaluateRsChange(this.cfg, this.status, { key, weight: this.#weight(run.cfg), checkers: run.runners });
    this.status = next;
    for (const e of events) this.#report(e);
    if (events.length) this.d.changed();
  }

  /** A BFD session changed state: feeds the BFD_CHECKs naming it. */
  bfd(name: string, state: BfdStateName): void {
    for (const run of this.#rs.values()) {
      run.plans.forEach((p, i) => {
        if (p.push?.kind === "bfd" && p.push.name === name) run.runners[i]?.report(bfdResult(state));
      });
    }
  }

  /** ha_suspend: pauses (or resumes) every polling checker of this VS. */
  setSuspended(on: boolean): void {
    if (on === this.suspended) return;
    this.suspended = on;
    this.d.log.info(
      `VS ${this.name}: ${on ? "virtual address not local, suspending checkers (ha_suspend)" : "virtual address is local, resuming checkers"}`,
    );
    for (const run of this.#rs.values()) for (const r of run.runners) on ? r.suspend() : r.resume();
  }

  /** Recomputes the topology and reports what changed. */
  evaluate(): void {
    if (this.#building) return;
    const inputs = [...this.#rs.entries()].map(([key, run]) => ({
      key,
      weight: this.#weight(run.cfg),
      checkers: run.runners,
    }));
    const { next, events } = evaluateVs(this.cfg, this.status, inputs);
    this.status = next;
    for (const e of events) this.#report(e);
    if (events.length) this.d.changed();
  }

  #report(e: TopoEvent): void {
    const notify = this.d.rsInitNotifies;
    if (e.type === "rsWeight") {
      const run = this.#rs.get(e.key);
      if (run) {
        this.d.log.info(`RS ${fmtRs(this.cfg, run.cfg)} of VS ${this.name}: weight ${e.from} -> ${e.to}`);
      }
      return;
    }
    if (e.type === "quorum") return this.#reportQuorum(e.up, e.liveWeight, e.initial);
    const run = this.#rs.get(e.key);
    if (!run) return;
    const why = run.lastPlan ? `${run.lastPlan.name}: ${run.lastReason}` : undefined;
    const rs = fmtRs(this.cfg, run.cfg);
    if (e.initial) {
      this.d.log.info(`RS ${rs} of VS ${this.name} starts ${e.up ? "UP" : "DOWN"}`);
      if (!notify) return;
    } else {
      this.d.log.info(`RS ${rs} of VS ${this.name} is ${e.up ? "UP" : "DOWN"}${why ? ` (${why})` : ""}`);
      this.d.log.info(ipvsSentence(e.up, rs, this.name, run.cfg.inhibitOnFailure ?? this.cfg.inhibitOnFailure));
      const state = e.up ? "UP" : "DOWN";
      this.d.send({
        type: "rsState",
        vs: vsName(this.cfg),
        rs: rsName(this.cfg, run.cfg),
        state,
        weight: e.up ? e.weight : 0,
      });
    }
    this.d.runScript(
      e.up ? run.cfg.notifyUp : run.cfg.notifyDown,
      `${e.up ? "notify_up" : "notify_down"} of RS ${rs}`,
    );
    this.d.fifo(fifoRsLine(this.cfg, run.cfg, e.up));
  }

  #reportQuorum(up: boolean, live: number, initial: boolean): void {
    const v = this.cfg;
    this.d.send({ type: "vsState", vs: vsName(v), state: up ? "UP" : "DOWN", ...(initial ? { initial } : {}) });
    // keepalived 2.2.7's sentence: "Lost quorum 1-0=1 > 0 for VS …" / "Gained quorum 1+0=1 <= 3 for VS …"
    // (also at start for a virtual server that has its quorum).
    const th = up ? v.quorum + v.hysteresis : v.quorum - v.hysteresis;
    this.d.log.info(
      up
        ? `Gained quorum ${v.quorum}+${v.hysteresis}=${th} <= ${live} for VS ${this.name}`
        : `Lost quorum ${v.quorum}-${v.hysteresis}=${th} > ${live} for VS ${this.name}`,
    );
    if (initial && up) return;
    const sorry = v.sorryServer;
    if (sorry) {
      const s = `[${sorry.address}]:${v.protocol.toLowerCase()}:${sorry.port ?? v.port ?? 0}`;
      this.d.log.info(
        up ? `Removing sorry server ${s} from VS ${this.name}` : `Adding sorry server ${s} to VS ${this.name}`,
      );
    }
    if (initial && !this.d.rsInitNotifies) return;
    this.d.runScript(
      up ? v.quorumUp : v.quorumDown,
      `${up ? "quorum_up" : "quorum_down"} of VS ${this.name}`,
    );
    this.d.fifo(fifoVsLine(v, up));
  }

  /** The VS's IPVS entries for its current status; drained real servers are left out. */
  table(groups: readonly VirtualServerGroup[], auto?: AutoFwmarks): DesiredService[] {
    const t = this.status ? vsTable(this.cfg, groups, this.status, auto) : [];
    return this.#ctl.drained.size
      ? withoutDrained(t, this.cfg, [...this.#rs.values()].map((r) => r.cfg).filter((rs) => this.#ctl.drained.has(rsName(this.cfg, rs))))
      : t;
  }

  #weight(rs: RealServer): number {
    return this.#ctl.weights.get(rsName(this.cfg, rs)) ?? rs.weight;
  }

  /** Applies the operator overrides of this VS (RS display name -> drained / weight); re-evaluates. */
  /** The operator's overrides for this VS; false (nothing re-evaluated) when they are those in force. */
  setOverrides(o: RsOverrides): boolean {
    if (sameOverrides(this.#ctl, o)) return false;
    this.#ctl = o;
    this.evaluate();
    this.d.changed();
    return true;
  }

  /** Real servers with their checkers and overrides, for keepalived ctl status. */
  controlView(): { rs: RealServer; alive: boolean; weight: number; override: number | null; drained: boolean; checkers: CheckerRunner[]; names: string[] }[] {
    return [...this.#rs.entries()].map(([key, run]) => {
      const n = rsName(this.cfg, run.cfg);
      const s = this.status?.rs.get(key);
      return {
        rs: run.cfg,
        alive: s?.alive ?? false,
        weight: s?.alive ? s.weight : 0,
        override: this.#ctl.weights.get(n) ?? null,
        drained: this.#ctl.drained.has(n),
        checkers: run.runners,
        names: run.plans.map((p) => p.name),
      };
    });
  }

  /** Stops every checker; with `omega`, runs the down notifications of what was up. */
  /** Per-checker counters for the metrics report. */
  checkerViews(): CheckerView[] {
    const out: CheckerView[] = [];
    for (const run of this.#rs.values()) {
      run.runners.forEach((r, i) => {
        out.push({
          vs: vsName(this.cfg),
          rs: rsName(this.cfg, run.cfg),
          checker: run.plans[i]?.name.split(" ")[0] ?? `checker${i}`,
          lastLatencyMs: r.lastLatencyMs,
          checks: r.attempts,
          failures: r.failures,
        });
      });
    }
    return out;
  }

  stop(omega: boolean): void {
    for (const run of this.#rs.values()) {
      this.#stopRs(run);
      const inhibited = (run.cfg.inhibitOnFailure ?? this.cfg.inhibitOnFailure) && !this.status?.rs.get(rsKey(this.cfg, run.cfg))?.alive;
      this.d.log.info(`Shutting down ${inhibited ? "(inhibited) " : ""}service ${fmtRs(this.cfg, run.cfg)} from VS ${this.name}`);
    }
    if (!omega || !this.status) return;
    for (const [key, run] of this.#rs) {
      if (!this.status.rs.get(key)?.alive) continue;
      this.d.runScript(run.cfg.notifyDown, `notify_down of RS ${fmtRs(this.cfg, run.cfg)}`);
      this.d.fifo(fifoRsLine(this.cfg, run.cfg, false));
    }
    if (this.status.quorumUp) {
      this.d.runScript(this.cfg.quorumDown, `quorum_down of VS ${this.name}`);
      this.d.fifo(fifoVsLine(this.cfg, false));
    }
  }

  /** This VS as the checker dump shows it (src/dump/ka-check-live.ts). */
  live(groups: readonly VirtualServerGroup[]): VsLive {
    const dests = this.table(groups)[0]?.dests ?? [];
    const set = new Set(dests.map((d) => `${d.addr}|${d.port}`));
    const rs = new Map<string, RsLive>();
    for (const [key, run] of this.#rs) {
      const s = this.status?.rs.get(key);
      const checkers = run.runners.map((r) => ({
        up: r.up,
        enabled: !this.suspended,
        hasRun: r.hasRun,
        weight: r.weightDelta,
        retries: r.retries,
        lastRanMs: r.lastRanMs,
        lastStatus: r.lastStatus,
      }));
      rs.set(key, {
        alive: s?.alive ?? false,
        weight: s?.weight ?? run.cfg.weight,
        set: set.has(`${run.cfg.address}|${rsPort(this.cfg, run.cfg)}`),
        checkers,
      });
    }
    return { quorumUp: this.status?.quorumUp ?? false, dests: dests.length, rs };
  }

  /** Our own dump lines (after keepalived's sections): each checker's retries, attempts and last result. */
  ourLines(): string[] {
    const out: string[] = [];
    for (const run of this.#rs.values()) {
      run.runners.forEach((r, i) => {
        out.push(` ${this.name} -> ${fmtRs(this.cfg, run.cfg)} ${run.plans[i]?.name}: retries ${r.retries} attempts ${r.attempts} last "${r.lastReason}"`);
      });
    }
    return out;
  }
}

/**
 * A runner's options read from its plan and VS: one small object per checker, and the checker's and
 * the real server's names made only when a line needs them (no strings held per real server).
 */
class RunnerOptions implements CheckerRunnerOptions {
  readonly sentences: Sentences | undefined;
  constructor(readonly owner: VsRunner, readonly rs: RsRun, readonly plan: CheckerPlan, kind: string | undefined, script?: string) {
    this.sentences = kind ? new Sentences(kind, this, script) : undefined;
  }
  get name(): string {
    return this.plan.name;
  }
  get timing() {
    return this.plan.timing;
  }
  get run() {
    return this.plan.run;
  }
  get weightOf() {
    return this.plan.weightOf;
  }
  get failedUrlPacing() {
    return this.plan.failedUrlPacing === true;
  }
  get sched() {
    return this.owner.d.sched;
  }
  get log() {
    return this.owner.d.log;
  }
  get random() {
    return this.owner.d.random;
  }
  onChange(_s: CheckerStatus, res: CheckResult): void {
    this.owner.checkerChanged(this.rs, this.plan, res);
  }
}

/** keepalived's sentences of a checker: its kind, and the real server as keepalived names it (made when said). */
class Sentences implements SentenceNames {
  /** MISC_CHECK: the script's first word. */
  readonly script?: string;
  constructor(readonly kind: string, readonly o: RunnerOptions, script?: string) {
    if (script) this.script = script;
  }
  get service(): string {
    return fmtRs(this.o.owner.cfg, this.o.rs.cfg);
  }
  get vs(): string {
    return this.o.owner.name;
  }
  get retry(): number {
    return this.o.plan.timing.retry;
  }
}
