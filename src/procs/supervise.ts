/**
 * The watchdog's view of one child process: start it (re-executing our own binary with a role), restart
 * it when it dies (at once, unless it is crash-looping: then with capped exponential backoff), stop it
 * with SIGTERM then SIGKILL. The child's pid file is written here, so it is correct even when the child
 * is killed with SIGKILL. A child that sends what is not a message of this build is killed (and
 * restarted); a known message with a bad field is dropped, counted and logged.
 */
import type { ChildProcess } from "../ffi/adopted-child.ts";
import { envelope, IpcReceiver, type Message } from "../core/ipc.ts";
import type { Role } from "../core/role.ts";
import { type Logger, RateLimitedLog } from "../core/log.ts";
import { createPidFile, removePidFile } from "../core/pidfile.ts";
import { Channel } from "../core/channel.ts";
import type { FdWatcher } from "../ffi/reactor.ts";
import { type EarlyChild, spawnWithChannel } from "./prespawn.ts";

/** How the parent starts a child. */
export interface ChildLaunch {
  role: Role;
  /** argv for the child, already including --role. */
  argv: string[];
  pidFile: string;
  /** Respawn after an unexpected exit (off with -R). */
  respawn: boolean;
  /** Environment of the child; the parent's when absent. */
  env?: Record<string, string> | undefined;
}

/** Events a supervised child reports to the parent. */
export interface ChildEvents {
  onMessage(role: Role, msg: Message): void;
  /** A child exited and will not be restarted (stopping, -R, or a fatal report). */
  onGone(role: Role, status: number | null, signal: string | null): void;
  /** A child died when it was not asked to stop (before any restart): release what it held. */
  onDied?(role: Role): void;
  /**
   * A child process was just started (first start or restart): what is sent here waits in its channel,
   * so the child finds its configuration when it first reads instead of asking for it.
   */
  onSpawned?(role: Role): void;
}

/** Backoff before restart number `n` (1-based) of a crash loop: 0, 0.5 s, 1 s, 2 s ... capped at 30 s. */
export function restartDelayMs(n: number): number {
  if (n <= 1) return 0;
  return Math.min(30_000, 500 * 2 ** (n - 2));
}

/**
 * A child that dies sooner than this after its start is crash-looping: its restarts back off
 * (restartDelayMs). One that ran longer is restarted at once and the count starts again, so a single
 * death (a SIGKILL, an OOM kill) costs no more than a start, and a loop costs at most one start per this long.
 */
export const CRASH_LOOP_MS = 2_000;

/** The restart rule on its own, over a clock that tests inject: `started()` at each start, `died()` at each death. */
export class RestartPolicy {
  #restarts = 0;
  #startedAt = 0;
  constructor(readonly now: () => number = () => performance.now()) {}

  started(): void {
    this.#startedAt = this.now();
  }

  /** The restart's number within the current crash loop (1 after a long run) and the wait before it. */
  died(): { n: number; delayMs: number } {
    if (this.now() - this.#startedAt >= CRASH_LOOP_MS) this.#restarts = 0;
    this.#restarts++;
    return { n: this.#restarts, delayMs: restartDelayMs(this.#restarts) };
  }
}

/** One child under supervision. */
export class Supervised {
  #proc: ChildProcess | undefined;
  #channel: Channel | undefined;
  #stopping = false;
  readonly #policy: RestartPolicy;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Restarts so far (for logs and metrics). */
  totalRestarts = 0;
  /** When the running process was started, wall-clock ms (keepalived ctl status). */
  startedAtMs = 0;

  /** Decodes the child's messages; its `dropped` counts those dropped for a bad field, across restarts. */
  readonly inbox: IpcReceiver;

  constructor(
    readonly launch: ChildLaunch,
    readonly log: Logger,
    readonly events: ChildEvents,
    readonly watcher: FdWatcher,
    policy: RestartPolicy = new RestartPolicy(),
    /** Told the size of every message from the child once handled (the parent's InflowCollector). */
    readonly onBytes?: (n: number) => void,
  ) {
    this.#policy = policy;
    this.inbox = new IpcReceiver(`the ${launch.role} child`, new RateLimitedLog(log), (e) => {
      this.log.error(`${launch.role} child sent an invalid message, restarting it: ${e.message}`);
      this.#proc?.kill("SIGKILL");
    });
  }

  /** The running child's pid, if any. */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Starts the child process, or takes over `early`, one started with this launch's argv and env before the parse (prespawn.ts). */
  start(early?: EarlyChild): void {
    const { role, argv } = this.launch;
    this.#policy.started();
    this.startedAtMs = Date.now();
    // The child's end of a socket pair becomes its fd 3: the message channel (src/core/channel.ts).
    const onExit = (status: number | null, signal: string | null): void => this.#exited(proc, status, signal);
    const { proc, fd: ours } = early ? early.adopt(onExit) : spawnWithChannel(argv, this.launch.env, () => onExit);
    const channel = new Channel(
      ours,
      this.watcher,
      (raw) => {
        const msg = this.inbox.receive(raw);
        if (msg) this.events.onMessage(role, msg);
      },
      () => {},
      this.onBytes,
    );
    this.#channel?.close();
    this.#channel = channel;
    this.#proc = proc;
    try {
      createPidFile(this.launch.pidFile, proc.pid);
    } catch (e) {
      this.log.warn(`${role} child: ${(e as Error).message}`);
    }
    this.log.info(`Starting ${describe(role)} child process, pid=${proc.pid}`);
    this.events.onSpawned?.(role);
  }

  /** Sends a message to the child; false (dropped) when it is not running. */
  send(msg: Message): boolean {
    const p = this.#proc;
    if (!p || p.exitCode !== null || p.signalCode !== null || !this.#channel) return false;
    this.#channel.send(envelope(msg));
    return true;
  }

  /** Forwards a signal to the child. */
  signal(sig: NodeJS.Signals): void {
    const p = this.#proc;
    if (p && p.exitCode === null && p.signalCode === null) p.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const p = this.#proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill("SIGTERM");
    const killer = setTimeout(() => {
      this.log.warn(`${this.launch.role} child pid ${p.pid} did not stop within ${graceMs} ms; killing it`);
      p.kill("SIGKILL");
    }, graceMs);
    await p.exited;
    clearTimeout(killer);
    // onExit may run after `exited` resolves; the parent may exit right after this, so clean up here too.
    removePidFile(this.launch.pidFile, p.pid);
  }

  #exited(proc: ChildProcess, status: number | null, signal: string | null): void {
    removePidFile(this.launch.pidFile, proc.pid);
    if (proc !== this.#proc) return;
    this.#proc = undefined;
    this.#channel?.close();
    this.#channel = undefined;
    // keepalived's hint: under SCHED_RR the kernel's RLIMIT_RTTIME kill is the usual SIGKILL nobody sent.
    const how = signal ? `killed by signal ${signal}${signal === "SIGKILL" ? " - has rlimit_rttime been exceeded?" : ""}` : `exited with status ${status}`;
    if (this.#stopping) {
      this.log.info(`${describe(this.launch.role)} child process(${proc.pid}) ${how}`);
      this.events.onGone(this.launch.role, status, signal);
      return;
    }
    if (!this.launch.respawn) {
      this.log.error(`${describe(this.launch.role)} child process(${proc.pid}) ${how}; respawn disabled (-R)`);
      this.events.onDied?.(this.launch.role);
      this.events.onGone(this.launch.role, status, signal);
      return;
    }
    const delay = this.#policy.died().delayMs;
    this.totalRestarts++;
    this.log.error(
      `${describe(this.launch.role)} child process(${proc.pid}) ${how} - restarting (restart ${this.totalRestarts}` +
        (delay ? `, in ${delay} ms)` : ")"),
    );
    this.events.onDied?.(this.launch.role);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopping) this.start();
    }, delay);
  }
}

/** keepalived's name for each child in log lines. */
export function describe(role: Role): string {
  return role === "vrrp" ? "VRRP" : role === "check" ? "Healthcheck" : "BFD";
}
