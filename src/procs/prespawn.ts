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
import type { Subprocess } from "bun";
import type { CliOptions } from "../cli.ts";
import { readConfigFile, type ReadOutcome } from "../config/read.ts";
import { closeQuietly, socketPair } from "../ffi/libc.ts";
import { childArgs } from "./parent-args.ts";
import { selfCommand } from "./self.ts";
import { childEnv } from "./tuning.ts";

/** A started child process and the parent's end of its channel (the child's fd 3). */
export interface Spawned {
  readonly proc: Subprocess;
  readonly fd: number;
}

/** Called when a spawned child exits (Bun's onExit). */
export type ExitHandler = (status: number | null, signal: string | null) => void;

/** Starts `argv` with a socket pair on its fd 3; `onExit` is read when the child exits, not at the spawn. */
export function spawnWithChannel(argv: string[], env: Record<string, string> | undefined, onExit: () => ExitHandler): Spawned {
  const [ours, theirs] = socketPair();
  const proc: Subprocess = Bun.spawn(argv, {
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

/** The environment a VRRP child gets before any configuration (childEnv, or the parent's own). */
function earlyVrrpEnv(): Record<string, string> {
  return childEnv("vrrp") ?? Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
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

  constructor(readonly argv: string[], readonly env: Record<string, string>) {
    this.spawned = spawnWithChannel(argv, env, () => this.#onExit ?? ((s, sig) => void (this.#exit = [s, sig])));
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

  /** Not wanted: killed (it has no configuration, so nothing to release) and its channel closed; resolves when it is reaped. */
  discard(): Promise<unknown> {
    this.#onExit = () => {};
    this.spawned.proc.kill("SIGKILL");
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

/** Starts the VRRP child early unless the command line or the file's text rules it out (-C, KA_NO_PRESPAWN=1, mayWantVrrp). */
export function prespawnVrrp(o: CliOptions): EarlyChild | undefined {
  if (o.checkOnly || process.env.KA_NO_PRESPAWN === "1" || (!o.all && !mayWantVrrp(o.configFile))) return undefined;
  return new EarlyChild(childArgv(o, "vrrp"), earlyVrrpEnv());
}
