/**
 * One TCP (optionally TLS) exchange for the stream checkers (TCP_CHECK, HTTP_GET, SSL_GET,
 * SMTP_CHECK) on Bun.connect. A session object drives the protocol; this file owns the socket,
 * the overall deadline (connect_timeout), abort handling and closing the socket exactly once.
 * With bind_if or fwmark the socket is opened through libc (SO_BINDTODEVICE / SO_MARK, then a
 * non-blocking connect awaited with connect-wait.ts until it completes, fails or is cancelled) and
 * only a connected fd is handed to Bun.connect({ fd }).
 */
import type { Socket, TCPSocketConnectOptions } from "bun";
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

/** Bun.connect accepts these at run time although its types omit them. */
interface BindOptions {
  localAddress?: string;
  localPort?: number;
}

/** Runs one exchange; settles within timeoutMs (ms), never rejects, always closes the socket. */
export function runStream(
  ep: Endpoint,
  timeoutMs: number,
  signal: AbortSignal,
  session: StreamSession,
  tls?: StreamTls,
): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => {
    let done = false;
    let tcpUp = false;
    let ready = false;
    let sock: Socket<undefined> | undefined;
    /** A bind_if / fwmark connect not yet handed to Bun. */
    let pendingFd: PendingConnect | undefined;
    // Set once the wait starts (its callback may run before waitConnect returns).
    const wait = { stop: (): void => {} };
    let pending: Uint8Array[] = [];
    const enc = new TextEncoder();
    const where = (): string => (ready ? session.phase() : tcpUp && tls ? "tls: handshake" : "connect");
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      pending = [];
      wait.stop();
      if (sock) closeQuietly(sock);
      if (pendingFd) closeFd(pendingFd.fd);
      pendingFd = undefined;
      resolve(r);
    };
    const onAbort = (): void => finish(fail(`${where()}: aborted`));
    const timer = setTimeout(() => finish(fail(`${where()}: timeout after ${timeoutMs}ms`)), timeoutMs);
    if (signal.aborted) return finish(fail("connect: aborted"));
    signal.addEventListener("abort", onAbort);
    const flush = (s: Socket<undefined>): void => {
      while (pending.length > 0) {
        const head = pending[0] as Uint8Array;
        const n = s.write(head);
        if (n < 0) return finish(fail(`${where()}: write failed`));
        if (n < head.length) {
          pending[0] = head.subarray(n);
          return;
        }
        pending.shift();
      }
    };
    const io: StreamIo = {
      send(data) {
        if (done || !sock) return;
        pending.push(typeof data === "string" ? enc.encode(data) : data);
        flush(sock);
      },
    };
    const becomeReady = (s: Socket<undefined>): void => {
      sock = s;
      ready = true;
      const r = session.onOpen(io);
      if (r) finish(r);
    };
    const opts = {
      ...(tls ? { tls: tlsOptions(tls) } : {}),
      socket: {
        open(s: Socket<undefined>) {
          sock = s;
          tcpUp = true;
          if (done) return closeQuietly(s);
          if (!tls) becomeReady(s);
        },
        handshake(s: Socket<undefined>, _ok: boolean, authError: Error | null) {
          if (done) return;
          const why = handshakeVerdict(authError, tls?.ca !== undefined);
          if (why !== undefined) return finish(fail(why));
          becomeReady(s);
        },
        data(_s: Socket<undefined>, chunk: Uint8Array) {
          if (done) return;
          const r = session.onData(chunk, io);
          if (r) finish(r);
        },
        drain(s: Socket<undefined>) {
          if (!done) flush(s);
        },
        end() {
          if (!done) finish(ready ? session.onEnd() : fail(`${where()}: closed by peer`));
        },
        close(_s: Socket<undefined>, err?: Error) {
          if (done) return;
          if (err) return finish(fail(`${where()}: ${errorText(err)}`));
          finish(ready ? session.onEnd() : fail(`${where()}: closed by peer`));
        },
        error(_s: Socket<undefined>, err: Error) {
          finish(fail(`${where()}: ${errorText(err)}`));
        },
        connectError(_s: Socket<undefined>, err: Error) {
          finish(fail(`connect: ${errorText(err)}`));
        },
      },
    };
    const connect = (target: Record<string, unknown>): void => {
      Bun.connect({ ...opts, ...target } as unknown as TCPSocketConnectOptions<undefined>).then(
        (s) => {
          if (done) closeQuietly(s);
        },
        (err: unknown) => finish(fail(`connect: ${errorText(err)}`)),
      );
    };
    if (ep.bindIf === undefined && !ep.fwmark) {
      return connect({ hostname: ep.address, port: ep.port, ...bindOptions(ep) });
    }
    try {
      pendingFd = startBoundConnect(boundOptions(ep));
    } catch (e) {
      return finish(fail(`connect: ${errorText(e)}`));
    }
    const p = pendingFd;
    wait.stop = waitConnect(p, Infinity, bunLater, (st) => {
      // The overall deadline is the timer above; finish() cancels this wait.
      pendingFd = undefined;
      if (st !== "connected") {
        closeFd(p.fd);
        return finish(fail(`connect: ${st}`));
      }
      connect({ fd: p.fd });
    });
  });
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

function bindOptions(ep: Endpoint): BindOptions {
  const out: BindOptions = {};
  if (ep.bindTo !== undefined) out.localAddress = ep.bindTo;
  if (ep.bindPort !== undefined) out.localPort = ep.bindPort;
  return out;
}

function tlsOptions(t: StreamTls): Record<string, unknown> {
  // Like keepalived, a failed verification is only fatal when a CA was configured;
  // we check authorizationError ourselves in the handshake callback.
  const o: Record<string, unknown> = { rejectUnauthorized: false };
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
