/**
 * One TCP (optionally TLS) exchange for the stream checkers (TCP_CHECK, HTTP_GET, SSL_GET,
 * SMTP_CHECK) on Bun.connect. A session object drives the protocol; this file owns the socket,
 * the overall deadline (connect_timeout), abort handling and closing the socket exactly once.
 * With bind_if or fwmark the socket is opened through libc (SO_BINDTODEVICE / SO_MARK, then a
 * non-blocking connect awaited with connect-wait.ts until it completes, fails or is cancelled) and
 * only a connected fd is handed to Bun.connect({ fd }).
 */
import type { Socket, SocketHandler, TLSOptions } from "bun";
import { type BoundConnect, closeFd, type PendingConnect, startBoundConnect } from "../../ffi/bound-socket.ts";
import { bunLater, waitConnect } from "./connect-wait.ts";
import { type CheckResult, type Endpoint, errorText, fail } from "./types.ts";

/** TLS settings for SSL_GET (keepalived.conf(5) SSL{} block, enable_sni, sni_name). */
export interface StreamTls {
  /** SNI host name; undefined sends no SNI. */
  serverName?: string;
  /** PEM text of CA certificates; when set the server chain must verify against them. */
  ca?: string;
  /** PEM client certificate (SSL{ certificate }). */
  cert?: string;
  /** PEM client key (SSL{ key }). */
  key?: string;
  /** Passphrase of the key (SSL{ password }). */
  passphrase?: string;
}

/** What a session can do to the connection. */
export interface StreamIo {
  /** Queue bytes for sending (partial writes are completed on drain). */
  send(data: Uint8Array | string): void;
}

/** Protocol driver for one exchange; any callback may return a result to finish. */
export interface StreamSession {
  /** Connected (and TLS handshake done). */
  onOpen(io: StreamIo): CheckResult | undefined;
  /** Bytes arrived. */
  onData(chunk: Uint8Array, io: StreamIo): CheckResult | undefined;
  /** Peer closed its side cleanly (FIN / close_notify). */
  onEnd(): CheckResult;
  /** Name of the step in progress, used in timeout / reset reasons ("http: reading body"). */
  phase(): string;
}

declare module "bun" {
  /** Bun.connect adopts the fd of an already connected socket (Bun 1.4.5); bun-types omit the form. */
  function connect<Data = undefined>(
    options: SocketOptions<Data> & { fd: number; tls?: TLSOptions | boolean },
  ): Promise<Socket<Data>>;
  /** Bun.connect binds the local end to these at run time although bun-types omit them. */
  interface TCPSocketConnectOptions<Data = undefined> {
    localAddress?: string;
    localPort?: number;
  }
}

/** Runs one exchange; settles within timeoutMs (ms), never rejects, always closes the socket. */
export function runStream(
  ep: Endpoint,
  timeoutMs: number,
  signal: AbortSignal,
  session: StreamSession,
  tls?: StreamTls,
): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => new StreamRun(timeoutMs, signal, session, tls, resolve).start(ep));
}

const enc = new TextEncoder();

/** One exchange in progress: the socket, the deadline, the send queue, and closing it all once. */
class StreamRun {
  #done = false;
  #tcpUp = false;
  #ready = false;
  #sock: Socket<undefined> | undefined;
  /** A bind_if / fwmark connect not yet handed to Bun. */
  #pendingFd: PendingConnect | undefined;
  /** Cancels the bound connect's wait; set once the wait starts (its callback may run before that). */
  #stopWait = (): void => {};
  #pending: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #io: StreamIo = {
    send: (data) => {
      if (this.#done || !this.#sock) return;
      this.#pending.push(typeof data === "string" ? enc.encode(data) : data);
      this.#flush(this.#sock);
    },
  };

  constructor(
    readonly timeoutMs: number,
    readonly signal: AbortSignal,
    readonly session: StreamSession,
    readonly tls: StreamTls | undefined,
    readonly resolve: (r: CheckResult) => void,
  ) {}

  /** Arms the deadline and connects: through Bun, or through libc first for bind_if / fwmark. */
  start(ep: Endpoint): void {
    this.#timer = setTimeout(() => this.#finish(fail(`${this.#where()}: timeout after ${this.timeoutMs}ms`)), this.timeoutMs);
    if (this.signal.aborted) return this.#finish(fail("connect: aborted"));
    this.signal.addEventListener("abort", this.#onAbort);
    if (ep.bindIf === undefined && !ep.fwmark) {
      return this.#track(Bun.connect({ ...this.#options(), hostname: ep.address, port: ep.port, ...bindOptions(ep) }));
    }
    let p: PendingConnect;
    try {
      p = this.#pendingFd = startBoundConnect(boundOptions(ep));
    } catch (e) {
      return this.#finish(fail(`connect: ${errorText(e)}`));
    }
    this.#stopWait = waitConnect(p, Infinity, bunLater, (st) => {
      // The overall deadline is the timer above; finish() cancels this wait.
      this.#pendingFd = undefined;
      if (st !== "connected") {
        closeFd(p.fd);
        return this.#finish(fail(`connect: ${st}`));
      }
      this.#track(Bun.connect({ ...this.#options(), fd: p.fd }));
    });
  }

  readonly #onAbort = (): void => this.#finish(fail(`${this.#where()}: aborted`));

  /** The step a timeout or reset interrupted. */
  #where(): string {
    return this.#ready ? this.session.phase() : this.#tcpUp && this.tls ? "tls: handshake" : "connect";
  }

  #finish(r: CheckResult): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.signal.removeEventListener("abort", this.#onAbort);
    this.#pending = [];
    this.#stopWait();
    if (this.#sock) closeQuietly(this.#sock);
    if (this.#pendingFd) closeFd(this.#pendingFd.fd);
    this.#pendingFd = undefined;
    this.resolve(r);
  }

  /** Writes what is queued; a partial write keeps the rest for the next drain. */
  #flush(s: Socket<undefined>): void {
    while (this.#pending.length > 0) {
      const head = this.#pending[0] as Uint8Array;
      const n = s.write(head);
      if (n < 0) return this.#finish(fail(`${this.#where()}: write failed`));
      if (n < head.length) {
        this.#pending[0] = head.subarray(n);
        return;
      }
      this.#pending.shift();
    }
  }

  #becomeReady(s: Socket<undefined>): void {
    this.#sock = s;
    this.#ready = true;
    const r = this.session.onOpen(this.#io);
    if (r) this.#finish(r);
  }

  /** A socket Bun hands over after the exchange ended is closed at once. */
  #track(connecting: Promise<Socket<undefined>>): void {
    connecting.then(
      (s) => {
        if (this.#done) closeQuietly(s);
      },
      (err: unknown) => this.#finish(fail(`connect: ${errorText(err)}`)),
    );
  }

  /** Bun.connect options shared by both ways of connecting: TLS and the socket callbacks. */
  #options(): { tls?: TLSOptions; socket: SocketHandler<undefined> } {
    return { ...(this.tls ? { tls: tlsOptions(this.tls) } : {}), socket: this.#handlers() };
  }

  #handlers(): SocketHandler<undefined> {
    const closed = (): CheckResult => (this.#ready ? this.session.onEnd() : fail(`${this.#where()}: closed by peer`));
    return {
      open: (s) => {
        this.#sock = s;
        this.#tcpUp = true;
        if (this.#done) return closeQuietly(s);
        if (!this.tls) this.#becomeReady(s);
      },
      handshake: (s, _ok, authError) => {
        if (this.#done) return;
        const why = handshakeVerdict(authError, this.tls?.ca !== undefined);
        if (why !== undefined) return this.#finish(fail(why));
        this.#becomeReady(s);
      },
      data: (_s, chunk) => {
        if (this.#done) return;
        const r = this.session.onData(chunk, this.#io);
        if (r) this.#finish(r);
      },
      drain: (s) => {
        if (!this.#done) this.#flush(s);
      },
      end: () => {
        if (!this.#done) this.#finish(closed());
      },
      close: (_s, err?: Error) => {
        if (this.#done) return;
        if (err) return this.#finish(fail(`${this.#where()}: ${errorText(err)}`));
        this.#finish(closed());
      },
      error: (_s, err) => this.#finish(fail(`${this.#where()}: ${errorText(err)}`)),
      connectError: (_s, err) => this.#finish(fail(`connect: ${errorText(err)}`)),
    };
  }
}

/**
 * Bun reports both a failed handshake (EPROTO, "SSL routines") and a certificate that did not
 * verify through the handshake callback. A failed handshake always fails; a chain that does not
 * verify fails only when a CA was configured; host name mismatches are ignored (keepalived does
 * not check the name either).
 */
export function handshakeVerdict(err: Error | null, haveCa: boolean): string | undefined {
  if (!err) return undefined;
  const code = (err as { code?: unknown }).code;
  const isVerify = typeof code === "string" &&
    /CERT|SIGNED|ISSUER|VERIFY|CHAIN|EXPIRED|REVOKED|ALTNAME/.test(code);
  if (!isVerify) return `tls: handshake failed: ${err.message || errorText(err)}`;
  if (!haveCa || code === "ERR_TLS_CERT_ALTNAME_INVALID") return undefined;
  return `tls: certificate not trusted: ${code}`;
}

/** The libc connect options of an endpoint with bind_if / fwmark. */
export function boundOptions(ep: Endpoint): BoundConnect {
  return {
    address: ep.address,
    port: ep.port,
    ...(ep.bindIf !== undefined ? { bindIf: ep.bindIf } : {}),
    ...(ep.fwmark ? { fwmark: ep.fwmark } : {}),
    ...(ep.bindTo !== undefined ? { bindTo: ep.bindTo } : {}),
    ...(ep.bindPort !== undefined ? { bindPort: ep.bindPort } : {}),
  };
}

function bindOptions(ep: Endpoint): { localAddress?: string; localPort?: number } {
  const out: { localAddress?: string; localPort?: number } = {};
  if (ep.bindTo !== undefined) out.localAddress = ep.bindTo;
  if (ep.bindPort !== undefined) out.localPort = ep.bindPort;
  return out;
}

function tlsOptions(t: StreamTls): TLSOptions {
  // Like keepalived, a failed verification is only fatal when a CA was configured;
  // we check authorizationError ourselves in the handshake callback.
  const o: TLSOptions = { rejectUnauthorized: false };
  if (t.serverName !== undefined) o.serverName = t.serverName;
  if (t.ca !== undefined) o.ca = t.ca;
  if (t.cert !== undefined) o.cert = t.cert;
  if (t.key !== undefined) o.key = t.key;
  if (t.passphrase !== undefined) o.passphrase = t.passphrase;
  return o;
}

function closeQuietly(s: Socket<undefined>): void {
  try {
    // end() sends FIN (and a TLS close_notify) and releases the socket at once here
    // because allowHalfOpen is false.
    s.end();
  } catch {
    // already closed
  }
}
