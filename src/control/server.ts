/**
 * The control socket server (docs/control.md): an AF_UNIX stream listener in the parent. Each
 * connection sends one request line (src/core/control-proto.ts) and gets one reply line, or, for
 * `watch`, event lines until it closes. A request longer than MAX_REQUEST_BYTES, not complete within
 * REQUEST_TIMEOUT_MS, or malformed gets an error reply and the connection is closed; each such
 * rejection is counted and logged (rate-limited). There is no network listener for control.
 * Access control is the file system's: the socket is 0600 (or the configured mode and group) in a
 * directory only we can write (src/control/socket-path.ts). Bun.listen, not node:net: that module costs
 * the parent ~1.5 MiB of anonymous memory; Bun's socket writes what the kernel takes, so each connection
 * queues the rest itself and sends it on drain.
 */
import type { Socket, TCPSocketListener, UnixSocketListener } from "bun";
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

const enc = new TextEncoder();

/** One connection: its request bytes until the newline, then what is still to be written. */
class Conn {
  done = false;
  closed = false;
  readonly closers: (() => void)[] = [];
  readonly #chunks: Uint8Array[] = [];
  #size = 0;
  #out: Uint8Array[] = [];
  #queued = 0;
  #ending = false;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(readonly s: Socket<Conn>, readonly onLine: (line: string) => void, readonly onBad: (r: Reply, why: string) => void) {
    this.#timer = setTimeout(() => {
      if (this.done) return;
      this.done = true;
      onBad(errorReply("TIMEOUT", `no complete request within ${REQUEST_TIMEOUT_MS} ms`), "slow request");
    }, REQUEST_TIMEOUT_MS);
  }

  onData(b: Uint8Array): void {
    if (this.done) return;
    const nl = b.indexOf(10);
    const part = nl < 0 ? b : b.subarray(0, nl);
    this.#size += part.length;
    if (this.#size > MAX_REQUEST_BYTES) {
      this.#finish();
      this.onBad(errorReply("TOO_LARGE", `request longer than ${MAX_REQUEST_BYTES} bytes`), "oversized request");
      return;
    }
    this.#chunks.push(part.slice());
    if (nl < 0) return;
    this.#finish();
    this.onLine(Buffer.concat(this.#chunks).toString("utf8"));
  }

  onEnd(): void {
    if (this.done) return;
    this.#finish();
    this.onBad(errorReply("BAD_REQUEST", "connection closed before a complete request line"), "truncated request");
  }

  #finish(): void {
    this.done = true;
    clearTimeout(this.#timer);
  }

  /** Bytes accepted but not yet taken by the kernel. */
  queued(): number {
    return this.#queued;
  }

  write(text: string): void {
    if (this.closed || this.#ending) return;
    this.#out.push(enc.encode(text));
    this.#queued += this.#out.at(-1)!.length;
    if (this.#out.length === 1) this.flush();
  }

  /** Writes `text`, then closes once everything queued has gone out. */
  end(text: string): void {
    this.write(text);
    this.#ending = true;
    this.flush();
  }

  /** Writes what the socket takes now; the rest waits for drain. */
  flush(): void {
    while (!this.closed && this.#out.length > 0) {
      const b = this.#out[0]!;
      const n = this.s.write(b);
      if (n <= 0) return;
      this.#queued -= n;
      if (n < b.length) {
        this.#out[0] = b.subarray(n);
        return;
      }
      this.#out.shift();
    }
    if (this.#ending && this.#out.length === 0 && !this.closed) this.s.end();
  }

  destroy(): void {
    if (!this.closed) this.s.terminate();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.#finish();
    this.#out = [];
    for (const f of this.closers) f();
  }
}

/** Most connections open at once; more are answered BUSY. */
const MAX_CONNECTIONS = 4096;
// Bun listens with a backlog of 512; `keepalived ctl` retries a refused connect (src/control/client.ts
// connectRetry), so a burst of a thousand calls is still served.
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
  #server: UnixSocketListener<Conn> | TCPSocketListener<Conn> | undefined;
  #ino = 0;
  /** We created the socket's directory: removed at close when empty (a state file keeps it). */
  #madeDir = false;
  #open = new Set<Conn>();
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
    this.#server = Bun.listen<Conn>({
      unix: this.path,
      socket: {
        open: (s) => this.#accept(s),
        data: (s, b) => s.data.onData(b),
        drain: (s) => s.data.flush(),
        end: (s) => s.data.onEnd(),
        close: (s) => s.data.onClose(),
        error: (s) => s.terminate(),
      },
    });
    this.#ino = secureSocket(this.path, mode, uid, gid).ino;
  }

  #accept(s: Socket<Conn>): void {
    const c = new Conn(s, (line) => this.#request(c, line), (r, why) => this.#reject(c, r, why));
    s.data = c;
    if (this.#open.size >= MAX_CONNECTIONS) {
      c.done = true;
      this.#reject(c, errorReply("BUSY", `more than ${MAX_CONNECTIONS} control connections open`), "too many connections");
      return;
    }
    this.#open.add(c);
    c.closers.push(() => this.#open.delete(c));
  }

  #request(s: Conn, line: string): void {
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
        s.end(this.#text(r));
      },
      event: (e) => {
        if (s.closed || s.queued() > MAX_WATCH_BACKLOG) {
          s.destroy();
          return false;
        }
        s.write(JSON.stringify(e) + "\n");
        return true;
      },
      onClose: (f) => s.closers.push(f),
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

  #reject(s: Conn, r: Reply, why: string): void {
    this.stats.rejected++;
    this.#bad.warn("control", `control socket: rejected a ${why}`);
    s.end(JSON.stringify(r) + "\n");
    setTimeout(() => s.destroy(), 1000).unref?.();
  }

  /** Stops listening, closes every connection and removes the socket (if it is still ours). */
  close(): void {
    this.#server?.stop(true);
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
