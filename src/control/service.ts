/**
 * The parent's control service (docs/control.md): opens the control socket (src/control/server.ts),
 * keeps what the children report (their ctlSnapshot status, and the vrrpState / rsState / vsState /
 * bfdState events for `watch`), answers `status` from that memory (so it answers while a child
 * restarts), resolves command targets against the running configuration, and sends state changes to
 * the owning child as typed ctlCommand messages, answering the caller with the child's ctlReply.
 */
import type { KeepalivedConfig } from "../config/model.ts";
import type { LoadResult } from "../config/index.ts";
import { formatDiagnostic } from "../config/index.ts";
import { type ChildCommand, errorReply, okReply, type Request } from "../core/control-proto.ts";
import type { ChildSnap } from "../core/control-state.ts";
import type { Message, Role } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import { Overrides, stateFilePath } from "./overrides.ts";
import type { ControlServer, Responder } from "./server.ts";
import { defaultControlPath } from "./socket-path.ts";
import { failoverInstances, rsKeys } from "./targets.ts";
import { buildStatus, type ChildInfo } from "./status.ts";
import { snapshotEvents, type WatchEvent } from "./watch.ts";

/** What the service needs of the parent. */
export interface ControlHost {
  log: Logger;
  pidFile: string;
  configFile: string;
  config(): KeepalivedConfig;
  generation(): number;
  children(): ChildInfo[];
  /** Sends to a running child; false when it is not running. */
  send(role: Role, msg: Message): boolean;
  /** Loads and validates the configuration file (as -t does). */
  load(): LoadResult;
  /** Applies a loaded configuration (as HUP does). */
  /** Applies `r` unless the reload gate refuses it; true when it was taken. */
  reload(r: LoadResult): boolean;
  /** Roles not yet running configuration `generation`. */
  pending(generation: number): Role[];
}

/** How long a child gets to answer a command, ms. */
const CHILD_REPLY_MS = 5000;
/** A snapshot older than this is refreshed before a status answer (and while someone watches), ms. */
const SNAPSHOT_MAX_AGE_MS = 5000;
/** How long a status waits for fresh snapshots before answering with what it has, ms. */
const SNAPSHOT_WAIT_MS = 1000;
/** A status reply is reused this long while no child reports anything, ms. */
const STATUS_CACHE_MS = 100;
/** How long `reload` waits for every child to run the new configuration, ms. */
const RELOAD_CONFIRM_MS = 20_000;

/** The control service of one parent. */
export class ControlService {
  #server: ControlServer | undefined;
  #key = "";
  #overrides = new Overrides(null);
  readonly #snaps = new Map<Role, { snap: ChildSnap; atMs: number }>();
  readonly #watchers = new Set<Responder>();
  readonly #pending = new Map<number, (r: { ok: boolean; message: string } | undefined) => void>();
  #nextId = 1;
  #logDetail: boolean | undefined;
  /** Failover holds in force (instance -> end, wall ms), for a restarted VRRP child. */
  readonly #holds = new Map<string, number>();
  readonly #reloadWaiters: (() => void)[] = [];

  constructor(readonly host: ControlHost) {}

  /** The socket path the configuration asks for, or null when control is off. */
  socketPath(): string | null {
    const c = this.host.config().global.controlSocket;
    return c === null ? null : c.path ?? defaultControlPath(this.host.pidFile);
  }

  /** Opens, moves or closes the socket to match the configuration (start and reload). */
  async configure(): Promise<void> {
    const c = this.host.config().global.controlSocket;
    const path = this.socketPath();
    const key = c && path ? `${path}|${c.mode}|${c.group}` : "";
    if (key === this.#key) return;
    this.#server?.close();
    this.#server = undefined;
    this.#key = key;
    if (!c || !path) return;
    // Loaded here, after the children were spawned: node:net costs the parent ~2 ms to evaluate.
    const { ControlServer } = await import("./server.ts");
    if (this.#key !== key) return; // reconfigured meanwhile
    const server = new ControlServer(path, this.host.log, (req, res) => this.#handle(req, res));
    try {
      await server.listen(c.mode, c.group);
    } catch (e) {
      this.host.log.warn(`control socket ${path}: ${(e as Error).message}; running without a control socket`);
      this.#key = "";
      return;
    }
    this.#server = server;
    this.#overrides = new Overrides(stateFilePath(path));
    const problem = this.#overrides.load();
    if (problem) this.host.log.warn(`control state file ${problem}`);
    this.host.log.info(`control socket listening on ${path}`);
    this.#sendOverrides();
  }

  /** Every message from a child passes here first. */
  onMessage(role: Role, msg: Message): void {
    if (msg.type !== "metrics") this.#statusCache = undefined;
    switch (msg.type) {
      case "ctlSnapshot": {
        const prev = this.#snaps.get(role)?.snap;
        this.#snaps.set(role, { snap: msg.snapshot, atMs: Date.now() });
        for (const e of snapshotEvents(prev, msg.snapshot)) this.#emit(e);
        return;
      }
      case "ctlReply":
        this.#pending.get(msg.id)?.({ ok: msg.ok, message: msg.message });
        return;
      case "vrrpState":
        return this.#emit({ event: "vrrp", instance: msg.instance, state: msg.state, effectivePriority: msg.effectivePriority });
      case "rsState":
        return this.#emit({ event: "realServer", vs: msg.vs, rs: msg.rs, state: msg.state, weight: msg.weight });
      case "vsState":
        return this.#emit({ event: "virtualServer", vs: msg.vs, state: msg.state });
      case "bfdState":
        return this.#emit({ event: "bfd", session: msg.name, state: msg.state });
      case "ready":
        if (msg.generation !== 0) { for (const w of this.#reloadWaiters.splice(0)) w(); }
        return;
      default:
        return;
    }
  }

  /** A (re)started child has its configuration: it gets the overrides, failover holds and log level in force. */
  childStarted(role: Role): void {
    if (role === "check") this.#sendOverrides();
    const now = Date.now();
    for (const [n, until] of [...this.#holds]) if (until <= now) this.#holds.delete(n);
    if (role === "vrrp" && this.#holds.size) void this.#ask("vrrp", { op: "hold", holds: Object.fromEntries(this.#holds) });
    if (this.#logDetail !== undefined) this.host.send(role, this.#command({ op: "logLevel", detail: this.#logDetail }).msg);
  }

  /** A reload was applied: run-time overrides end (persisted ones stay). */
  reloaded(): void {
    this.#overrides.reloaded();
    this.#sendOverrides();
  }

  /** Closes the socket and every watch. */
  close(): void {
    clearInterval(this.#watchTimer);
    this.#watchTimer = undefined;
    this.#server?.close();
    this.#server = undefined;
    this.#key = "";
    for (const f of this.#pending.values()) f(undefined);
  }

  #emit(e: WatchEvent): void {
    if (this.#watchers.size === 0) return;
    const line = { ...e, atMs: Date.now() };
    for (const w of [...this.#watchers]) if (!w.event(line)) this.#watchers.delete(w);
  }

  #command(command: ChildCommand): { id: number; msg: Message } {
    const id = this.#nextId++;
    return { id, msg: { type: "ctlCommand", id, command } };
  }

  /** Sends a command to a child and waits for its reply (undefined: not running or no answer). */
  #ask(role: Role, command: ChildCommand): Promise<{ ok: boolean; message: string } | undefined> {
    const { id, msg } = this.#command(command);
    if (!this.host.send(role, msg)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const t = setTimeout(() => done(undefined), CHILD_REPLY_MS);
      const done = (r: { ok: boolean; message: string } | undefined) => {
        clearTimeout(t);
        this.#pending.delete(id);
        resolve(r);
      };
      this.#pending.set(id, done);
    });
  }

  #sendOverrides(): Promise<{ ok: boolean; message: string } | undefined> {
    return this.#ask("check", this.#overrides.command());
  }

  #handle(req: Request, res: Responder): void {
    const answer = (p: Promise<ReturnType<typeof okReply>>) => p.then((r) => res.reply(r), (e) => res.reply(errorReply("BAD_REQUEST", (e as Error).message)));
    switch (req.cmd) {
      case "status":
        return void this.#refresh().then(() => res.reply(this.#cachedStatus()));
      case "watch":
        this.#watchers.add(res);
        res.onClose(() => this.#watchers.delete(res));
        this.#watchTimer ??= setInterval(() => {
          if (this.#watchers.size) void this.#refresh();
          else {
            clearInterval(this.#watchTimer);
            this.#watchTimer = undefined;
          }
        }, SNAPSHOT_MAX_AGE_MS);
        res.event({ event: "watching", atMs: Date.now(), status: this.#status() });
        return;
      case "failover":
        return void answer(this.#failover(req));
      case "drain":
      case "undrain":
      case "weight":
        return void answer(this.#rsCommand(req));
      case "reload":
        return void answer(this.#reload(req.check));
      case "logLevel":
        return void answer(this.#logLevel(req.level === "debug"));
    }
  }

  /**
   * The status reply, built at most once per STATUS_CACHE_MS while nothing changed: a burst of a
   * thousand calls is one build and one serialisation (the server reuses the text of the same reply).
   */
  #cachedStatus(): ReturnType<typeof okReply> {
    const now = performance.now();
    if (!this.#statusCache || now - this.#statusCache.at > STATUS_CACHE_MS) this.#statusCache = { at: now, reply: okReply(this.#status()) };
    return this.#statusCache.reply;
  }

  #statusCache: { at: number; reply: ReturnType<typeof okReply> } | undefined;
  #watchTimer: ReturnType<typeof setInterval> | undefined;
  readonly #refreshing = new Map<Role, Promise<unknown>>();

  /**
   * Asks each running child whose snapshot is older than SNAPSHOT_MAX_AGE_MS for a fresh one (one
   * request per child however many callers wait) and waits at most SNAPSHOT_WAIT_MS: children push on
   * change only, so check results and the last advert heard are refreshed when someone looks.
   */
  #refresh(): Promise<unknown> {
    const now = Date.now();
    const asks = this.host.children().filter((c) => c.pid !== undefined && now - (this.#snaps.get(c.role)?.atMs ?? 0) > SNAPSHOT_MAX_AGE_MS).map((c) => {
      let p = this.#refreshing.get(c.role);
      if (!p) {
        p = this.#ask(c.role, { op: "snapshot" }).finally(() => this.#refreshing.delete(c.role));
        this.#refreshing.set(c.role, p);
      }
      return p;
    });
    if (!asks.length) return Promise.resolve();
    return Promise.race([Promise.all(asks), Bun.sleep(SNAPSHOT_WAIT_MS)]);
  }

  #status() {
    const g = this.host.config().global;
    return buildStatus({
      pid: process.pid,
      configFile: this.host.configFile,
      generation: this.host.generation(),
      controlSocket: this.socketPath(),
      routerId: g.routerId,
      children: this.host.children(),
      snapshots: this.#snaps,
      overrides: this.#overrides.command(),
      persisted: this.#overrides.persisted(),
      requests: this.#server?.stats ?? { requests: 0, rejected: 0 },
    });
  }

  async #failover(req: Extract<Request, { cmd: "failover" }>) {
    const t = failoverInstances(this.host.config(), req.target);
    if ("reason" in t) return errorReply("UNKNOWN_TARGET", t.reason);
    const r = await this.#ask("vrrp", { op: "failover", instances: t.names, holdMs: req.holdS * 1000, force: req.force });
    if (!r) return errorReply("CHILD_DOWN", "the VRRP child is not running or did not answer");
    this.host.log.info(`keepalived ctl failover ${req.target} --hold ${req.holdS}: ${r.ok ? "" : "refused: "}${r.message}`);
    this.#emit({ event: "command", command: `failover ${req.target}`, ok: r.ok, message: r.message });
    if (r.ok) { for (const n of t.names) this.#holds.set(n, Date.now() + req.holdS * 1000); }
    return r.ok ? okReply({ message: r.message }) : errorReply("REFUSED", r.message);
  }

  async #rsCommand(req: Extract<Request, { cmd: "drain" | "undrain" | "weight" }>) {
    const t = rsKeys(this.host.config(), req);
    if ("reason" in t) return errorReply("UNKNOWN_TARGET", t.reason);
    const persist = req.persist === true;
    if (persist && !this.#server) return errorReply("REFUSED", "no control socket state file to persist to");
    if (req.cmd === "weight") this.#overrides.setWeight(t.keys, req.weight, persist);
    else this.#overrides.setDrained(t.keys, req.cmd === "drain", persist);
    const what = `${req.cmd} ${t.keys.join(", ")}${req.cmd === "weight" ? ` ${req.weight ?? "(configured)"}` : ""}${persist ? " (persisted)" : ""}`;
    this.host.log.info(`keepalived ctl ${what}`);
    const r = await this.#sendOverrides();
    this.#emit({ event: "command", command: what, ok: true, message: r?.message ?? "check child not running; applies when it starts" });
    if (r && !r.ok) return errorReply("REFUSED", r.message);
    return okReply({
      servers: t.keys,
      applied: r !== undefined,
      message: r ? `applied: ${what}` : `stored: ${what}; the check child is not running, it applies when it starts`,
    });
  }

  async #reload(checkOnly: boolean) {
    const r = this.host.load();
    const diagnostics = r.diagnostics.map(formatDiagnostic);
    const usable = r.exitCode !== 4;
    if (checkOnly || !usable) {
      const result = { checked: true, applied: false, exitCode: r.exitCode, diagnostics };
      return usable ? okReply(result, r.exitCode) : errorReply("CONFIG_INVALID", `${this.host.configFile} is not usable; nothing changed`, r.exitCode, result);
    }
    if (!this.host.reload(r)) {
      const result = { checked: true, applied: false, exitCode: r.exitCode, diagnostics };
      return errorReply(
        "CONFIG_INVALID",
        `${this.host.configFile}: the reload was refused (see the diagnostics and the log); nothing changed`,
        r.exitCode || 1,
        result,
      );
    }
    const gen = this.host.generation();
    const deadline = Date.now() + RELOAD_CONFIRM_MS;
    while (this.host.pending(gen).length && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        this.#reloadWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const pending = this.host.pending(gen);
    this.#emit({ event: "command", command: "reload", ok: pending.length === 0, message: `generation ${gen}` });
    const result = { checked: true, applied: pending.length === 0, generation: gen, exitCode: r.exitCode, diagnostics, pending };
    if (pending.length) return errorReply("CHILD_DOWN", `reload sent; ${pending.join(", ")} did not confirm generation ${gen}`, 1, result);
    return okReply(result, r.exitCode);
  }

  async #logLevel(detail: boolean) {
    this.host.log.opts.detail = detail;
    this.#logDetail = detail;
    this.host.log.info(`log level set to ${detail ? "debug" : "info"} by keepalived ctl`);
    const roles = this.host.children().filter((c) => c.pid !== undefined).map((c) => c.role);
    const replies = await Promise.all(roles.map((role) => this.#ask(role, { op: "logLevel", detail })));
    const missing = roles.filter((_, i) => !replies[i]?.ok);
    const level = detail ? "debug" : "info";
    return missing.length
      ? errorReply("CHILD_DOWN", `log level ${level} set in the parent; not confirmed by ${missing.join(", ")}`)
      : okReply({ level, processes: ["parent", ...roles] });
  }
}
