/**
 * rtnetlink entry point: re-exports the address / link / route / rule codecs and turns received
 * datagrams (dump replies or RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, route and rule
 * multicast events) into typed events. keepalived uses these events to track interface state
 * (`track_interface`, VMAC parents) and to notice its virtual addresses being removed behind its back.
 *
 * Host byte order: little-endian assumed (see netlink.ts).
 */
import { type NlMessage, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, splitMessages } from "./netlink.ts";
import type { Result } from "./result.ts";
import { type AddrMessage, parseAddrMessage } from "./rtnl-addr.ts";
import { RTM } from "./rtnl-const.ts";
import { type LinkMessage, parseLinkMessage } from "./rtnl-link.ts";
import { parseRouteMessage, type RouteMessage } from "./rtnl-route.ts";
import { parseRuleMessage, type RuleMessage } from "./rtnl-rule.ts";

export * from "./rtnl-addr.ts";
export * from "./rtnl-const.ts";
export * from "./rtnl-link.ts";
export * from "./rtnl-route.ts";
export * from "./rtnl-rule.ts";

/** A typed rtnetlink object: `op` says whether it was created/updated ("new") or removed ("del"). */
export type RtnlEvent =
  | { kind: "link"; op: "new" | "del"; seq: number; link: LinkMessage }
  | { kind: "addr"; op: "new" | "del"; seq: number; addr: AddrMessage }
  | { kind: "route"; op: "new" | "del"; seq: number; route: RouteMessage }
  | { kind: "rule"; op: "new" | "del"; seq: number; rule: RuleMessage };

function wrap<T, E extends RtnlEvent>(r: Result<T>, make: (v: T) => E): Result<E> {
  return r.ok ? { ok: true, value: make(r.value) } : r;
}

/** Decodes one rtnetlink message into a typed event; other message types are an error result. */
export function parseRtnlMessage(msg: NlMessage): Result<RtnlEvent> {
  const t = msg.header.type;
  const seq = msg.header.seq;
  switch (t) {
    case RTM.NEWLINK:
    case RTM.DELLINK:
      return wrap(parseLinkMessage(msg), (link) => ({ kind: "link", op: t === RTM.NEWLINK ? "new" : "del", seq, link }));
    case RTM.NEWADDR:
    case RTM.DELADDR:
      return wrap(parseAddrMessage(msg), (addr) => ({ kind: "addr", op: t === RTM.NEWADDR ? "new" : "del", seq, addr }));
    case RTM.NEWROUTE:
    case RTM.DELROUTE:
      return wrap(parseRouteMessage(msg), (route) => ({ kind: "route", op: t === RTM.NEWROUTE ? "new" : "del", seq, route }));
    case RTM.NEWRULE:
    case RTM.DELRULE:
      return wrap(parseRuleMessage(msg), (rule) => ({ kind: "rule", op: t === RTM.NEWRULE ? "new" : "del", seq, rule }));
    default:
      return { ok: false, reason: `rtnetlink message type ${t} not handled` };
  }
}

/** Events from one datagram, plus a reason for each message that could not be decoded. */
export interface RtnlBatch {
  events: RtnlEvent[];
  /** Messages skipped: unknown types or malformed bodies, each with its reason. */
  skipped: { type: number; reason: string }[];
}

/**
 * Decodes every message of a received datagram. Control messages (NOOP, DONE, ERROR) are ignored here;
 * a malformed framing of the datagram itself is an error result, a bad single message is only skipped.
 */
export function parseRtnlDatagram(buf: Uint8Array): Result<RtnlBatch> {
  const msgs = splitMessages(buf);
  if (!msgs.ok) return msgs;
  const out: RtnlBatch = { events: [], skipped: [] };
  for (const m of msgs.value) {
    const t = m.header.type;
    if (t === NLMSG_NOOP || t === NLMSG_DONE || t === NLMSG_ERROR) continue;
    const ev = parseRtnlMessage(m);
    if (ev.ok) out.events.push(ev.value);
    else out.skipped.push({ type: t, reason: ev.reason });
  }
  return { ok: true, value: out };
}
