/**
 * The control socket server (docs/control.md): an AF_UNIX stream listener in the parent. Each
 * connection sends one request line (src/core/control-proto.ts) and gets one reply line, or, for
 * `watch`, event lines until it closes. A request longer than MAX_REQUEST_BYTES, not complete within
 * REQUEST_TIMEOUT_MS, or malformed gets an error reply and the connection is closed; each such
 * rejection is counted and logged (rate-limited). There is no network listener for control.
 * Access control is the file system's: the socket is 0600 (or the configured mode and group) in a
 * directory only we can write (src/control/socket-path.ts).
 */
import { createServer, type Server, type Socket } from "node:net";
import { readFileSync, rmdirSync } from "node:fs";
import { dirname } from "node:path";
import { errorReply, MAX_REQUEST_BYTES, parseRequest, type Reply, type Request, REQUEST_TIMEOUT_MS } from "../core/control-proto.ts";
import { type Logger, RateLimitedLog } from "../core/log.ts";
import { findGroup } from "../core/script.ts";
import { clearSocketPath, prepareDirectory, removeOwnSocket, secureSocket } from "./socket-path.ts";

/** A connection's way to answer: one reply (then closed), or a stream of lines (watch). */
export interface Responder {
  reply(r: Reply): void;
  /** Sends one event line; false when the client is gone or too slow (the watch ends). */
  event(e: unknown): boolean;
  /** Called when the client goes away. */
  onClose(f: () => void): void;
}

/** Handles one validated request. */
export type RequestHandler = (req: Request, res: Responder) => void;

/** Most connections open at once; more are answered BUSY. */
const MAX_CONNECTIONS = 4096;
/**
 * listen(2) backlog asked for. Bun 1.4 listens with 512 whatever is asked; `keepalived ctl` retries a
 * refused connect (src/control/client.ts connectRetry), so a burst of a thousand calls is still served.
 */
const LISTEN_BACKLOG = 4096;
/** A watcher whose unread output passes this is dropped. */
const MAX_WATCH_BACKLOG = 1 << 20;

/** Counters of the server (for tests and the status reply). */
export interface ServerStats {
  requests: number;
  rejected: number;
}

/** A listening control socket. */
export class ControlServer {
  readonly stats: ServerStats = { requests: 0, rejected: 0 };
  #server: Server | undefined;
  #ino = 0;
  /** We created the socket's directory: removed at close when empty (a state file keeps it). */
  #madeDir = false;
  #open = new Set<Socket>();
  readonly #bad: RateLimitedLog;

  constructor(readonly path: string, readonly log: Logger, readonly handle: RequestHandler) {
    this.#bad = new RateLimitedLog(log);
  }

  /** Creates the socket safely and listens; throws ControlPathError (or a listen error) on failure. */
  async listen(mode: number, group: string | null): Promise<void> {
    const uid = process.geteuid?.() ?? 0;
    let gid: number | null = null;
    if (group !== null) {
      gid = findGroup(readFileSync("/etc/group", "utf8"), group) ?? null;
      if (gid === null) throw new Error(`control_socket: no group '${group}'`);
    }
    this.#madeDir = prepareDirectory(dirname(this.path), uid, gid);
    await clearSocketPath(this.path);
    const server = createServer((s) => this.#accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ path: this.path, backlog: LISTEN_BACKLOG }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (e) => this.log.error(`control socket ${this.path}: ${e.message}`));
    this.#server = server;
    this.#ino = secureSocket(this.path, mode, uid, gid).ino;
  }

  #accept(s: Socket): void {
    if (this.#open.size >= MAX_CONNECTIONS) {
      this.#reject(s, errorReply("BUSY", `more than ${MAX_CONNECTIONS} control connections open`), "too many connections");
      return;
    }
    this.#open.add(s);
    s.on("close", () => this.#open.delete(s));
    s.on("error", () => s.destroy());
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      this.#reject(s, errorReply("TIMEOUT", `no complete request within ${REQUEST_TIMEOUT_MS} ms`), "slow request");
    }, REQUEST_TIMEOUT_MS);
    s.on("data", (b: Buffer) => {
      if (done) return;
      const nl = b.indexOf(10);
      const part = nl < 0 ? b : b.subarray(0, nl);
      size += part.length;
      if (size > MAX_REQUEST_BYTES) {
        done = true;
        clearTimeout(timer);
        this.#reject(s, errorReply("TOO_LARGE", `request longer than ${MAX_REQUEST_BYTES} bytes`), "oversized request");
        return;
      }
      chunks.push(part);
      if (nl < 0) return;
      done = true;
      clearTimeout(timer);
      this.#request(s, Buffer.concat(chunks).toString("utf8"));
    });
    s.on("end", () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.#reject(s, errorReply("BAD_REQUEST", "connection closed before a complete request line"), "truncated request");
    });
  }

  #request(s: Socket, line: string): void {
    const p = parseRequest(line);
    if (!p.ok) {
      this.#reject(s, errorReply("BAD_REQUEST", p.reason), `malformed request (${p.reason})`);
      return;
    }
    this.stats.requests++;
    let replied = false;
    const res: Responder = {
      reply: (r) => {
        if (replied) return;
        replied = true;
        if (!s.destroyed) s.end(this.#text(r));
      },
      event: (e) => {
        if (s.destroyed || s.writableLength > MAX_WATCH_BACKLOG) {
          s.destroy();
          return false;
        }
        s.write(JSON.stringify(e) + "\n");
        return true;
      },
      onClose: (f) => s.once("close", f),
    };
    try {
      this.handle(p.value, res);
    } catch (e) {
      this.log.error(`control ${p.value.cmd}: ${(e as Error).stack ?? e}`);
      res.reply(errorReply("BAD_REQUEST", `internal error: ${(e as Error).message}`));
    }
  }

  #last: { r: Reply; text: string } | undefined;

  /** The reply line; the same reply object (a cached status) is serialised once. */
  #text(r: Reply): string {
    if (this.#last?.r !== r) this.#last = { r, text: JSON.stringify(r) + "\n" };
    return this.#last.text;
  }

  #reject(s: Socket, r: Reply, why: string): void {
    this.stats.rejected++;
    this.#bad.warn("control", `control socket: rejected a ${why}`);
    if (!s.destroyed) s.end(JSON.stringify(r) + "\n");
    setTimeout(() => s.destroy(), 1000).unref?.();
  }

  /** Stops listening, closes every connection and removes the socket (if it is still ours). */
  close(): void {
    this.#server?.close();
    this.#server = undefined;
    for (const s of this.#open) s.destroy();
    this.#open.clear();
    try {
      if (this.#ino) removeOwnSocket(this.path, this.#ino);
    } catch (e) {
      this.log.warn(`cannot remove ${this.path}: ${(e as Error).message}`);
    }
    if (this.#madeDir) {
      try {
        rmdirSync(dirname(this.path));
      } catch { /* not empty (the state file): it stays */ }
    }
  }
}
