/**
 * What every child process shares: it dies with the parent (PR_SET_PDEATHSIG and EOF on its channel), asks
 * the parent for its configuration slice, applies slices in order (start and reload), answers dump
 * signals, and stops gracefully on TERM. A message from the parent that is not of this build's protocol,
 * or a slice not shaped like this role's, ends the child (the watchdog restarts it); a known message
 * with a bad field is dropped, counted and logged (src/core/ipc.ts IpcReceiver).
 */
import { chmodSync } from "node:fs";
import { childSavePath, ensureSaveDir } from "./config-save.ts";
import type { CliOptions } from "../cli.ts";
import { rtGuard } from "../core/rt-guard.ts";
import { type DumpKind, envelope, IpcReceiver, type Message } from "../core/ipc.ts";
import type { Role } from "../core/role.ts";
import { isSliceFor, type RoleSlices, sliceProblem } from "../config/slice.ts";
import type { ChildCommand } from "../core/control-proto.ts";
import { runControl, type SnapshotReporter } from "../control/child-side.ts";
import { type Logger, RateLimitedLog } from "../core/log.ts";
import { RealScheduler, type Scheduler } from "../core/scheduler.ts";
import { setParentDeathSignal, sleepMs } from "../ffi/libc.ts";
import { makeLogger, startPageTrim } from "./common.ts";
import { Channel } from "../core/channel.ts";
import { type FdWatcher, Reactor } from "../ffi/reactor.ts";
import { SigioWatcher } from "../ffi/sigio.ts";
import { ChildTuning } from "./sched.ts";
import { startMark } from "../core/start-trace.ts";

/** The message channel to the parent is always fd 3 (see src/procs/supervise.ts). */
const PARENT_FD = 3;

/** What a child's runtime gets to work with. */
export interface ChildContext {
  role: Role;
  opts: CliOptions;
  log: Logger;
  scheduler: Scheduler;
  /** The child's one reactor: fd readiness for the parent channel and every FFI socket of the runtime. */
  watcher: FdWatcher;
  /** Sends a message to the parent. */
  send(msg: Message): void;
}

/** The role-specific half of a child; `S` is its role's configuration slice (src/config/slice.ts). */
export interface Runtime<S> {
  /** Applies a configuration slice: the first one, or a reload. */
  apply(slice: S, reload: boolean): Promise<void>;
  /** Writes a dump file (`to`: a data dump's path instead of the usual one, config_save_dir). */
  dump(kind: DumpKind, to?: string): void;
  /** An event relayed by the parent (bfdState, vrrpState). */
  onEvent(msg: Message): void;
  /** Graceful stop: release what we hold (VIPs, IPVS entries, sessions). */
  stop(): Promise<void>;
  /** A control command for this role (src/control/); absent: the role takes none but logLevel. */
  control?(cmd: ChildCommand): { ok: boolean; message: string };
  /** The role's status reporter, for the `snapshot` command. */
  snapshot?: SnapshotReporter;
}

const SIGTERM = 15;
const DUMP_SIGNALS: [NodeJS.Signals, DumpKind][] = [
  ["SIGUSR1", "data"],
  ["SIGUSR2", "stats"],
  ["SIGURG", "stats_clear"],
  ["SIGWINCH", "json"],
];

/** How a role wants its loop: defaults are immediate fd delivery and the scheduler's 0.5 ms window. */
export interface LoopSettings {
  /** RealScheduler earlyMs: timers due within this many ms run in the same wake. */
  timerEarlyMs?: number;
  /** Reactor coalesceUs: while fds stay busy, at most one wake per this many µs (see Reactor). */
  reactorCoalesceUs?: number;
  /** Sub-millisecond timers: gaps under this many ms are slept (RealScheduler FineTiming). */
  timerFineMs?: number;
  /**
   * "sigio": fd readiness from SIGIO on the main thread (src/ffi/sigio.ts) instead of the reactor's worker
   * thread, a second JavaScript VM (docs/design.md, Footprint: 2 MiB anonymous, 3-5 MiB RSS per child).
   * No rate limit (reactorCoalesceUs does not apply): a role whose sockets get busy reads them through an
   * RxPump, which takes a busy socket out of the watcher. Each SIGIO polls the watched fds once.
   */
  readiness?: "worker" | "sigio";
  /** SigioWatcher holdMs: fds not added as urgent that bring input twice within it are polled every holdMs. */
  sigioHoldMs?: number;
}

/** Dies with the parent (SIGTERM); exits at once when the parent is already gone. */
function requireParent(role: Role): void {
  setParentDeathSignal(SIGTERM);
  if (process.ppid === 1) {
    process.stderr.write(`keepalived ${role} child: no parent to talk to; exiting\n`);
    process.exit(1);
  }
}

/** Runs a child until it is told to stop. */
export function runChild<R extends Role>(
  role: R,
  opts: CliOptions,
  make: (ctx: ChildContext) => Runtime<RoleSlices[R]>,
  loop: LoopSettings = {},
): void {
  requireParent(role);
  const log = makeLogger(opts, role);
  let onRaw: (raw: unknown) => void = () => {};
  const reactor: FdWatcher = loop.readiness === "sigio" ? new SigioWatcher(loop.sigioHoldMs ?? 0) : new Reactor(loop.reactorCoalesceUs ?? 0);
  // Neither the channel nor the reactor holds Bun's event loop; before the first configuration, or with
  // nothing scheduled (every instance in FAULT, no checkers), the child would otherwise exit with status 0.
  // A 12-day interval never wakes us in practice.
  setInterval(() => {}, 1 << 30);
  const channel = new Channel(PARENT_FD, reactor, (raw) => onRaw(raw), () => stop(0));
  const scheduler = new RealScheduler(loop.timerEarlyMs, loop.timerFineMs ? { horizonMs: loop.timerFineMs, sleep: sleepMs } : undefined);
  const tuning = new ChildTuning(role, log);
  const ctx: ChildContext = {
    role,
    opts,
    log,
    scheduler,
    watcher: reactor,
    send: (msg) => channel.send(envelope(msg)),
  };
  startMark(role, "code");
  const rt = make(ctx);
  let queue: Promise<void> = Promise.resolve();
  let stopping = false;

  const stop = (status: number) => {
    if (stopping) return;
    stopping = true;
    queue = queue.then(() => rt.stop()).catch((e) => log.error(`stop failed: ${(e as Error).message}`))
      .finally(() => process.exit(status));
  };

  const desync = (why: string): never => {
    log.error(`${why}; exiting so the watchdog restarts this child`);
    process.exit(2);
  };
  const inbox = new IpcReceiver("the parent", new RateLimitedLog(log), (e) => desync(e.message));
  // A failure is logged and the queue goes on (a rejected queue would skip every later configuration).
  const enqueue = (what: string, f: () => unknown) => {
    queue = queue.then(f).then(() => {}, (e) => log.error(`${what}: ${(e as Error).stack ?? e}`));
  };
  const tune = (g: RoleSlices[R]["global"], reload: boolean) => {
    tuning.apply(g, reload);
    const t = tuning.tuner;
    scheduler.lateness = t.lateThresholdMs === undefined ? undefined : { thresholdMs: t.lateThresholdMs, onLate: (ms) => t.onLate(ms) };
  };
  const untune = async (reload: boolean) => {
    if (reload) tuning.reset();
  };
  const fromParent: ParentLink<R> = { role, rt, log, send: ctx.send, desync, enqueue, tune, untune };
  onRaw = (raw) => {
    // A configuration slice is one long decode: out of SCHED_RR, where RLIMIT_RTTIME would count it.
    const msg = rtGuard.outside(() => inbox.receive(raw));
    if (msg) onParentMessage(fromParent, msg);
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
  process.on("SIGHUP", () => {/* the parent re-reads the configuration and sends us the new slice */});
  // RLIMIT_RTTIME's soft limit (half of *_rlimit_rttime) was reached under SCHED_RR; the hard limit kills.
  process.on("SIGXCPU", () => log.warn("realtime CPU time limit (RLIMIT_RTTIME) soft limit reached"));
  for (const [sig, kind] of DUMP_SIGNALS) process.on(sig, () => rt.dump(kind));
  ctx.send({ type: "ready", role, generation: 0 });
  startMark(role, "set up");
  channel.poll(); // the slice written at the spawn, before the reactor thread has started
  startPageTrim();
  if (process.env.KA_HEAP_DEBUG) void import("./heap-debug.ts").then((m) => m.installHeapDebug(role));
}

/** What a child's handling of parent messages works with. */
interface ParentLink<R extends Role> {
  role: R;
  rt: Runtime<RoleSlices[R]>;
  log: Logger;
  send(msg: Message): void;
  /** Ends the child: the parent and this child disagree about the protocol. */
  desync(why: string): never;
  /** Runs `f` after everything queued before it (configurations and events stay in order); `what` names it in a failure. */
  enqueue(what: string, f: () => unknown): void;
  /** Applies the process name and scheduling settings of an applied configuration (src/procs/sched.ts). */
  tune(g: RoleSlices[R]["global"], reload: boolean): void;
  /** Before a reload is applied: undoes the previous scheduling settings. */
  untune(reload: boolean): Promise<void>;
}

/**
 * config_save_dir (src/procs/config-save.ts): the data dump before ("pre", then `then` runs) or after
 * ("post") a reload, to DIR/keepalived_ROLE.PID.N.pre|post, N the reload's number.
 */
async function savedDump<R extends Role>(p: ParentLink<R>, dir: string | null, generation: number, when: "pre" | "post", then?: () => Promise<void>) {
  if (dir !== null && ensureSaveDir(dir, p.log)) {
    const path = childSavePath(dir, p.role, process.pid, generation - 1, when);
    p.rt.dump("data", path);
    try {
      chmodSync(path, 0o600);
    } catch { /* the dump logged its own failure */ }
  }
  await then?.();
}

/** One message from the parent. */
function onParentMessage<R extends Role>(p: ParentLink<R>, msg: Message): void {
  const { role, rt, log } = p;
  switch (msg.type) {
    case "config": {
      const { generation, reload, slice } = msg;
      if (!isSliceFor(role, slice)) return p.desync(`configuration ${generation}: ${sliceProblem(role, slice)}`);
      const save = reload ? slice.global.configSaveDir : null;
      startMark(role, "slice");
      p.enqueue(
        "config",
        () =>
          p.untune(reload).then(() => savedDump(p, save, generation, "pre", () => rt.apply(slice, reload))).then(() => savedDump(p, save, generation, "post"))
            .then(
              () => {
                p.tune(slice.global, reload);
                startMark(role, "applied");
                p.send({ type: "ready", role, generation });
              },
              (e) => {
                log.error(`cannot apply configuration: ${(e as Error).stack ?? e}`);
                p.send({ type: "fatal", role, reason: (e as Error).message });
              },
            ),
      );
      return;
    }
    case "dump":
      return rt.dump(msg.kind);
    case "bfdState":
    case "garp":
    case "vrrpState":
      // In order with configurations: an event sent right after a config (a replayed state) sees it applied.
      return p.enqueue(msg.type, () => rt.onEvent(msg));
    case "ctlCommand":
      return p.enqueue("ctlCommand", () => p.send({ type: "ctlReply", id: msg.id, ...runControl(log, rt, msg.command) }));
    default:
      p.desync(`unexpected ${msg.type} message from the parent`);
  }
}
