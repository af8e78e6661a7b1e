/**
 * The VRRP child started before the configuration is read. A child's runtime start and the loading of its
 * role's code take ~10-15 ms, which the parent used to spend only after it had loaded the configuration
 * code and parsed the file; nearly every configuration has a VRRP instance, so the parent starts that child
 * first thing (it then waits for its slice, reading nothing else) and hands it to its supervisor when the
 * configuration wants it with the same command line and environment; not when the file's text cannot ask
 * for one (mayWantVrrp). Otherwise (no VRRP instance, an
 * `instance`, `net_namespace` or `disable_local_igmp` that changes the child's arguments or environment,
 * -C) the early child is killed before the parent goes on: it has not been given a configuration, so it
 * holds nothing to release. KA_NO_PRESPAWN=1 turns this off. Measured: bench/RESULTS.md
 * ("2026-12-03, issue 12, start-up: the VRRP child spawned before the parse").
 */
import { readFileSync } from "node:fs";
import type { CliOptions } from "../cli.ts";
import { readConfigFile, type ReadOutcome } from "../config/read.ts";
import { AdoptedChild, type ChildProcess } from "../ffi/adopted-child.ts";
import { execKeepingFds } from "../ffi/exec-keep.ts";
import { closeQuietly, keepAcrossExec, socketPair } from "../ffi/libc.ts";
import { startMark } from "../core/start-trace.ts";
import { childArgs } from "./parent-args.ts";
import { selfCommand } from "./self.ts";
import { childEnv } from "./tuning.ts";

/** A started child process and the parent's end of its channel (the child's fd 3). */
export interface Spawned {
  readonly proc: ChildProcess;
  readonly fd: number;
}

/** Called when a spawned child exits (Bun's onExit). */
export type ExitHandler = (status: number | null, signal: string | null) => void;

/** Starts `argv` with a socket pair on its fd 3; `onExit` is read when the child exits, not at the spawn. */
export function spawnWithChannel(argv: string[], env: Record<string, string> | undefined, onExit: () => ExitHandler): Spawned {
  const [ours, theirs] = socketPair();
  const proc = Bun.spawn(argv, {
    ...(env ? { env } : {}),
    stdio: ["ignore", "inherit", "inherit", theirs],
    onExit: (_p, status, signal): void => onExit()(status, signal === null ? null : String(signal)),
  });
  closeQuietly(theirs);
  return { proc, fd: ours };
}

/** The argv of a child of `role` for the parent's options `o`. */
export function childArgv(o: CliOptions, role: string): string[] {
  return [...selfCommand(), ...childArgs(o), `--role=${role}`];
}

/** The environment a VRRP child gets before any configuration (childEnv, or the parent's own), `base` the parent's. */
function earlyVrrpEnv(base: Record<string, string | undefined> = process.env): Record<string, string> {
  return childEnv("vrrp", undefined, base) ?? Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The early VRRP child until the parent adopts or discards it. */
export class EarlyChild {
  #onExit: ExitHandler | undefined;
  #exit: [number | null, string | null] | undefined;
  readonly spawned: Spawned;
  /** Generation 1's configuration is already in its channel (presend.ts): the supervisor does not send it again. */
  configSent = false;

  /** Spawns the child, or (`handed`) takes the one the first process started before its re-exec. */
  constructor(readonly argv: string[], readonly env: Record<string, string>, handed?: { pid: number; fd: number }) {
    const onExit = (): ExitHandler => this.#onExit ?? ((s, sig) => void (this.#exit = [s, sig]));
    this.spawned = handed ? { proc: new AdoptedChild(handed.pid, (s, sig) => onExit()(s, sig)), fd: handed.fd } : spawnWithChannel(argv, env, onExit);
  }

  /** The same command line and environment as the child the parent would start now? */
  matches(argv: string[], env: Record<string, string> | undefined): boolean {
    return env !== undefined && argv.length === this.argv.length && argv.every((a, i) => a === this.argv[i]) && sameEnv(env, this.env);
  }

  /** Hands the process to its supervisor: `onExit` from now on (at once if it has exited already). */
  adopt(onExit: ExitHandler): Spawned {
    this.#onExit = onExit;
    const e = this.#exit;
    if (e) queueMicrotask(() => onExit(e[0], e[1]));
    return this.spawned;
  }

  /**
   * Not wanted: killed (it has no configuration, so nothing to release; one that was sent its configuration
   * is stopped with SIGTERM, so it releases what it took) and its channel closed; resolves when it is reaped.
   */
  discard(): Promise<unknown> {
    this.#onExit = () => {};
    this.spawned.proc.kill(this.configSent ? "SIGTERM" : "SIGKILL");
    closeQuietly(this.spawned.fd);
    return this.spawned.proc.exited;
  }
}

/** `early` when it matches the child about to start (`argv`, `env`), else undefined, `early` discarded. */
export function takeEarly(early: EarlyChild | undefined, argv: string[], env: Record<string, string> | undefined): EarlyChild | undefined {
  if (early?.matches(argv, env)) return early;
  void early?.discard();
  return undefined;
}

/**
 * Keywords without one of which the main file cannot ask for a VRRP child (needsRole: instances, static
 * addresses, routes or rules); `include` may bring them in from elsewhere. Any occurrence counts, in a
 * comment or a false `@` conditional too: a wrong "yes" costs an early child that is killed, a "no" only
 * the overlap (the child is then spawned after the parse, as before).
 */
const VRRP_WORDS = /vrrp_instance|static_ipaddress|static_route|static_rule|include/;

/** The main file as the pre-scan read it, kept for the parse (takeMainRead): one read of it at start. */
let scanned: { path: string; text: ReadOutcome } | undefined;

/**
 * Might the configuration file `path` want a VRRP child? A cheap scan of its text (over 1 MiB: yes), read
 * as the parse reads it (readConfigFile: a FIFO or device is refused, never opened for a blocking read);
 * a file that is missing or refused cannot (the start fails on it before any child is adopted).
 */
export function mayWantVrrp(path: string): boolean {
  const text = readConfigFile(path);
  scanned = { path, text };
  return typeof text === "string" && (text.length > 1 << 20 || VRRP_WORDS.test(text));
}

/** What mayWantVrrp read of `path`, once (the parse's first read of the main file), else undefined. */
export function takeMainRead(path: string): ReadOutcome {
  const s = scanned;
  scanned = undefined;
  return s?.path === path ? s.text : undefined;
}

function wantEarly(o: CliOptions): boolean {
  return !o.checkOnly && process.env.KA_NO_PRESPAWN !== "1" && (o.all || mayWantVrrp(o.configFile));
}

/**
 * How the first process of `keepalived -n` tells the parent it re-executes into about the VRRP child it
 * started: `PID:FD` (the parent's end of the channel, kept open across the execve).
 */
export const HANDED_ENV = "KA_HANDED_VRRP";

/**
 * In the first process, in place of its re-exec with `execEnv` (tuning.ts ensureTuned): starts the VRRP
 * child the re-executed parent would start, so that its runtime start overlaps this process's exec and the
 * parent's runtime start, and re-executes with HANDED_ENV added, the channel kept open (through libc: the
 * runtime's execve closes it). Returns undefined, having started nothing, when no early child is wanted
 * (the caller re-executes as before); returns the child as an ordinary early one when the execve failed.
 */
export function reexecHandingVrrp(o: CliOptions, execEnv: Record<string, string>): EarlyChild | undefined {
  if (!wantEarly(o)) return undefined;
  const early = new EarlyChild(childArgv(o, "vrrp"), earlyVrrpEnv(execEnv));
  keepAcrossExec(early.spawned.fd);
  startMark("first", "prespawned");
  execKeepingFds([...selfCommand(), ...process.argv.slice(2)], { ...execEnv, [HANDED_ENV]: `${early.spawned.proc.pid}:${early.spawned.fd}` });
  keepAcrossExec(early.spawned.fd, false); // execve failed: this process goes on as the parent, untuned
  return early;
}

/** Is `pid` a child of this process (its /proc stat's parent pid)? */
function isOurChild(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid;
  } catch {
    return false;
  }
}

/** The child the first process handed over (HANDED_ENV, removed from the environment so no child inherits it), if any. */
function handedVrrp(o: CliOptions): EarlyChild | undefined {
  const v = process.env[HANDED_ENV];
  if (v === undefined) return undefined;
  delete process.env[HANDED_ENV];
  const m = /^(\d+):(\d+)$/.exec(v);
  if (!m || !isOurChild(Number(m[1]))) return undefined; // not from our first process: ignored
  return new EarlyChild(childArgv(o, "vrrp"), earlyVrrpEnv(), { pid: Number(m[1]), fd: Number(m[2]) });
}

/**
 * The early VRRP child: the one the first process handed over, or one started now unless the command line
 * or the file's text rules it out (-C, KA_NO_PRESPAWN=1, mayWantVrrp).
 */
export function prespawnVrrp(o: CliOptions): EarlyChild | undefined {
  return handedVrrp(o) ?? (wantEarly(o) ? new EarlyChild(childArgv(o, "vrrp"), earlyVrrpEnv()) : undefined);
}
