/**
 * One UDP exchange for DNS_CHECK and UDP_CHECK on a connected Bun.udpSocket. Connecting the
 * socket makes the kernel deliver ICMP errors (port/host/net unreachable) for it; Bun reads
 * them from the socket error queue and reports them to the error handler (verified with
 * Bun 1.4.5: ECONNREFUSED with errqueue: true), so no FFI is needed for them. bind_if / fwmark
 * use a connected libc socket adopted with Bun.udpSocket({ fd }).
 */
import type { udp } from "bun";
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
    let where: SocketTarget;
    try {
      where = socketTarget(ep);
    } catch (e) {
      return finish(fail(`${label}: socket: ${errorText(e)}`));
    }
    const socket = {
      data(_s: unknown, data: Uint8Array) {
        if (done) return;
        const r = session.onMessage(data);
        if (r) finish(r);
      },
      error: onError,
    };
    // Bun sees an adopted fd as unconnected and wants the peer on every send.
    const opened: Promise<[{ close(): void }, (d: Uint8Array) => boolean]> = "fd" in where
      ? Bun.udpSocket({ ...where, binaryType: "uint8array", socket })
        .then((s) => [s, (d: Uint8Array) => s.send(d, ep.port, ep.address)])
      : udpConnected({ ...where, binaryType: "uint8array", socket }).then((s) => [s, (d: Uint8Array) => s.send(d)]);
    opened.then(
      ([s, sendNow]) => {
        sock = s;
        if (done) return closeQuietly(s);
        const r = session.onOpen((d) => (done ? false : sendNow(d)));
        if (r) finish(r);
      },
      (err: unknown) => finish(fail(`${label}: socket: ${errorText(err)}`)),
    );
  });
}

/**
 * Bun.udpSocket's connecting overload: bun-types lists the unconnected one first, and an options object
 * with `connect` matches that one too.
 */
const udpConnected: (o: udp.ConnectSocketOptions<"uint8array">) => Promise<udp.ConnectedSocket<"uint8array">> = Bun.udpSocket.bind(Bun);

/** An adopted libc socket (already connected), or where Bun binds and connects its own. */
type SocketTarget =
  | { fd: number }
  | { hostname?: string; port?: number; connect: { hostname: string; port: number } };

/**
 * Where the socket comes from: Bun binds and connects it, or, with bind_if / fwmark, a libc socket
 * with SO_BINDTODEVICE / SO_MARK, already connected, is adopted (ICMP errors still arrive on it).
 */
function socketTarget(ep: Endpoint): SocketTarget {
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
