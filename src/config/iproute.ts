/**
 * `ip addr` / `ip route` / `ip rule`-style entries as used by keepalived.conf(5) virtual_ipaddress,
 * virtual_ipaddress_excluded, static_ipaddress, virtual_routes, static_routes, virtual_rules and
 * static_rules. Typed fields for what the runtime acts on; other route/rule attributes kept as text.
 */
import type { Token } from "./lexer.ts";
import type { Family, IpAddressSpec, NextHopSpec, RouteSpec, RuleSpec } from "./model.ts";
import type { Ctx } from "./tree.ts";
import { CONF_FAMILY, parseIp, parsePrefix, parseRouteDest } from "./ip.ts";
import { toInt } from "./values.ts";

const TABLES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };
const ROUTE_TYPES = new Set([
  "unicast",
  "blackhole",
  "unreachable",
  "prohibit",
  "throw",
  "local",
  "broadcast",
  "anycast",
  "multicast",
  "nat",
]);
const RULE_ACTIONS = new Set(["nop", "blackhole", "unreachable", "prohibit"]);
/** Route attributes that take one value and are kept as text. */
const ROUTE_OPTS = new Set([
  "mtu",
  "advmss",
  "window",
  "rtt",
  "rttvar",
  "rto_min",
  "ssthresh",
  "cwnd",
  "initcwnd",
  "initrwnd",
  "features",
  "quickack",
  "congctl",
  "pref",
  "fastopen_no_cookie",
  "hoplimit",
  "reordering",
  "realms",
  "tos",
  "dsfield",
  "expires",
  "vrf",
  "ttl-propagate",
  "encap",
]);
const RULE_OPTS = new Set([
  "iif",
  "oif",
  "fwmark",
  "tos",
  "dsfield",
  "uidrange",
  "sport",
  "dport",
  "ipproto",
  "realms",
  "suppress_prefixlength",
  "sup_pl",
  "suppress_ifgroup",
  "sup_group",
  "l3mdev",
  "protocol",
  "tunnel-id",
  "ip_proto",
  "lookup",
]);

function readTable(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  return TABLES[s] ?? toInt(s);
}

/** An address entry with every option at its default. */
function blankAddress(p: { ip: { family: Family; text: string }; len: number }, at: Ctx["at"]) {
  return {
    family: p.ip.family,
    address: p.ip.text,
    prefixLen: p.len,
    broadcast: null as string | null,
    dev: null as string | null,
    scope: null as string | null,
    label: null as string | null,
    peer: null as string | null,
    noDad: false,
    noPrefixRoute: false,
    home: false,
    autoJoin: false,
    noTrack: false,
    preferredLftS: null as number | null,
    useVmac: false,
    vmacName: null as string | null,
    trackGroup: null as string | null,
    src: at,
  };
}
type AddressDraft = ReturnType<typeof blankAddress>;

/** Applies the option at words[i] to `a`; returns the index of the last word it used. */
function addressOption(a: AddressDraft, words: readonly Token[], i: number, ctx: Ctx): number {
  const w = words[i]!.text;
  const v = words[i + 1]?.text;
  const take = (): string | undefined => {
    if (v === undefined) ctx.diags.error(ctx.at, `address option '${w}' is missing its value`);
    else i++;
    return v;
  };
  switch (w) {
    case "brd":
    case "broadcast":
      a.broadcast = take() ?? null;
      break;
    case "dev":
      a.dev = take() ?? null;
      break;
    case "scope":
      a.scope = take() ?? null;
      break;
    case "label":
      a.label = take() ?? null;
      break;
    case "peer": {
      const pv = take();
      if (pv !== undefined && !parsePrefix(pv)) ctx.diags.error(ctx.at, `invalid peer address '${pv}'`);
      a.peer = pv ?? null;
      break;
    }
    case "home":
      a.home = true;
      break;
    case "-nodad":
    case "nodad":
      a.noDad = true;
      break;
    case "noprefixroute":
      a.noPrefixRoute = true;
      break;
    case "autojoin":
      a.autoJoin = true;
      break;
    case "no_track":
      a.noTrack = true;
      break;
    case "preferred_lft": {
      const lv = take();
      if (lv === "forever") a.preferredLftS = null;
      else if (lv === "0") a.preferredLftS = 0;
      else if (lv !== undefined) ctx.diags.error(ctx.at, `preferred_lft must be 0 or forever, not '${lv}'`);
      break;
    }
    case "use_vmac":
      // keepalived 2.2.7 takes no name here (a word after it is an unknown option); the VMAC is named at
      // validation (src/config/vmac-addr.ts).
      a.useVmac = true;
      break;
    case "track_group":
      a.trackGroup = take() ?? null;
      break;
    default:
      ctx.diags.error(ctx.at, `unknown address option '${w}' ignored`);
  }
  return i;
}

/** Parse one address entry; reports and returns undefined when the address is bad. */
export function parseAddressEntry(words: readonly Token[], ctx: Ctx): IpAddressSpec | undefined {
  const first = words[0]?.text ?? "";
  const p = parsePrefix(first);
  if (!p) {
    ctx.diags.error(ctx.at, `invalid IP address '${first}'; entry skipped`);
    return undefined;
  }
  const a = blankAddress(p, ctx.at);
  for (let i = 1; i < words.length; i++) i = addressOption(a, words, i, ctx);
  return a;
}

/** A route entry with every option at its default. */
function blankRoute(at: Ctx["at"]) {
  return {
    family: "ipv4" as Family,
    type: "unicast",
    dest: "",
    prefSrc: null as string | null,
    fromPrefix: null as string | null,
    via: null as string | null,
    dev: null as string | null,
    table: null as number | null,
    metric: null as number | null,
    scope: null as string | null,
    protocol: null as string | null,
    onlink: false,
    noTrack: false,
    nexthops: [] as NextHopSpec[],
    options: {} as Record<string, string>,
    trackGroup: null as string | null,
    src: at,
  };
}
type RouteDraft = ReturnType<typeof blankRoute>;

/**
 * Applies the option (or the destination) at words[i] to `r`; returns the index of the last word it
 * used, or undefined when the destination is bad and the route is skipped.
 */
function routeOption(r: RouteDraft, st: { fam: Family | null }, words: readonly Token[], i: number, ctx: Ctx): number | undefined {
  const t = (k: number): string | undefined => words[k]?.text;
  const w = t(i)!;
  const v = t(i + 1);
  const take = (): string | undefined => {
    if (v === undefined) ctx.diags.error(ctx.at, `route option '${w}' is missing its value`);
    else i++;
    return v;
  };
  const addr = (s: string | undefined): string | null => {
    if (s === undefined) return null;
    const ip = parseIp(s);
    if (!ip) {
      ctx.diags.error(ctx.at, `invalid address '${s}' in route`);
      return null;
    }
    st.fam ??= ip.family;
    return ip.text;
  };
  if (w === "src") r.prefSrc = addr(take());
  else if (w === "from") r.fromPrefix = take() ?? null;
  else if (w === "via" || w === "gw") {
    if (w === "gw") ctx.diags.warn(ctx.at, "route 'gw' is deprecated, write 'via'");
    r.via = addr(take());
  } else if (w === "or") {
    ctx.diags.warn(ctx.at, "route 'or' is deprecated, write 'nexthop'");
    r.nexthops.push({ via: addr(take()), dev: null, weight: null, onlink: false, realms: null });
  } else if (w === "dev" || w === "oif") r.dev = take() ?? null;
  else if (w === "table") {
    const tv = take();
    const n = readTable(tv);
    if (tv !== undefined && n === undefined) ctx.diags.error(ctx.at, `bad route table '${tv}'`);
    r.table = n ?? null;
  } else if (w === "metric" || w === "priority" || w === "preference") {
    const mv = take();
    const n = mv === undefined ? undefined : toInt(mv);
    if (mv !== undefined && n === undefined) ctx.diags.error(ctx.at, `bad route metric '${mv}'`);
    r.metric = n ?? null;
  } else if (w === "scope") r.scope = take() ?? null;
  else if (w === "protocol" || w === "proto") r.protocol = take() ?? null;
  else if (w === "onlink") r.onlink = true;
  else if (w === "no_track") r.noTrack = true;
  else if (w === "track_group") r.trackGroup = take() ?? null;
  else if (w === "nexthop") i = readNexthop(words, i + 1, r.nexthops, ctx) - 1;
  else if (ROUTE_OPTS.has(w)) {
    let val = take() ?? "";
    if (val === "lock") {
      val = `lock ${t(i + 1) ?? ""}`;
      i++;
    }
    r.options[w] = val;
  } else if (r.dest === "") {
    const d = parseRouteDest(w, st.fam);
    if (!d) {
      ctx.diags.error(ctx.at, `invalid route destination '${w}'; route skipped`);
      return undefined;
    }
    r.dest = d.text;
    st.fam = d.family;
  } else ctx.diags.error(ctx.at, `unknown route option '${w}' ignored`);
  return i;
}

/** Parse one route entry; reports and returns undefined when the destination is bad. */
export function parseRouteEntry(words: readonly Token[], ctx: Ctx): RouteSpec | undefined {
  const r = blankRoute(ctx.at);
  const st: { fam: Family | null } = { fam: null };
  let i = 0;
  if (ROUTE_TYPES.has(words[0]?.text ?? "")) {
    r.type = words[0]!.text;
    i = 1;
  }
  for (; i < words.length; i++) {
    const next = routeOption(r, st, words, i, ctx);
    if (next === undefined) return undefined;
    i = next;
  }
  if (r.dest === "") {
    ctx.diags.error(ctx.at, "route has no destination; skipped");
    return undefined;
  }
  r.family = st.fam ?? "ipv4";
  return r;
}

function readNexthop(words: readonly Token[], i: number, out: NextHopSpec[], ctx: Ctx): number {
  const nh = {
    via: null as string | null,
    dev: null as string | null,
    weight: null as number | null,
    onlink: false,
    realms: null as string | null,
  };
  for (; i < words.length; i++) {
    const w = words[i]!.text;
    const v = words[i + 1]?.text;
    if (w === "via" && v !== undefined) {
      nh.via = parseIp(v)?.text ?? null;
      if (!nh.via) ctx.diags.error(ctx.at, `invalid nexthop address '${v}'`);
      i++;
    } else if (w === "dev" && v !== undefined) {
      nh.dev = v;
      i++;
    } else if (w === "weight" && v !== undefined) {
      nh.weight = toInt(v) ?? null;
      i++;
    } else if (w === "realms" && v !== undefined) {
      nh.realms = v;
      i++;
    } else if (w === "onlink") nh.onlink = true;
    else break;
  }
  out.push(nh);
  return i;
}

/** Parse one rule entry; reports and returns undefined when an address is bad. */
export function parseRuleEntry(words: readonly Token[], ctx: Ctx): RuleSpec | undefined {
  const r = {
    family: "ipv4" as Family,
    from: null as string | null,
    to: null as string | null,
    preference: null as number | null,
    action: "table",
    table: null as number | null,
    gotoTarget: null as number | null,
    not: false,
    noTrack: false,
    options: {} as Record<string, string>,
    trackGroup: null as string | null,
    src: ctx.at,
  };
  let fam: Family | null = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!.text;
    const v = words[i + 1]?.text;
    const take = (): string | undefined => {
      if (v === undefined) ctx.diags.error(ctx.at, `rule option '${w}' is missing its value`);
      else i++;
      return v;
    };
    if (w === "from" || w === "to") {
      const pv = take();
      if (pv === undefined) continue;
      const d: { family: Family; text: string | null } | undefined = pv === "all" ? { family: fam ?? "ipv4", text: null } : parseRouteDest(pv, fam);
      if (!d) {
        ctx.diags.error(ctx.at, `invalid rule ${w} address '${pv}'; rule skipped`);
        return undefined;
      }
      fam = d.family;
      if (w === "from") r.from = d.text;
      else r.to = d.text;
    } else if (w === "preference" || w === "priority" || w === "order" || w === "pref") {
      r.preference = toInt(take() ?? "") ?? null;
    } else if (w === "table" || w === "lookup") {
      r.table = readTable(take()) ?? null;
      r.action = "table";
    } else if (w === "goto") {
      r.gotoTarget = toInt(take() ?? "") ?? null;
      r.action = "goto";
    } else if (RULE_ACTIONS.has(w)) r.action = w;
    else if (w === "not") r.not = true;
    else if (w === "no_track") r.noTrack = true;
    else if (w === "track_group") r.trackGroup = take() ?? null;
    else if (w === "inet6") fam = CONF_FAMILY.inet6;
    else if (RULE_OPTS.has(w)) r.options[w] = take() ?? "";
    else ctx.diags.error(ctx.at, `unknown rule option '${w}' ignored`);
  }
  if (r.preference === null) {
    ctx.diags.warn(ctx.at, "rule has no preference; one will be chosen automatically");
  }
  r.family = fam ?? "ipv4";
  return r;
}
