/**
 * One UDP exchange for DNS_CHECK and UDP_CHECK on a connected Bun.udpSocket. Connecting the
 * socket makes the kernel deliver ICMP errors (port/host/net unreachable) for it; Bun reads
 * them from the socket error queue and reports them to the error handler (verified with
 * Bun 1.4.5: ECONNREFUSED with errqueue: true), so no FFI is needed for them. bind_if / fwmark
 * use a connected libc socket adopted with Bun.udpSocket({ fd }).
 */
import { openBoundUdp } from "../../ffi/bound-socket.ts";
import { type CheckResult, type Endpoint, errorText, fail } from "./types.ts";

/** Protocol driver for one UDP exchange; callbacks may return a result to finish. */
export interface DatagramSession {
  /** Socket ready: send the probe with `send`. */
  onOpen(send: (data: Uint8Array) => boolean): CheckResult | undefined;
  /** A datagram from the peer. */
  onMessage(data: Uint8Array): CheckResult | undefined;
  /** The deadline passed without a result. */
  onTimeout(timeoutMs: number): CheckResult;
}

/** Runs one exchange; settles within timeoutMs (ms), never rejects, always closes the socket. */
export function runDatagram(
  ep: Endpoint,
  timeoutMs: number,
  signal: AbortSignal,
  label: string,
  session: DatagramSession,
): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => {
    let done = false;
    let sock: { close(): void } | undefined;
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      closeQuietly(sock);
      resolve(r);
    };
    const onAbort = (): void => finish(fail(`${label}: aborted`));
    const timer = setTimeout(() => finish(session.onTimeout(timeoutMs)), timeoutMs);
    if (signal.aborted) return finish(fail(`${label}: aborted`));
    signal.addEventListener("abort", onAbort);
    const onError = (...args: unknown[]): void => {
      // Bun 1.4.5 calls error(err) with the socket as `this`; its types say error(socket, err).
      const err = args.find((a) => a instanceof Error) ?? args[args.length - 1];
      finish(fail(`${label}: ${icmpText(errorText(err))}`));
    };
    let where: Record<string, unknown>;
    try {
      where = socketTarget(ep);
    } catch (e) {
      return finish(fail(`${label}: socket: ${errorText(e)}`));
    }
    const adopted = "fd" in where;
    Bun.udpSocket({
      ...where,
      binaryType: "uint8array",
      socket: {
        data(_s, data) {
          if (done) return;
          const r = session.onMessage(data);
          if (r) finish(r);
        },
        error: onError,
      },
    }).then(
      (s) => {
        sock = s;
        if (done) return closeQuietly(s);
        // Bun sees an adopted fd as unconnected and wants the peer on every send.
        const send = (d: Uint8Array): boolean =>
          done
            ? false
            : adopted
            ? (s as unknown as Sendto).send(d, ep.port, ep.address)
            : (s as unknown as Send).send(d);
        const r = session.onOpen(send);
        if (r) finish(r);
      },
      (err: unknown) => finish(fail(`${label}: socket: ${errorText(err)}`)),
    );
  });
}

/** send() of a connected socket. */
interface Send {
  send(d: Uint8Array): boolean;
}

/** send() of a socket Bun considers unconnected. */
interface Sendto {
  send(d: Uint8Array, port: number, address: string): boolean;
}

/**
 * Where the socket comes from: Bun binds and connects it, or, with bind_if / fwmark, a libc socket
 * with SO_BINDTODEVICE / SO_MARK, already connected, is adopted (ICMP errors still arrive on it).
 */
function socketTarget(ep: Endpoint): Record<string, unknown> {
  if (ep.bindIf !== undefined || ep.fwmark) {
    return {
      fd: openBoundUdp({
        address: ep.address,
        port: ep.port,
        ...(ep.bindIf !== undefined ? { bindIf: ep.bindIf } : {}),
        ...(ep.fwmark ? { fwmark: ep.fwmark } : {}),
        ...(ep.bindTo !== undefined ? { bindTo: ep.bindTo } : {}),
        ...(ep.bindPort !== undefined ? { bindPort: ep.bindPort } : {}),
      }),
    };
  }
  const local: { hostname?: string; port?: number } = {};
  if (ep.bindTo !== undefined) local.hostname = ep.bindTo;
  else if (ep.address.includes(":")) local.hostname = "::";
  if (ep.bindPort !== undefined) local.port = ep.bindPort;
  return { ...local, connect: { hostname: ep.address, port: ep.port } };
}

/** Names the ICMP error behind an errno code. */
function icmpText(code: string): string {
  const what: Record<string, string> = {
    ECONNREFUSED: "ICMP port unreachable",
    EHOSTUNREACH: "ICMP host unreachable",
    ENETUNREACH: "ICMP network unreachable",
  };
  const w = what[code];
  return w ? `${code} (${w})` : code;
}

function closeQuietly(s: { close(): void } | undefined): void {
  try {
    s?.close();
  } catch {
    // already closed
  }
}
