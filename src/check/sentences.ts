/**
 * keepalived 2.2.7's log sentences for checker results, which operators grep for (strings of its
 * binary, and the check_*.c that print them): a checker's success when it comes up or first runs, and
 * its failure when it goes down. TCP / HTTP / SSL were compared with keepalived's own log in the VM
 * (test/vm/tests/36-*); MISC, UDP and PING in test/vm/tests/37-*. SMTP's success sentence is from its
 * source (no SMTP server in the VM); keepalived prints no failure sentence for SMTP_CHECK. DNS_CHECK says
 * nothing on success and "DNS_CHECK (RS) <its wording of the failed step>[ after N retries]" on failure;
 * our reasons are mapped onto every wording its check_dns.c has for a failed attempt (dnsWords; a refused
 * query compared in the VM).
 */

/** How the runner names one checker in these sentences. */
export interface SentenceNames {
  /** TCP, HTTP, SSL, UDP, ICMP, SMTP, MISC. */
  readonly kind: string;
  /** The real server as keepalived names it: "[192.0.2.2]:tcp:80". */
  readonly service: string;
  /** The virtual server as keepalived names it (MISC and ICMP sentences carry it). */
  readonly vs?: string;
  /** MISC_CHECK: the script's first word. */
  readonly script?: string;
  /** The configured retry count (MISC says " after N retries" whenever it is non-zero, else " with retry disabled"). */
  readonly retry?: number;
}

/** keepalived's checker types that have these sentences, by our type name. */
export const SENTENCE_KIND: Readonly<Record<string, string>> = {
  TCP_CHECK: "TCP",
  HTTP_GET: "HTTP",
  SSL_GET: "SSL",
  UDP_CHECK: "UDP",
  PING_CHECK: "ICMP",
  SMTP_CHECK: "SMTP",
  MISC_CHECK: "MISC",
  DNS_CHECK: "DNS",
};

/** errno numbers and glibc's strerror text, for the errors a connected UDP socket reports. */
const ERRNO: Readonly<Record<string, [number, string]>> = {
  EPERM: [1, "Operation not permitted"],
  EACCES: [13, "Permission denied"],
  EPROTO: [71, "Protocol error"],
  EMSGSIZE: [90, "Message too long"],
  ENETDOWN: [100, "Network is down"],
  ENETUNREACH: [101, "Network is unreachable"],
  ECONNABORTED: [103, "Software caused connection abort"],
  ECONNRESET: [104, "Connection reset by peer"],
  ENOBUFS: [105, "No buffer space available"],
  ETIMEDOUT: [110, "Connection timed out"],
  ECONNREFUSED: [111, "Connection refused"],
  EHOSTDOWN: [112, "Host is down"],
  EHOSTUNREACH: [113, "No route to host"],
};
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
/** connect(2) errors keepalived's socket_bind_connect counts as "failed to connect" (connect_fail). */
const CONNECT_FAIL = new Set(["ENETUNREACH", "EHOSTUNREACH", "ECONNREFUSED", "EHOSTDOWN", "ENETDOWN", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT"]);

/**
 * keepalived's check_dns.c wording of a failed step, from our DNS_CHECK reason (src/check/checkers/dns.ts,
 * datagram.ts), or undefined when none fits. `service` ("[ip]:udp:port") gives the "[ip]:port" of its
 * connect failure. keepalived has no wording for a reply with another id, QR clear or too short: it passes
 * over such a datagram and the attempt ends in "read timeout from socket", as ours does.
 */
export function dnsWords(reason: string, service = ""): string | undefined {
  if (/no reply within/.test(reason)) return "read timeout from socket";
  const rc = /RCODE (\w+)/.exec(reason);
  if (rc) {
    const n = RCODES.indexOf(rc[1]!);
    return `read error occurred. (rcode = ${n >= 0 ? n : Number(rc[1]!.replace(/^RCODE/, "")) || 0})`;
  }
  if (/send failed/.test(reason)) return "failed to write socket.";
  const code = /\b(E[A-Z]+)\b/.exec(reason)?.[1];
  if (/^dns: socket: /.test(reason)) {
    // The socket could not be bound or connected (keepalived's dns_connect_thread).
    if (code !== undefined && CONNECT_FAIL.has(code)) return `network unreachable for ${service.replace(/:[a-z]+:(\d+)$/, ":$1")}`;
    return "UDP socket bind failed. Rescheduling.";
  }
  const e = code === undefined ? undefined : ERRNO[code];
  if (e) return `failed to read socket; errno ${e[0]} (${e[1]})`;
  return undefined;
}

/** The sentence for a checker that passes after failing, or at its first result. */
export function successSentence(kind: string, service: string, n?: SentenceNames): string | undefined {
  switch (kind) {
    case "TCP":
      return `TCP connection to ${service} success.`;
    case "HTTP":
    case "SSL":
      return `Remote Web server ${service} succeed on service.`;
    case "UDP":
      return `UDP connection to ${service} success.`;
    case "ICMP":
      return `ICMP connection to ${service} success.`;
    case "SMTP":
      return `Remote SMTP server ${service} succeed on service.`;
    case "MISC":
      return n ? `Misc check for [${service} VS ${n.vs ?? ""}] by [${n.script ?? ""}] succeeded.` : undefined;
  }
  return undefined;
}

/** What a failing MISC_CHECK attempt ended with, from its reason (src/check/checkers/misc.ts). */
function miscEnd(reason: string): string {
  const exit = /exit status (\d+)/.exec(reason);
  if (exit) return `failed%s (exited with status ${exit[1]})`;
  if (/timed out/.test(reason)) return "timed out%s";
  const sig = /killed by (\S+)/.exec(reason);
  return sig ? `failed%s (due to signal ${signalNumber(sig[1]!)})` : "failed%s";
}

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};
const signalNumber = (s: string): number => SIGNALS[s] ?? (Number(s) || 0);

/**
 * The sentence for a checker going down after `retries` retries (0: none, or its first attempt). `hasRun`:
 * the checker had a result before (DNS_CHECK then says " after N retries" with its configured retry, even 0).
 */
export function failureSentence(n: SentenceNames, retries: number, reason: string, hasRun = retries > 0): string | undefined {
  const after = retries > 0 ? ` after ${retries} retries` : "";
  switch (n.kind) {
    case "SMTP":
      return undefined;
    case "DNS": {
      const w = dnsWords(reason, n.service);
      const dnsAfter = hasRun ? ` after ${n.retry ?? retries} retries` : "";
      return w === undefined ? undefined : `DNS_CHECK (${n.service}) ${w}${dnsAfter}`;
    }
    case "ICMP":
      return retries > 0 ? `ICMP CHECK on service ${n.service} of ${n.vs ?? ""} failed${after}.` : `ICMP CHECK on service ${n.service} failed.`;
    case "MISC": {
      // keepalived 2.2.7 (seen in the VM): " with retry disabled" when retry is 0.
      const more = n.retry ? ` after ${n.retry} retries` : " with retry disabled";
      return `Misc check for [${n.service} VS ${n.vs ?? ""}] by [${n.script ?? ""}] ${miscEnd(reason).replace("%s", more)}.`;
    }
  }
  return `${n.kind}_CHECK on service ${n.service} failed${after}.`;
}
