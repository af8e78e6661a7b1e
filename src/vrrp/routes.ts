/**
 * virtual_ipaddress / static_ipaddress, virtual_routes / static_routes and virtual_rules /
 * static_rules (keepalived.conf(5), ip-address(8) / ip-route(8) / ip-rule(8) syntax already parsed by
 * src/config) turned into rtnetlink requests for src/proto/rtnl-{addr,route,rule}.ts. Routes are tagged protocol keepalived (18)
 * unless the config names one. Unsupported options are reported, not silently dropped.
 */
import type { IpAddressSpec, RouteSpec, RuleSpec } from "../config/model.ts";
import { type AddrRequest, IFA_F } from "../proto/rtnl-addr.ts";
import { RT_SCOPE, RT_TABLE, RTN, RTPROT } from "../proto/rtnl-const.ts";
import { type RouteMetrics, type RouteRequest, RTNH_F } from "../proto/rtnl-route.ts";
import { FIB_RULE, FR_ACT, type RuleRequest } from "../proto/rtnl-rule.ts";
import { addrToBytes } from "../proto/netlink.ts";

/** A request, or why a spec cannot be expressed. */
export type Built<T> = { ok: true; value: T; ignored: string[] } | { ok: false; reason: string };

const ROUTE_TYPES: Record<string, number> = {
  unicast: RTN.UNICAST,
  local: RTN.LOCAL,
  broadcast: RTN.BROADCAST,
  anycast: RTN.ANYCAST,
  multicast: RTN.MULTICAST,
  blackhole: RTN.BLACKHOLE,
  unreachable: RTN.UNREACHABLE,
  prohibit: RTN.PROHIBIT,
  throw: RTN.THROW,
  nat: RTN.NAT,
};
const SCOPES: Record<string, number> = {
  global: RT_SCOPE.UNIVERSE,
  universe: RT_SCOPE.UNIVERSE,
  site: RT_SCOPE.SITE,
  link: RT_SCOPE.LINK,
  host: RT_SCOPE.HOST,
  nowhere: RT_SCOPE.NOWHERE,
};
const PROTOS: Record<string, number> = { kernel: RTPROT.KERNEL, boot: RTPROT.BOOT, static: RTPROT.STATIC, keepalived: RTPROT.KEEPALIVED, dhcp: RTPROT.DHCP };
const METRICS = new Set([
  "mtu",
  "advmss",
  "window",
  "rtt",
  "rttvar",
  "ssthresh",
  "cwnd",
  "initcwnd",
  "initrwnd",
  "hoplimit",
  "reordering",
  "rto_min",
  "features",
  "quickack",
  "congctl",
]);

function prefix(text: string): { addr: string; len: number } {
  const [addr, len] = text.split("/");
  return { addr: addr!, len: len !== undefined ? Number(len) : addr!.includes(":") ? 128 : 32 };
}

const num = (s: string | null | undefined, table: Record<string, number>) =>
  s === null || s === undefined ? undefined : table[s] ?? (/^\d+$/.test(s) ? Number(s) : undefined);

/** A route spec as an rtnetlink request; `ifindex` resolves `dev` names (0 = unknown). */
export function routeRequest(r: RouteSpec, ifindex: (name: string) => number): Built<RouteRequest> {
  const dst = prefix(r.dest);
  const req: RouteRequest = { dst: dst.addr, dstLen: dst.len, protocol: num(r.protocol, PROTOS) ?? RTPROT.KEEPALIVED };
  const type = ROUTE_TYPES[r.type];
  if (type === undefined) return { ok: false, reason: `route type '${r.type}' not supported` };
  req.type = type;
  if (r.dev) {
    const i = ifindex(r.dev);
    if (!i) return { ok: false, reason: `interface ${r.dev} does not exist` };
    req.oif = i;
  }
  if (r.via) req.gateway = r.via;
  if (r.prefSrc) req.prefsrc = r.prefSrc;
  if (r.fromPrefix) {
    const f = prefix(r.fromPrefix);
    req.src = f.addr;
    req.srcLen = f.len;
  }
  if (r.table !== null) req.table = r.table;
  if (r.metric !== null) req.priority = r.metric;
  const scope = num(r.scope, SCOPES);
  if (scope !== undefined) req.scope = scope;
  if (r.onlink) req.flags = RTNH_F.ONLINK;
  if (r.nexthops.length) {
    const hops = [];
    for (const h of r.nexthops) {
      const i = h.dev ? ifindex(h.dev) : 0;
      if (h.dev && !i) return { ok: false, reason: `nexthop interface ${h.dev} does not exist` };
      hops.push({ ifindex: i, gateway: h.via ?? undefined, weight: h.weight ?? 1, flags: h.onlink ? RTNH_F.ONLINK : 0 });
    }
    req.nexthops = hops;
  }
  const ignored: string[] = [];
  const metrics: RouteMetrics = {};
  for (const [k, v] of Object.entries(r.options)) {
    if (METRICS.has(k) && /^\d+$/.test(v)) metrics[k as keyof RouteMetrics] = Number(v);
    else if (k === "tos" && /^(0x)?[0-9a-f]+$/i.test(v)) req.tos = Number(v);
    else ignored.push(`${k} ${v}`);
  }
  if (Object.keys(metrics).length) req.metrics = metrics;
  return { ok: true, value: req, ignored };
}

const RULE_ACTIONS: Record<string, number> = {
  table: FR_ACT.TO_TBL,
  goto: FR_ACT.GOTO,
  nop: FR_ACT.NOP,
  blackhole: FR_ACT.BLACKHOLE,
  unreachable: FR_ACT.UNREACHABLE,
  prohibit: FR_ACT.PROHIBIT,
};

function numRange(v: string): { start: number; end: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  return m ? { start: Number(m[1]), end: Number(m[2] ?? m[1]) } : undefined;
}

/** A rule spec as an rtnetlink request. */
export function ruleRequest(r: RuleSpec): Built<RuleRequest> {
  const req: RuleRequest = { family: r.family === "ipv6" ? 10 : 2, protocol: RTPROT.KEEPALIVED };
  if (r.from && r.from !== "all") {
    const p = prefix(r.from);
    req.src = p.addr;
    req.srcLen = p.len;
  }
  if (r.to && r.to !== "all") {
    const p = prefix(r.to);
    req.dst = p.addr;
    req.dstLen = p.len;
  }
  if (r.preference !== null) req.priority = r.preference;
  const action = RULE_ACTIONS[r.action];
  if (action === undefined) return { ok: false, reason: `rule action '${r.action}' not supported` };
  req.action = action;
  if (action === FR_ACT.TO_TBL) req.table = r.table ?? 254;
  if (r.gotoTarget !== null) req.goto = r.gotoTarget;
  if (r.not) req.flags = FIB_RULE.INVERT;
  const ignored: string[] = [];
  for (const [k, v] of Object.entries(r.options)) {
    if (k === "iif") req.iifname = v;
    else if (k === "oif") req.oifname = v;
    else if (k === "fwmark") {
      const [mark, mask] = v.split("/");
      req.fwmark = Number(mark);
      if (mask !== undefined) req.fwmask = Number(mask);
    } else if (k === "tos" || k === "dsfield") req.tos = Number(v);
    else if (k === "uidrange" && numRange(v)) req.uidRange = numRange(v);
    else if (k === "sport" && numRange(v)) req.sportRange = numRange(v);
    else if (k === "dport" && numRange(v)) req.dportRange = numRange(v);
    else if (k === "ipproto") req.ipProto = v === "tcp" ? 6 : v === "udp" ? 17 : v === "icmp" ? 1 : Number(v);
    else if (k === "suppress_prefixlength") req.suppressPrefixLen = Number(v);
    else if (k === "l3mdev") req.l3mdev = true;
    else ignored.push(`${k} ${v}`);
  }
  return { ok: true, value: req, ignored };
}

const ADDR_SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** An address spec on interface `index` as an rtnetlink request. */
export function addrRequest(v: IpAddressSpec, index: number): AddrRequest {
  return {
    index,
    address: v.address,
    prefixLen: v.prefixLen,
    label: v.label ?? undefined,
    broadcast: v.broadcast && v.broadcast !== "-" && v.broadcast !== "+" ? v.broadcast : undefined,
    scope: num(v.scope, ADDR_SCOPES),
    flags: (v.noDad ? IFA_F.NODAD : 0) | (v.noPrefixRoute ? IFA_F.NOPREFIXROUTE : 0) | (v.home ? IFA_F.HOMEADDRESS : 0) |
      (v.autoJoin ? IFA_F.MCAUTOJOIN : 0),
    preferredLft: v.preferredLftS === 0 ? 0 : undefined,
  };
}

/** Whether a deleted route (destination, prefix, table) is the one `req` installs. */
export function sameRoute(req: RouteRequest, gone: { dst: string; dstLen: number; table: number }): boolean {
  return req.dstLen === gone.dstLen && (req.table ?? RT_TABLE.MAIN) === gone.table && canonIp(req.dst) === canonIp(gone.dst);
}

function canonIp(a: string): string {
  const b = addrToBytes(a);
  return b ? Buffer.from(b).toString("hex") : a;
}
