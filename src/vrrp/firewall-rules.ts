/**
 * The nf_tables ruleset keepalived 2.2.7 installs for no_accept / vrrp_strict (man 5 keepalived.conf,
 * `nftables`, "keepalived uses a firewall ... to implement no_accept mode"): per address family a table
 * (`ip NAME`, `ip6 NAME`) with a `vips` set, base chains `out` (hook output) and `in` (hook input) at
 * priority filter + nftables_priority that drop packets from/to an address in the set, and for IPv6 the
 * neighbour-discovery exemption and the link-local chains keyed by address and interface.
 *
 * Pure: settings and keys in, netlink messages out (src/proto/nftables.ts); the writer is firewall.ts.
 */
import type { Family } from "../core/inet.ts";
import { addrToBytes } from "../proto/netlink.ts";
import { addrDev, type KeyAddr } from "./addr-dev.ts";
import {
  batchBegin,
  batchEnd,
  delSetElems,
  type Expr,
  META,
  newChain,
  newRule,
  newSet,
  newSetElems,
  newTable,
  NF_INET,
  NFPROTO,
  NFT_REG,
  NFT_SET,
  NFT_TYPE,
  PAYLOAD_BASE,
  type SetSpec,
  TYPE_BITS,
  VERDICT,
} from "../proto/nftables.ts";

/** The table settings that shape the ruleset. */
export interface FirewallShape {
  /** Table name (both families use the same name). */
  readonly table: string;
  /** Added to the filter priority (0) of the base chains; keepalived's default is -1. */
  readonly priority: number;
  /** A counter in every rule (nftables_counters). */
  readonly counters: boolean;
}

/** One blocked address: global ones go to `vips`; an IPv6 link-local one is keyed with its interface. */
export interface FwKey {
  readonly family: Family;
  readonly address: string;
  /** Link-local IPv6 only: the interface, by index (default) or by name (dont_track_primary). */
  readonly ifindex?: number;
  readonly ifname?: string;
}

/** nfgen family of a table. */
export function nfFamily(f: Family): number {
  return f === "ipv4" ? NFPROTO.IPV4 : NFPROTO.IPV6;
}

/** True for fe80::/10. */
export function isLinkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]?:/i.test(address);
}

/** The name of the set a key belongs to. */
export function setOf(k: FwKey): string {
  if (k.family === "ipv4" || !isLinkLocal6(k.address)) return "vips";
  return k.ifname !== undefined ? "vips_link_local_name" : "vips_link_local";
}

/** A key's bytes: the address, then for link-local the ifindex (host order) or the 16-byte name. */
export function keyBytes(k: FwKey): Uint8Array {
  const a = addrToBytes(k.address);
  if (!a) throw new RangeError(`invalid address "${k.address}"`);
  if (setOf(k) === "vips") return a;
  const out = new Uint8Array(k.ifname !== undefined ? 32 : 20);
  out.set(a, 0);
  if (k.ifname !== undefined) out.set(new TextEncoder().encode(k.ifname.slice(0, 15)), 16);
  else new DataView(out.buffer).setUint32(16, k.ifindex ?? 0, true);
  return out;
}

const ICMPV6 = 58;
const ND_TYPES = [135, 136]; // neighbour solicitation, neighbour advertisement

/** The sets every table of the family has, in the order keepalived creates them. */
function baseSets(f: Family): SetSpec[] {
  const big = { key: "big" as const }, host = { key: "host" as const };
  if (f === "ipv4") return [{ name: "vips", id: 1, keyType: NFT_TYPE.IPADDR, keyLen: 4, flags: 0, byteorder: big }];
  return [
    { name: "vips", id: 1, keyType: NFT_TYPE.IP6ADDR, keyLen: 16, flags: 0, byteorder: big },
    { name: "neighbor-discovery", id: 2, keyType: NFT_TYPE.ICMP6_TYPE, keyLen: 1, flags: NFT_SET.CONSTANT, byteorder: host },
  ];
}

/** The link-local set of one kind: keyed by interface index, or by name (dont_track_primary). */
function linkLocalSpec(byName: boolean): SetSpec {
  return byName
    ? { name: "vips_link_local_name", id: 4, keyType: (NFT_TYPE.IP6ADDR << TYPE_BITS) | NFT_TYPE.IFNAME, keyLen: 32, flags: 0, byteorder: { key: "host" } }
    : { name: "vips_link_local", id: 3, keyType: (NFT_TYPE.IP6ADDR << TYPE_BITS) | NFT_TYPE.IFINDEX, keyLen: 20, flags: 0, byteorder: { key: "host" } };
}

/** `ip saddr`/`ip daddr` (or ip6) loaded into register 1. */
function addrLoad(f: Family, dir: "in" | "out"): Expr {
  const off = f === "ipv4" ? (dir === "out" ? 12 : 16) : (dir === "out" ? 8 : 24);
  return { kind: "payload", base: PAYLOAD_BASE.NETWORK, offset: off, len: f === "ipv4" ? 4 : 16, dreg: NFT_REG.R1 };
}

function tail(shape: FirewallShape, code: number, chain?: string): Expr[] {
  const v: Expr = chain === undefined ? { kind: "verdict", code } : { kind: "verdict", code, chain };
  return shape.counters ? [{ kind: "counter" }, v] : [v];
}

/** The rules of the base chain `dir`, in order. */
function baseRules(shape: FirewallShape, f: Family, dir: "in" | "out"): Expr[][] {
  const drop = [addrLoad(f, dir), { kind: "lookup", sreg: NFT_REG.R1, set: "vips" } as Expr, ...tail(shape, VERDICT.DROP)];
  if (f === "ipv4") return [drop];
  const nd: Expr[] = [
    { kind: "payload", base: PAYLOAD_BASE.NETWORK, offset: 6, len: 1, dreg: NFT_REG.R1 },
    { kind: "cmp", sreg: NFT_REG.R1, data: Uint8Array.of(ICMPV6) },
    { kind: "payload", base: PAYLOAD_BASE.TRANSPORT, offset: 0, len: 1, dreg: NFT_REG.R1 },
    { kind: "lookup", sreg: NFT_REG.R1, set: "neighbor-discovery" },
    ...tail(shape, VERDICT.ACCEPT),
  ];
  const mask = new Uint8Array(16);
  mask[0] = 0xff, mask[1] = 0xc0;
  const ll = new Uint8Array(16);
  ll[0] = 0xfe, ll[1] = 0x80;
  const toLl: Expr[] = [
    addrLoad(f, dir),
    { kind: "bitwise", sreg: NFT_REG.R1, dreg: NFT_REG.R1, mask, xor: new Uint8Array(16) },
    { kind: "cmp", sreg: NFT_REG.R1, data: ll },
    ...tail(shape, VERDICT.GOTO, `${dir}_link_local`),
  ];
  return [nd, toLl, drop];
}

/** The rule of a link-local chain: address and interface (index or name) looked up in the set. */
function linkLocalRule(shape: FirewallShape, dir: "in" | "out", byName: boolean): Expr[] {
  const key = byName ? (dir === "in" ? META.IIFNAME : META.OIFNAME) : (dir === "in" ? META.IIF : META.OIF);
  const set = linkLocalSpec(byName).name;
  return [addrLoad("ipv6", dir), { kind: "meta", key, dreg: NFT_REG.R2 }, { kind: "lookup", sreg: NFT_REG.R1, set }, ...tail(shape, VERDICT.DROP)];
}

/** Where a batch takes its sequence numbers from. */
export interface Seq {
  next(): number;
}

/** Sequence numbers counting up from `n` (tests, and batches built without a socket). */
export class SeqSource implements Seq {
  constructor(private n: number) {}
  /** The next number. */
  next(): number {
    this.n = (this.n + 1) >>> 0;
    return this.n;
  }
}

/** The table and its output chain, which both parts below add rules to. */
export function tableBase(shape: FirewallShape, f: Family, seq: Seq): Uint8Array[] {
  const fam = nfFamily(f);
  return [newTable(seq.next(), fam, shape.table), newChain(seq.next(), fam, shape.table, "out", hookOf(shape, NF_INET.LOCAL_OUT))];
}

function hookOf(shape: FirewallShape, hook: number) {
  return { hook, priority: shape.priority, type: "filter" as const, policy: VERDICT.ACCEPT };
}

/**
 * The no_accept part of a family's table, as keepalived adds it with the first blocked address: the
 * sets, the input chain and the IPv6 link-local chains, then the rules. The link-local sets and their
 * rules come later, with the first link-local address (linkLocalSet).
 */
export function vipsPart(shape: FirewallShape, f: Family, seq: Seq): Uint8Array[] {
  const fam = nfFamily(f);
  const t = shape.table;
  const out: Uint8Array[] = [];
  for (const s of baseSets(f)) out.push(newSet(seq.next(), fam, t, s));
  if (f === "ipv6") out.push(newSetElems(seq.next(), fam, t, "neighbor-discovery", ND_TYPES.map((n) => Uint8Array.of(n))));
  out.push(newChain(seq.next(), fam, t, "in", hookOf(shape, NF_INET.LOCAL_IN)));
  if (f === "ipv6") out.push(newChain(seq.next(), fam, t, "in_link_local"), newChain(seq.next(), fam, t, "out_link_local"));
  for (const dir of ["in", "out"] as const) {
    for (const r of baseRules(shape, f, dir)) out.push(newRule(seq.next(), fam, t, dir, r));
  }
  return out;
}

const MACVLAN = (() => {
  const b = new Uint8Array(16);
  b.set(new TextEncoder().encode("macvlan"));
  return b;
})();
const IGMP = 2, MLD2_REPORT = 143, ROUTER_SOLICIT = 133;

/** `icmpv6 type T` (IPv6) as keepalived writes it: meta l4proto, then the type byte. */
function icmp6Type(type: number): Expr[] {
  return [
    { kind: "meta", key: META.L4PROTO, dreg: NFT_REG.R1 },
    { kind: "cmp", sreg: NFT_REG.R1, data: Uint8Array.of(ICMPV6) },
    { kind: "payload", base: PAYLOAD_BASE.TRANSPORT, offset: 0, len: 1, dreg: NFT_REG.R1 },
    { kind: "cmp", sreg: NFT_REG.R1, data: Uint8Array.of(type) },
  ];
}

/** `meta oifkind "macvlan"`. */
const onMacvlan: Expr[] = [{ kind: "meta", key: META.OIFKIND, dreg: NFT_REG.R2 }, { kind: "cmp", sreg: NFT_REG.R2, data: MACVLAN }];

/**
 * The VMAC part (man 5 keepalived.conf: the firewall "stops IGMP/MLD/Router-Solicit packets being sent on
 * VMAC interfaces, and moves IGMP/MLD messages onto the underlying interface"): a map from each VMAC's
 * ifindex to its base interface's, for IPv6 a set of VMACs, and the output rules.
 */
export function vmacPart(shape: FirewallShape, f: Family, seq: Seq): Uint8Array[] {
  const fam = nfFamily(f);
  const t = shape.table;
  const out = [newSet(seq.next(), fam, t, VMAC_MAP)];
  if (f === "ipv6") out.push(newSet(seq.next(), fam, t, VMAC_SET));
  const report: Expr[] = f === "ipv4"
    ? [{ kind: "payload", base: PAYLOAD_BASE.NETWORK, offset: 9, len: 1, dreg: NFT_REG.R1 }, { kind: "cmp", sreg: NFT_REG.R1, data: Uint8Array.of(IGMP) }]
    : icmp6Type(MLD2_REPORT);
  const move: Expr[] = [
    ...report,
    { kind: "payload", base: PAYLOAD_BASE.NETWORK, offset: f === "ipv4" ? 16 : 24, len: f === "ipv4" ? 4 : 16, dreg: NFT_REG.R1 },
    ...onMacvlan,
    { kind: "meta", key: META.OIF, dreg: NFT_REG.R2 },
    { kind: "lookup", sreg: NFT_REG.R2, set: VMAC_MAP.name, dreg: NFT_REG.R2 },
    { kind: "dup", sregAddr: NFT_REG.R1, sregDev: NFT_REG.R2 },
    ...tail(shape, VERDICT.DROP),
  ];
  out.push(newRule(seq.next(), fam, t, "out", move));
  if (f === "ipv6") {
    const rs: Expr[] = [
      ...icmp6Type(ROUTER_SOLICIT),
      ...onMacvlan,
      { kind: "meta", key: META.OIF, dreg: NFT_REG.R2 },
      { kind: "lookup", sreg: NFT_REG.R2, set: VMAC_SET.name },
      ...tail(shape, VERDICT.DROP),
    ];
    out.push(newRule(seq.next(), fam, t, "out", rs));
  }
  return out;
}

const VMAC_MAP: SetSpec = {
  name: "vmac_map",
  id: 5,
  keyType: NFT_TYPE.IFINDEX,
  keyLen: 4,
  flags: NFT_SET.MAP,
  data: { type: NFT_TYPE.IFINDEX, len: 4 },
  byteorder: { key: "host", data: "host" },
};
const VMAC_SET: SetSpec = { name: "vmac_set", id: 6, keyType: NFT_TYPE.IFINDEX, keyLen: 4, flags: 0, byteorder: { key: "host" } };

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

/** A VMAC of family `f`: its map element (and set element for IPv6), added or removed. */
export function vmacElements(shape: FirewallShape, f: Family, vmac: number, base: number, op: "add" | "del", seq: Seq): Uint8Array[] {
  const fam = nfFamily(f);
  const enc = op === "add" ? newSetElems : delSetElems;
  const out = [enc(seq.next(), fam, shape.table, VMAC_MAP.name, [{ key: u32(vmac), value: u32(base) }])];
  if (f === "ipv6") out.push(enc(seq.next(), fam, shape.table, VMAC_SET.name, [u32(vmac)]));
  return out;
}

/** The messages that add one kind of IPv6 link-local set and the rules of both link-local chains. */
export function linkLocalSet(shape: FirewallShape, byName: boolean, seq: Seq): Uint8Array[] {
  const fam = NFPROTO.IPV6;
  return [
    newSet(seq.next(), fam, shape.table, linkLocalSpec(byName)),
    newRule(seq.next(), fam, shape.table, "in_link_local", linkLocalRule(shape, "in", byName)),
    newRule(seq.next(), fam, shape.table, "out_link_local", linkLocalRule(shape, "out", byName)),
  ];
}

/** NEWSETELEM / DELSETELEM messages for `keys` of family `f`, one per set touched. */
export function elementChanges(shape: FirewallShape, f: Family, keys: readonly FwKey[], op: "add" | "del", seq: Seq): Uint8Array[] {
  const bySet = new Map<string, Uint8Array[]>();
  for (const k of keys) {
    if (k.family !== f) continue;
    const s = setOf(k);
    bySet.set(s, [...(bySet.get(s) ?? []), keyBytes(k)]);
  }
  const fam = nfFamily(f);
  const enc = op === "add" ? newSetElems : delSetElems;
  return [...bySet].map(([set, ks]) => enc(seq.next(), fam, shape.table, set, ks));
}

/** Wraps messages into one transaction: the kernel applies all of them or none. */
export function batch(msgs: Uint8Array[], seq: Seq): Uint8Array[] {
  return [batchBegin(seq.next()), ...msgs, batchEnd(seq.next())];
}

/** What the keys of an instance are derived from. */
export interface KeySource {
  readonly virtualIpaddresses: readonly KeyAddr[];
  readonly virtualIpaddressesExcluded: readonly KeyAddr[];
}

/**
 * The keys an instance without accept mode blocks while MASTER: its VIPs and excluded addresses (as
 * keepalived's sets hold both); a link-local IPv6 address with its interface, named instead of numbered
 * when `byName` (keepalived: dont_track_primary without nftables_ifindex).
 */
export function instanceKeys(cfg: KeySource, home: { ifindex: number; ifname: string }, ifindexOf: (dev: string) => number, byName: boolean): FwKey[] {
  return [...cfg.virtualIpaddresses, ...cfg.virtualIpaddressesExcluded].map((v) => {
    const family: Family = v.address.includes(":") ? "ipv6" : "ipv4";
    if (family === "ipv4" || !isLinkLocal6(v.address)) return { family, address: v.address };
    const dev = addrDev(v);
    if (byName) return { family, address: v.address, ifname: dev ?? home.ifname };
    return { family, address: v.address, ifindex: dev ? ifindexOf(dev) : home.ifindex };
  });
}

/** What the firewall's shape is read from. */
export interface ShapeSource {
  readonly global: { readonly nftables: { readonly table: string | null; readonly priority: number; readonly counters: boolean } };
  readonly vrrp: { readonly instances: readonly { readonly accept: boolean; readonly priority: number; readonly vmac: unknown }[] };
}

/**
 * The table keepalived would use for this configuration: the `nftables` one, or "keepalived" when an
 * instance uses a VMAC or is not the address owner and runs without accept mode; null when nothing needs
 * a firewall.
 */
export function firewallShape(c: ShapeSource): FirewallShape | null {
  const n = c.global.nftables;
  if (!c.vrrp.instances.some((i) => i.vmac || (!i.accept && i.priority !== 255))) return null;
  return { table: n.table ?? "keepalived", priority: n.priority, counters: n.counters };
}
