/**
 * PING_CHECK (keepalived.conf(5)): one ICMP / ICMPv6 echo request (RFC 792, RFC 4443 4.1) per
 * attempt; passes on the matching echo reply from the real server, fails on a destination
 * unreachable / time exceeded quoting our request, or at connect_timeout. The socket comes from
 * src/ffi/icmp-socket.ts and its readiness from the child's reactor, so nothing blocks.
 */
import { parseIp } from "../../core/inet.ts";
import { decodeIcmp, encodeEchoRequest, type IcmpMessage, stripIpv4Header } from "../../proto/icmp.ts";
import { echoFilter } from "../../proto/bpf.ts";
import { type IcmpSocket, openIcmpSocket } from "../../ffi/icmp-socket.ts";
import type { FdWatcher } from "../../ffi/reactor.ts";
import { sockaddrIp } from "../../ffi/sockaddr.ts";
import { type CheckResult, type Endpoint, errorText, fail, pass, type RunCheck } from "./types.ts";

/** Options of one PING_CHECK. */
export interface PingCheckOptions {
  /** Destination (connect_ip or the RS address); port is ignored. bindTo/bindIf/fwmark apply. */
  endpoint: Endpoint;
  /** Deadline of one attempt in ms (connect_timeout). */
  connectTimeoutMs: number;
  /** The child's fd watcher. */
  watcher: FdWatcher;
  /** Opens the socket; injectable for tests. @default openIcmpSocket */
  open?: typeof openIcmpSocket;
}

let nextSeq = Math.floor(Math.random() * 0x10000);

/** Judges one received ICMP message against our request; undefined = not ours. */
export function judgeIcmp(
  m: IcmpMessage,
  id: number | undefined,
  seq: number,
  fromOk: boolean,
): CheckResult | undefined {
  if (m.kind === "echo-reply") {
    if (m.seq !== seq || (id !== undefined && m.id !== id) || !fromOk) return undefined;
    return pass("ping: echo reply");
  }
  if ((m.kind === "unreachable" || m.kind === "time-exceeded") && m.original?.seq === seq) {
    if (id !== undefined && m.original.id !== id) return undefined;
    return fail(`ping: ${m.kind} (code ${m.code})`);
  }
  return undefined;
}

/** Builds a PING_CHECK attempt. */
export function makePingCheck(opts: PingCheckOptions): RunCheck {
  return (signal) =>
    new Promise<CheckResult>((resolve) => {
      const dst = parseIp(opts.endpoint.address);
      if (!dst) return resolve(fail(`ping: bad address ${opts.endpoint.address}`));
      const family = dst.family;
      const src = opts.endpoint.bindTo ? parseIp(opts.endpoint.bindTo) : undefined;
      let s: IcmpSocket;
      try {
        s = (opts.open ?? openIcmpSocket)(family, {
          ...(opts.endpoint.bindIf ? { bindIf: opts.endpoint.bindIf } : {}),
          ...(opts.endpoint.fwmark ? { fwmark: opts.endpoint.fwmark } : {}),
          ...(src ? { bindTo: sockaddrIp(src.bytes) } : {}),
        });
      } catch (e) {
        return resolve(fail(`ping: socket: ${errorText(e)}`));
      }
      const id = Math.floor(Math.random() * 0x10000);
      // A raw socket gets every ICMP message of the host: let the kernel drop the ones not for this ping
      // (other pings' replies, echo requests), so N pings in flight do not each read everyone's. Without
      // the filter (refused) judgeIcmp still picks ours.
      if (s.raw) s.sock.attachFilter(echoFilter(family, id));
      const seq = (nextSeq = (nextSeq + 1) & 0xffff);
      let done = false;
      const finish = (r: CheckResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        opts.watcher.remove(s.sock.fd);
        s.sock.close();
        resolve(r);
      };
      const onAbort = (): void => finish(fail("ping: aborted"));
      const timer = setTimeout(
        () => finish(fail(`ping: no reply within ${opts.connectTimeoutMs}ms`)),
        opts.connectTimeoutMs,
      );
      signal.addEventListener("abort", onAbort);
      const drain = (): void => {
        try {
          for (let d = s.sock.recv(); d && !done; d = s.sock.recv()) {
            let b = d.data;
            if (s.raw && family === "ipv4") {
              const ip = stripIpv4Header(b);
              if (!ip.ok) continue;
              b = ip.value;
            }
            const m = decodeIcmp(family, b, { verifyChecksum: family === "ipv4" });
            if (!m.ok) continue;
            const fromOk = "address" in d.from && d.from.address.join() === dst.bytes.join();
            const r = judgeIcmp(m.value, s.raw ? id : undefined, seq, fromOk);
            if (r) finish(r);
          }
        } catch (e) {
          finish(fail(`ping: receive: ${errorText(e)}`));
        }
      };
      try {
        opts.watcher.add(s.sock.fd, drain);
        const payload = new TextEncoder().encode("keepalived-ts PING_CHECK");
        s.sock.sendTo(encodeEchoRequest(family, { id, seq, payload }), sockaddrIp(dst.bytes));
      } catch (e) {
        finish(fail(`ping: send: ${errorText(e)}`));
      }
    });
}
