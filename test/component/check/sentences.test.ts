/** keepalived 2.2.7's checker sentences (src/check/sentences.ts), word for word as its binary prints them. */
import { describe, expect, test } from "bun:test";
import { failureSentence, successSentence } from "../../../src/check/sentences.ts";

const rs = "[127.0.0.9]:tcp:80";
const misc = { kind: "MISC", service: rs, vs: "[192.0.2.20]:tcp:80", script: "/tmp/bad.sh", retry: 0 };

describe("checker sentences", () => {
  test("success", () => {
    expect(successSentence("UDP", rs)).toBe(`UDP connection to ${rs} success.`);
    expect(successSentence("ICMP", rs)).toBe(`ICMP connection to ${rs} success.`);
    expect(successSentence("SMTP", rs)).toBe(`Remote SMTP server ${rs} succeed on service.`);
    expect(successSentence("MISC", rs, misc)).toBe(`Misc check for [${rs} VS [192.0.2.20]:tcp:80] by [/tmp/bad.sh] succeeded.`);
    expect(successSentence("DNS", rs)).toBeUndefined();
  });

  test("failure", () => {
    expect(failureSentence({ kind: "UDP", service: rs }, 0, "udp: x")).toBe(`UDP_CHECK on service ${rs} failed.`);
    expect(failureSentence({ kind: "UDP", service: rs }, 2, "udp: x")).toBe(`UDP_CHECK on service ${rs} failed after 2 retries.`);
    expect(failureSentence({ kind: "ICMP", service: rs, vs: "[192.0.2.20]:tcp:80" }, 0, "")).toBe(`ICMP CHECK on service ${rs} failed.`);
    expect(failureSentence({ kind: "ICMP", service: rs, vs: "[192.0.2.20]:tcp:80" }, 3, "")).toBe(
      `ICMP CHECK on service ${rs} of [192.0.2.20]:tcp:80 failed after 3 retries.`,
    );
    expect(failureSentence(misc, 0, "misc: exit status 1")).toBe(
      `Misc check for [${rs} VS [192.0.2.20]:tcp:80] by [/tmp/bad.sh] failed with retry disabled (exited with status 1).`,
    );
    expect(failureSentence({ ...misc, retry: 2 }, 2, "misc: timed out after 5000ms")).toBe(
      `Misc check for [${rs} VS [192.0.2.20]:tcp:80] by [/tmp/bad.sh] timed out after 2 retries.`,
    );
    expect(failureSentence(misc, 0, "misc: killed by SIGKILL")).toBe(
      `Misc check for [${rs} VS [192.0.2.20]:tcp:80] by [/tmp/bad.sh] failed with retry disabled (due to signal 9).`,
    );
    expect(failureSentence({ kind: "SMTP", service: rs }, 0, "smtp: x")).toBeUndefined();
    const dns = { kind: "DNS", service: "[127.0.0.11]:udp:53" };
    expect(failureSentence(dns, 0, "dns: ECONNREFUSED (ICMP port unreachable)")).toBe(
      "DNS_CHECK ([127.0.0.11]:udp:53) failed to read socket; errno 111 (Connection refused)",
    );
    expect(failureSentence(dns, 3, "dns: no reply within 3000ms")).toBe("DNS_CHECK ([127.0.0.11]:udp:53) read timeout from socket after 3 retries");
    expect(failureSentence(dns, 0, "dns: RCODE NXDOMAIN")).toBe("DNS_CHECK ([127.0.0.11]:udp:53) read error occurred. (rcode = 3)");
    // Every wording keepalived 2.2.7's check_dns.c has for a failed attempt (its binary's strings).
    const words = (reason: string) => failureSentence(dns, 0, reason)?.replace("DNS_CHECK ([127.0.0.11]:udp:53) ", "");
    expect(words("dns: no reply within 3000ms (ignored 2 datagram(s), the last: reply id 8 does not match query id 7)")).toBe(
      "read timeout from socket",
    );
    expect(words("dns: RCODE SERVFAIL")).toBe("read error occurred. (rcode = 2)");
    expect(words("dns: RCODE RCODE9")).toBe("read error occurred. (rcode = 9)");
    expect(words("dns: send failed")).toBe("failed to write socket.");
    expect(words("dns: EHOSTUNREACH (ICMP host unreachable)")).toBe("failed to read socket; errno 113 (No route to host)");
    expect(words("dns: ENETUNREACH (ICMP network unreachable)")).toBe("failed to read socket; errno 101 (Network is unreachable)");
    expect(words("dns: EMSGSIZE")).toBe("failed to read socket; errno 90 (Message too long)");
    expect(words("dns: socket: ENETUNREACH")).toBe("network unreachable for [127.0.0.11]:53");
    expect(words("dns: socket: EADDRNOTAVAIL")).toBe("UDP socket bind failed. Rescheduling.");
    expect(words("dns: aborted")).toBeUndefined();
    // keepalived appends its configured retry once the checker has run, " after 0 retries" too; never at the first attempt.
    expect(failureSentence({ ...dns, retry: 0 }, 0, "dns: send failed", true)).toBe("DNS_CHECK ([127.0.0.11]:udp:53) failed to write socket. after 0 retries");
    expect(failureSentence({ ...dns, retry: 3 }, 0, "dns: send failed", false)).toBe("DNS_CHECK ([127.0.0.11]:udp:53) failed to write socket.");
  });
});
