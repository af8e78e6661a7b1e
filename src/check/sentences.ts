/**
 * keepalived 2.2.7's log sentences for checker results, which operators grep for (strings of its
 * binary, and the check_*.c that print them): a checker's success when it comes up or first runs, and
 * its failure when it goes down. TCP / HTTP / SSL were compared with keepalived's own log in the VM
 * (test/vm/tests/36-*); MISC, UDP and PING in test/vm/tests/37-*. SMTP's success sentence is from its
 * source (no SMTP server in the VM); keepalived prints no failure sentence for SMTP_CHECK. DNS_CHECK says
 * nothing on success and "DNS_CHECK (RS) <its wording of the failed step>[ after N retries]" on failure;
 * our reasons are mapped onto its wording (dnsWords; a refused query compared in the VM).
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

const ERRNO: Readonly<Record<string, [number, string]>> = {
  ECONNREFUSED: [111, "Connection refused"],
  EHOSTUNREACH: [113, "No route to host"],
  ENETUNREACH: [101, "Network is unreachable"],
};
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/** keepalived's check_dns.c wording of a failed step, from our DNS_CHECK reason (undefined: none fits). */
export function dnsWords(reason: string): string | undefined {
  if (/no reply within/.test(reason)) return "read timeout from socket";
  const rc = /RCODE (\w+)/.exec(reason);
  if (rc) {
    const n = RCODES.indexOf(rc[1]!);
    return `read error occurred. (rcode = ${n >= 0 ? n : Number(rc[1]!.replace(/^RCODE/, "")) || 0})`;
  }
  const err = /\b(E[A-Z]+)\b/.exec(reason);
  const e = err ? ERRNO[err[1]!] : undefined;
  if (e) return `failed to read socket; errno ${e[0]} (${e[1]})`;
  if (/send failed/.test(reason)) return "failed to write socket.";
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

/** The sentence for a checker going down after `retries` retries (0: none, or its first attempt). */
export function failureSentence(n: SentenceNames, retries: number, reason: string): string | undefined {
  const after = retries > 0 ? ` after ${retries} retries` : "";
  switch (n.kind) {
    case "SMTP":
      return undefined;
    case "DNS": {
      const w = dnsWords(reason);
      return w === undefined ? undefined : `DNS_CHECK (${n.service}) ${w}${after}`;
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
