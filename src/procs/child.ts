/**
 * What every child process shares: it dies with the parent (PR_SET_PDEATHSIG and EOF on its channel), asks
 * the parent for its configuration slice, applies slices in order (start and reload), answers dump
 * signals, and stops gracefully on TERM. An invalid message from the parent ends the child, which the
 * watchdog restarts.
 */
import type { CliOptions } from "../cli.ts";
import { decode, envelope, type DumpKind, type Message, type Role } from "../core/ipc.ts";
import type { ChildCommand } from "../core/control-proto.ts";
import { runControl, type SnapshotReporter } from "../control/child-side.ts";
import type { Logger } from "../core/log.ts";
import { RealScheduler, type Scheduler } from "../core/scheduler.ts";
import { setParentDeathSignal, sleepMs } from "../ffi/libc.ts";
import { makeLogger, startPageTrim } from "./common.ts";
import { Channel } from "../core/channel.ts";
import { Reactor, type FdWatcher } from "../ffi/reactor.ts";
import { SigioWatcher } from "../ffi/sigio.ts";

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

/** The role-specific half of a child. */
export interface Runtime {
  /** Applies a configuration slice: the first one, or a reload. */
  apply(slice: unknown, reload: boolean): Promise<void>;
  /** Writes a dump file. */
  dump(kind: DumpKind): void;
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
  ["SIGUSR1", "data"], ["SIGUSR2", "stats"], ["SIGURG", "stats_clear"], ["SIGWINCH", "json"],
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
   * Only for roles with few FFI fds and no rate limit: every SIGIO drains every registered fd.
   */
  readiness?: "worker" | "sigio";
}

/** Runs a child until it is told to stop. */
export function runChild(
  role: Role,
  opts: CliOptions,
  make: (ctx: ChildContext) => Runtime,
  loop: LoopSettings = {},
): void {
  setParentDeathSignal(SIGTERM);
  if (process.ppid === 1) {
    process.stderr.write(`keepalived ${role} child: no parent to talk to; exiting\n`);
    process.exit(1);
  }
  const log = makeLogger(opts, role);
  let onRaw: (raw: unknown) => void = () => {};
  const reactor: FdWatcher = loop.readiness === "sigio" ? new SigioWatcher() : new Reactor(loop.reactorCoalesceUs ?? 0);
  // Neither the channel nor the reactor holds Bun's event loop; before the first configuration, or with
  // nothing scheduled (every instance in FAULT, no checkers), the child would otherwise exit with status 0.
  // A 12-day interval never wakes us in practice.
  setInterval(() => {}, 1 << 30);
  const channel = new Channel(PARENT_FD, reactor, (raw) => onRaw(raw), () => stop(0));
  const ctx: ChildContext = {
    role, opts, log, scheduler: new RealScheduler(loop.timerEarlyMs, loop.timerFineMs ? { horizonMs: loop.timerFineMs, sleep: sleepMs } : undefined), watcher: reactor,
    send: (msg) => channel.send(envelope(msg)),
  };
  const rt = make(ctx);
  let queue: Promise<void> = Promise.resolve();
  let stopping = false;

  const stop = (status: number) => {
    if (stopping) return;
    stopping = true;
    queue = queue.then(() => rt.stop()).catch((e) => log.error(`stop failed: ${(e as Error).message}`))
      .finally(() => process.exit(status));
  };

  onRaw = (raw) => {
    let msg: Message;
    try {
      msg = decode(raw);
    } catch (e) {
      log.error(`${(e as Error).message}; exiting so the watchdog restarts this child`);
      process.exit(2);
    }
    switch (msg.type) {
      case "config": {
        const { generation, reload, slice } = msg;
        queue = queue.then(() => rt.apply(slice, reload)).then(
          () => ctx.send({ type: "ready", role, generation }),
          (e) => {
            log.error(`cannot apply configuration: ${(e as Error).stack ?? e}`);
            ctx.send({ type: "fatal", role, reason: (e as Error).message });
          },
        );
        return;
      }
      case "dump":
        rt.dump(msg.kind);
        return;
      case "bfdState":
      case "garp":
      case "vrrpState": {
        // In order with configurations: an event sent right after a config (a replayed state) sees it applied.
        const ev = msg;
        queue = queue.then(() => rt.onEvent(ev)).catch((e) => log.error(`${ev.type}: ${(e as Error).stack ?? e}`));
        return;
      }
      case "ctlCommand": {
        const { id, command } = msg;
        queue = queue.then(() => ctx.send({ type: "ctlReply", id, ...runControl(log, rt, command) }));
        return;
      }
      default:
        log.error(`unexpected ${msg.type} message from the parent; exiting so the watchdog restarts this child`);
        process.exit(2);
    }
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
  process.on("SIGHUP", () => {/* the parent re-reads the configuration and sends us the new slice */});
  for (const [sig, kind] of DUMP_SIGNALS) process.on(sig, () => rt.dump(kind));
  ctx.send({ type: "ready", role, generation: 0 });
  startPageTrim();
}
