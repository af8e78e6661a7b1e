/**
 * TCP_CHECK (keepalived.conf(5)): the real server passes when a TCP connection to it can be
 * opened within connect_timeout; the connection is closed at once.
 */
import { runStream } from "./stream.ts";
import { type Endpoint, pass, type RunCheck } from "./types.ts";

/** Options of one TCP_CHECK. */
export interface TcpCheckOptions {
  /** Where to connect (connect_ip/connect_port/bindto/bind_port). */
  endpoint: Endpoint;
  /** Overall deadline of one attempt in ms (connect_timeout). */
  connectTimeoutMs: number;
}

/** Builds a TCP_CHECK attempt: connect, then close. */
export function makeTcpCheck(opts: TcpCheckOptions): RunCheck {
  return (signal) =>
    runStream(opts.endpoint, opts.connectTimeoutMs, signal, {
      onOpen: () => pass("connected"),
      onData: () => undefined,
      onEnd: () => pass("connected"),
      phase: () => "connect",
    });
}
