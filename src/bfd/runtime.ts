/**
 * The BFD child's engine: one RFC 5880 session per `bfd_instance`, driven by the pure `step` (session.ts),
 * with timers on the injected scheduler and packets through the injected transport (transport.ts).
 * - receive path: RFC 5880 §6.8.6 packet checks (proto/bfd.ts), session selection and TTL policy
 *   (demux.ts, RFC 5881 §5), then the session's own checks; every drop is counted by reason and logged at
 *   a limited rate, and never disturbs a session;
 * - transitions are logged as keepalived 2.2.7 does, `(NAME) Entering Up state`, with the local and remote
 *   diagnostics when a session goes Down or AdminDown, and reported through `notify` (bfdState);
 * - reload keeps sessions whose path is unchanged (a timer change runs a Poll Sequence, §6.5), removes
 *   the others with AdminDown (diag 7) and starts new ones; stop sends AdminDown and closes everything.
 */
import type { BfdInstance, BfdSection, GlobalDefs } from "../config/model.ts";
import { type Logger, RateLimitedLog } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import { type BfdState, Diag, encodeBfdControl, parseBfdControl } from "../proto/bfd.ts";
import { BfdDemux, type BfdPath } from "./demux.ts";
import { type BfdSessionView, diagText, formatBfdDump } from "./dump.ts";
import {
  type BfdAction,
  type BfdEvent,
  type BfdSession,
  createSession,
  currentDetectionTimeUs,
  pickLocalDiscriminator,
  sessionConfigOf,
  step,
} from "./session.ts";
import type { Rand } from "./timers.ts";
import type { BfdDatagram, BfdSender, BfdTransport } from "./transport.ts";

/** What the runtime is given. */
export interface BfdRuntimeDeps {
  scheduler: Scheduler;
  log: Logger;
  /** Builds the transport; received datagrams must be passed to the given callback. */
  transport: (onDatagram: (d: BfdDatagram) => void) => BfdTransport;
  /** Reports a session state (to the parent, as a bfdState message). `atMs` is wall-clock ms. */
  notify: (name: string, state: BfdState, atMs: number) => void;
  /** Random source in [0, 1) for jitter and discriminators. @default Math.random */
  rand?: Rand;
  /** Wall clock, ms. @default Date.now */
  wallNow?: () => number;
}

interface Runner {
  inst: BfdInstance;
  path: BfdPath;
  session: BfdSession;
  sender: BfdSender;
  log: Logger;
  tx: TimerHandle | undefined;
  detect: TimerHandle | undefined;
  /** When each armed timer is due (a received packet moves `detect` in place: Scheduler.reschedule). */
  due: { tx: number; detect: number };
  txPackets: number;
  rxPackets: number;
  discards: Record<string, number>;
  lastRxWallMs: number | null;
}

/** The session's path from its configuration (canonical address text). */
export function pathOf(inst: BfdInstance): BfdPath {
  return { peer: inst.neighborIp ?? "", local: inst.sourceIp, multihop: inst.multihop, ttl: inst.ttl };
}

/** Fields whose change needs a new session (new socket, new path or TTL policy). */
function samePath(a: BfdInstance, b: BfdInstance): boolean {
  return a.neighborIp === b.neighborIp && a.sourceIp === b.sourceIp && a.multihop === b.multihop &&
    a.ttl === b.ttl && a.maxHops === b.maxHops && a.passive === b.passive;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** All BFD sessions of one process. */
export class BfdRuntime {
  #runners = new Map<string, Runner>();
  #demux = new BfdDemux<string>();
  #transport: BfdTransport | undefined;
  #drops: Record<string, number> = {};
  #badLog: RateLimitedLog;
  #rand: Rand;
  #wallNow: () => number;
  #stopped = false;

  constructor(readonly deps: BfdRuntimeDeps) {
    this.#rand = deps.rand ?? Math.random;
    this.#wallNow = deps.wallNow ?? Date.now;
    this.#badLog = new RateLimitedLog(deps.log, 10_000, () => deps.scheduler.now());
  }

  #net(): BfdTransport {
    this.#transport ??= this.deps.transport((d) => this.receive(d));
    return this.#transport;
  }

  /** Applies a BFD section: the first one starts every session, later ones reload (see file header). */
  apply(section: BfdSection, reload: boolean): void {
    if (this.#stopped) return;
    const wanted = new Map(section.instances.map((i) => [i.name, i]));
    for (const [name, r] of [...this.#runners]) {
      const next = wanted.get(name);
      if (!next || !samePath(r.inst, next)) this.#remove(r, true);
    }
    const added: Runner[] = [];
    for (const inst of section.instances) {
      const r = this.#runners.get(inst.name);
      if (r) this.#retime(r, inst);
      else {
        const n = this.#add(inst);
        if (n) added.push(n);
      }
    }
    // Trackers in the other children learn every session's state at start, and new sessions' on reload.
    const announce = reload ? added : [...this.#runners.values()];
    for (const r of announce) this.deps.notify(r.inst.name, r.session.state, this.#wallNow());
  }

  #add(inst: BfdInstance): Runner | undefined {
    const path = pathOf(inst);
    const log = this.deps.log.with(`(${inst.name}) `);
    const discr = pickLocalDiscriminator(this.#rand, this.#demux.discriminators());
    let sender: BfdSender;
    try {
      this.#demux.add(inst.name, discr, path, { expectedTtl: inst.ttl, maxHops: inst.maxHops });
      sender = this.#net().open(path);
    } catch (e) {
      this.#demux.remove(discr);
      log.error(`cannot start BFD session: ${(e as Error).message}`);
      return undefined;
    }
    const r: Runner = {
      inst,
      path,
      sender,
      log,
      session: createSession(sessionConfigOf(inst), discr),
      tx: undefined,
      detect: undefined,
      due: { tx: 0, detect: 0 },
      txPackets: 0,
      rxPackets: 0,
      discards: {},
      lastRxWallMs: null,
    };
    this.#runners.set(inst.name, r);
    log.info(`Starting BFD session to ${path.peer}${path.multihop ? " (multihop)" : ""}`);
    this.#run(r, { kind: "start" });
    return r;
  }

  #retime(r: Runner, inst: BfdInstance): void {
    const old = r.inst;
    r.inst = inst;
    if (
      old.minTxMs === inst.minTxMs && old.minRxMs === inst.minRxMs && old.idleTxMs === inst.idleTxMs &&
      old.multiplier === inst.multiplier
    ) return;
    const c = sessionConfigOf(inst);
    this.#run(r, {
      kind: "timersChanged",
      desiredMinTxUs: c.desiredMinTxUs,
      requiredMinRxUs: c.requiredMinRxUs,
      idleTxUs: c.idleTxUs,
      detectMult: c.detectMult,
    });
  }

  #remove(r: Runner, report: boolean): void {
    if (report) this.#run(r, { kind: "adminDown", diag: Diag.AdministrativelyDown });
    else this.#runQuiet(r, { kind: "adminDown", diag: Diag.AdministrativelyDown });
    this.deps.scheduler.cancel(r.tx);
    this.deps.scheduler.cancel(r.detect);
    r.sender.close();
    this.#demux.remove(r.session.localDiscr);
    this.#runners.delete(r.inst.name);
  }

  /** Feeds one event to a session and performs its actions. */
  #run(r: Runner, event: BfdEvent, notify = true, nowMs = this.deps.scheduler.now()): void {
    const before = r.session;
    const { next, actions } = step(before, event, nowMs, this.#rand);
    r.session = next;
    for (const a of actions) this.#perform(r, a, notify);
    this.#logPoll(r, before, next);
  }

  #runQuiet(r: Runner, event: BfdEvent): void {
    this.#run(r, event, false);
  }

  #perform(r: Runner, a: BfdAction, notify: boolean): void {
    switch (a.kind) {
      case "send":
        r.txPackets++;
        r.sender.send(encodeBfdControl(a.packet));
        return;
      case "setTimer":
        this.#arm(r, a.timer, a.atMs);
        return;
      case "stateChanged":
        this.#logTransition(r, a.to, a.diag);
        if (notify) this.deps.notify(r.inst.name, a.to, this.#wallNow());
        return;
      case "discarded":
        bump(r.discards, a.reason);
        this.#badLog.warn(
          `${r.inst.name}|${a.reason}`,
          `(${r.inst.name}) discarded BFD packet: ${a.reason} (${a.detail})`,
        );
        return;
    }
  }

  #arm(r: Runner, timer: "tx" | "detect", atMs: number | null): void {
    const s = this.deps.scheduler;
    if (atMs === null) {
      s.cancel(r[timer]);
      r[timer] = undefined;
      return;
    }
    r.due[timer] = atMs;
    if (s.reschedule(r[timer], atMs)) return;
    r[timer] = s.at(atMs, () => {
      r[timer] = undefined;
      const due = r.due[timer];
      if (this.#runners.get(r.inst.name) !== r) return;
      if (timer === "detect" && (r.session.state === "Up" || r.session.state === "Init")) {
        r.log.info(`Expired after ${currentDetectionTimeUs(r.session) / 1000} ms`);
      }
      // The scheduler may run a timer a fraction of a millisecond early; step ignores early expiries.
      const now = Math.max(s.now(), due);
      this.#run(r, { kind: timer === "tx" ? "txTimerExpired" : "detectTimerExpired" }, true, now);
    });
  }

  #logTransition(r: Runner, to: BfdState, diag: number): void {
    if (to === "Down" || to === "AdminDown") {
      r.log.info(
        `Entering ${to} state (Local diagnostic - ${diagText(diag)}, Remote diagnostic - ${diagText(r.session.remoteDiag)})`,
      );
    } else {
      r.log.info(`Entering ${to} state`);
    }
  }

  #logPoll(r: Runner, before: BfdSession, after: BfdSession): void {
    if (after.state === "AdminDown") return; // nothing is negotiated while administratively down
    if (!before.polling && after.polling) {
      r.log.info(
        `Starting poll sequence (min_tx ${after.advertisedMinTxUs} us, min_rx ${after.advertisedMinRxUs} us)`,
      );
    } else if (before.polling && !after.polling) {
      r.log.info(`Poll sequence completed by Final from ${r.path.peer}`);
    }
    const was = currentDetectionTimeUs(before), now = currentDetectionTimeUs(after);
    if (was !== now) r.log.debug(`Detection time is ${now} us (was ${was} us)`);
  }

  /** Handles one received datagram (the transport's callback; tests call it directly). */
  receive(d: BfdDatagram): void {
    if (this.#stopped) return;
    const parsed = parseBfdControl(d.data);
    if (!parsed.ok) {
      this.#drop(parsed.reason, `from ${d.arrival.peer}: ${parsed.detail}`);
      return;
    }
    const sel = this.#demux.select(parsed.value, d.arrival);
    if (!sel.ok) {
      this.#drop(sel.reason, sel.detail);
      return;
    }
    const r = this.#runners.get(sel.key);
    if (!r) return;
    const discardsBefore = Object.values(r.discards).reduce((x, y) => x + y, 0);
    this.#run(r, { kind: "packetReceived", packet: parsed.value });
    if (Object.values(r.discards).reduce((x, y) => x + y, 0) === discardsBefore) {
      r.rxPackets++;
      r.lastRxWallMs = this.#wallNow();
    }
  }

  #drop(reason: string, detail: string): void {
    bump(this.#drops, reason);
    this.#badLog.warn(reason, `discarded BFD packet: ${reason} (${detail})`);
  }

  /** Current state of every session, by instance name. */
  states(): Map<string, BfdState> {
    return new Map([...this.#runners].map(([n, r]) => [n, r.session.state]));
  }

  /** The session of one instance (read-only snapshot), for tests and dumps. */
  session(name: string): BfdSession | undefined {
    return this.#runners.get(name)?.session;
  }

  /** Drops that reached no session, by reason (parser and demultiplexer reasons). */
  drops(): Readonly<Record<string, number>> {
    return { ...this.#drops };
  }

  /** Everything the USR1 dump shows. */
  views(): BfdSessionView[] {
    return [...this.#runners.values()].map((r) => ({
      instance: r.inst,
      session: r.session,
      sourcePort: r.sender.sourcePort,
      txPackets: r.txPackets,
      rxPackets: r.rxPackets,
      discards: { ...r.discards },
      lastRxWallMs: r.lastRxWallMs,
    }));
  }

  /** The USR1 dump text. */
  dumpText(global: GlobalDefs | null = null): string {
    return formatBfdDump(this.views(), this.drops(), global, this.#wallNow() - this.deps.scheduler.now());
  }

  /** Sends AdminDown (diag 7) on every session, then closes timers and sockets; no further reports. */
  stop(): void {
    if (this.#stopped) return;
    for (const r of [...this.#runners.values()]) this.#remove(r, false);
    this.#stopped = true;
    this.#transport?.close();
    this.#transport = undefined;
  }
}
