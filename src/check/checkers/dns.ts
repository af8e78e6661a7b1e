/**
 * DNS_CHECK (keepalived.conf(5)): send one UDP query (`type`, default SOA; `name`, default
 * ".") with a random id, and judge the replies as keepalived 2.2.7's check_dns.c does: a datagram
 * shorter than 8 bytes, with another id, or with QR clear is ignored and the attempt waits on for
 * another until connect_timeout ("read timeout from socket"); the first reply with our id and QR set
 * decides: RCODE NOERROR passes, any other RCODE fails. Nothing after the header is looked at (no
 * question, answer or TC check), as in keepalived; our pass reason says what the rest held.
 * Codec: src/proto/dns.ts (RFC 1035 4.1).
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
    let ignored = 0;
    let lastIgnored = "";
    return runDatagram(opts.endpoint, opts.connectTimeoutMs, signal, "dns", {
      onOpen: (send) => (send(query.value) ? undefined : fail("dns: send failed")),
      onMessage: (data) => {
        const v = judgeDnsReply(data, id, name, qtype);
        if (!("ignored" in v)) return v;
        ignored++;
        lastIgnored = v.ignored;
        return undefined;
      },
      onTimeout: (ms) => fail(`dns: no reply within ${ms}ms${ignored ? ` (ignored ${ignored} datagram(s), the last: ${lastIgnored})` : ""}`),
    });
  };
}

/** What one datagram decides: the attempt's result, or why it is passed over (the attempt waits on). */
export type DnsVerdict = CheckResult | { readonly ignored: string };

/** keepalived compares a datagram's length with a pointer's size (8 bytes), not with the 12-byte header. */
const MIN_REPLY_BYTES = 8;

/** Applies keepalived's DNS_CHECK rule to one datagram; `name`/`qtype` only word the pass reason. */
export function judgeDnsReply(data: Uint8Array, id: number, name: string, qtype: number): DnsVerdict {
  if (data.length < MIN_REPLY_BYTES) return { ignored: `datagram of ${data.length} bytes, too small` };
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const got = v.getUint16(0);
  if (got !== id) return { ignored: `reply id ${got} does not match query id ${id}` };
  const flags = v.getUint16(2);
  if ((flags & 0x8000) === 0) return { ignored: "QR bit clear, not a response" };
  const rcode = flags & 0x000f;
  if (rcode !== 0) return fail(`dns: RCODE ${rcodeName(rcode)}`);
  return pass(`dns: NOERROR, ${restOfReply(data, name, qtype)}`);
}

/** What the reply holds after its header, for the pass reason (keepalived does not look). */
function restOfReply(data: Uint8Array, name: string, qtype: number): string {
  const msg = decodeMessage(data);
  if (!msg.ok) return `rest of the reply not parsed (${msg.reason})`;
  const m = msg.value;
  const q = m.questions[0];
  const want = name === "." ? "" : name.replace(/\.$/, "");
  const same = m.questions.length === 1 && q !== undefined && q.name.toLowerCase() === want.toLowerCase() && q.type === qtype &&
    q.class === DNS_CLASS_IN;
  return `${m.answers.length} answer(s)${same ? "" : ", question differs from ours"}`;
}
