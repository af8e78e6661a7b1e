/**
 * DNS_CHECK (keepalived.conf(5)): send one UDP query (`type`, default SOA; `name`, default
 * ".") with a random id. Pass when the reply has the same id, QR set, RCODE NOERROR, exactly
 * one question and that question equals ours (name compared case-insensitively, RFC 4343).
 * Answers are not required. Codec: src/proto/dns.ts (RFC 1035 4.1).
 */
import { decodeMessage, DNS_CLASS_IN, DNS_TYPES, type DnsTypeName, encodeQuery, rcodeName } from "../../proto/dns.ts";
import { runDatagram } from "./datagram.ts";
import { type CheckResult, type Endpoint, fail, pass, type RunCheck } from "./types.ts";

/** Options of one DNS_CHECK. */
export interface DnsCheckOptions {
  /** Server to query (port usually 53). */
  endpoint: Endpoint;
  /** Overall deadline of one attempt in ms (connect_timeout). */
  connectTimeoutMs: number;
  /** Query type. @default "SOA" */
  type?: DnsTypeName;
  /** Query name. @default "." */
  name?: string;
}

/** Builds a DNS_CHECK attempt. */
export function makeDnsCheck(opts: DnsCheckOptions): RunCheck {
  const typeName = opts.type ?? "SOA";
  const qtype = DNS_TYPES[typeName];
  const name = opts.name ?? ".";
  return (signal) => {
    if (qtype === undefined) return Promise.resolve(fail(`dns: unsupported type ${String(typeName)}`));
    const id = crypto.getRandomValues(new Uint16Array(1))[0] as number;
    const query = encodeQuery({ id, name, type: qtype });
    if (!query.ok) return Promise.resolve(fail(`dns: ${query.reason}`));
    return runDatagram(opts.endpoint, opts.connectTimeoutMs, signal, "dns", {
      onOpen: (send) => (send(query.value) ? undefined : fail("dns: send failed")),
      onMessage: (data) => judgeDnsReply(data, id, name, qtype),
      onTimeout: (ms) => fail(`dns: no reply within ${ms}ms`),
    });
  };
}

/** Applies the DNS_CHECK pass rule to one reply datagram. */
export function judgeDnsReply(data: Uint8Array, id: number, name: string, qtype: number): CheckResult {
  const msg = decodeMessage(data);
  if (!msg.ok) return fail(`dns: malformed reply: ${msg.reason}`);
  const m = msg.value;
  if (m.id !== id) return fail(`dns: reply id ${m.id} does not match query id ${id}`);
  if (!m.response) return fail("dns: QR bit clear, not a response");
  if (m.rcode !== 0) return fail(`dns: RCODE ${rcodeName(m.rcode)}`);
  if (m.questions.length !== 1) return fail(`dns: QDCOUNT ${m.questions.length}, want 1`);
  const q = m.questions[0] as { name: string; type: number; class: number };
  const want = name === "." ? "" : name.replace(/\.$/, "");
  if (q.name.toLowerCase() !== want.toLowerCase() || q.type !== qtype || q.class !== DNS_CLASS_IN) {
    return fail(`dns: question ${JSON.stringify(q.name)}/${q.type} does not match query`);
  }
  return pass(`dns: NOERROR, ${m.answers.length} answer(s)`);
}
