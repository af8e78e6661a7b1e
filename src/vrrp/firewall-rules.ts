/**
 * The nf_tables ruleset keepalived 2.2.7 installs for no_accept / vrrp_strict (man 5 keepalived.conf,
 * `nftables`, "keepalived uses a firewall ... to implement no_accept mode"): per address family a table
 * (`ip NAME`, `ip6 NAME`) with a `vips` set, base chains `out` (hook output) and `in` (hook input) at
 * priority filter + nftables_priority that drop packets from/to an address in the set, and for IPv6 the
 * neighbour-discovery exemption and the link-local chains keyed by address and interface.
 *
 * Pure: settings and keys in, netlink messages out (src/proto/nftables.ts); the writer is firewall.ts.
 */
import { addrToBytes } from "../proto/netlink.ts";
import {
  batchBegin, batchEnd, delSetElems, type Expr, META, newChain, newRule, newSet, newSetElems, newTable, NF_INET,
  NFPROTO, NFT_REG, NFT_SET, NFT_TYPE, PAYLOAD_BASE, type SetSpec, TYPE_BITS, VERDICT,
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

/** An address family's table. */
export type FwFamily = "ipv4" | "ipv6";

/** One blocked address: global ones go to `vips`; an IPv6 link-local one is keyed with its interface. */
export interface FwKey {
  readonly family: FwFamily;
  readonly address: string;
  /** Link-local IPv6 only: the interface, by index (default) or by name (dont_track_primary). */
  readonly ifindex?: number;
  readonly ifname?: string;
}

/** nfgen family of a table. */
export function nfFamily(f: FwFamily): number {
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
function baseSets(f: FwFamily): SetSpec[] {
  if (f === "ipv4") return [{ name: "vips", id: 1, keyType: NFT_TYPE.IPADDR, keyLen: 4, flags: 0 }];
  return [
    { name: "vips", id: 1, keyType: NFT_TYPE.IP6ADDR, keyLen: 16, flags: 0 },
    { name: "neighbor-discovery", id: 2, keyType: NFT_TYPE.ICMP6_TYPE, keyLen: 1, flags: NFT_SET.CONSTANT },
  ];
}

/** The link-local set of one kind: keyed by interface index, or by name (dont_track_primary). */
function linkLocalSpec(byName: boolean): SetSpec {
  return byName
    ? { name: "vips_link_local_name", id: 4, keyType: (NFT_TYPE.IP6ADDR << TYPE_BITS) | NFT_TYPE.IFNAME, keyLen: 32, flags: 0 }
    : { name: "vips_link_local", id: 3, keyType: (NFT_TYPE.IP6ADDR << TYPE_BITS) | NFT_TYPE.IFINDEX, keyLen: 20, flags: 0 };
}

/** `ip saddr`/`ip daddr` (or ip6) loaded into register 1. */
function addrLoad(f: FwFamily, dir: "in" | "out"): Expr {
  const off = f === "ipv4" ? (dir === "out" ? 12 : 16) : (dir === "out" ? 8 : 24);
  return { kind: "payload", base: PAYLOAD_BASE.NETWORK, offset: off, len: f === "ipv4" ? 4 : 16, dreg: NFT_REG.R1 };
}

function tail(shape: FirewallShape, code: number, chain?: string): Expr[] {
  const v: Expr = chain === undefined ? { kind: "verdict", code } : { kind: "verdict", code, chain };
  return shape.counters ? [{ kind: "counter" }, v] : [v];
}

/** The rules of the base chain `dir`, in order. */
function baseRules(shape: FirewallShape, f: FwFamily, dir: "in" | "out"): Expr[][] {
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

/**
 * The messages that create a family's table as keepalived does (sets, then the base chains and the
 * IPv6 link-local chains, then the rules), inside a batch of the caller's. The link-local sets and
 * their rules come later, with the first link-local address (linkLocalSet).
 */
export function createTable(shape: FirewallShape, f: FwFamily, seq: Seq): Uint8Array[] {
  const fam = nfFamily(f);
  const t = shape.table;
  const out = [newTable(seq.next(), fam, t)];
  for (const s of baseSets(f)) out.push(newSet(seq.next(), fam, t, s));
  if (f === "ipv6") out.push(newSetElems(seq.next(), fam, t, "neighbor-discovery", ND_TYPES.map((n) => Uint8Array.of(n))));
  const hook = (h: number) => ({ hook: h, priority: shape.priority, type: "filter" as const, policy: VERDICT.ACCEPT });
  out.push(newChain(seq.next(), fam, t, "out", hook(NF_INET.LOCAL_OUT)), newChain(seq.next(), fam, t, "in", hook(NF_INET.LOCAL_IN)));
  if (f === "ipv6") out.push(newChain(seq.next(), fam, t, "in_link_local"), newChain(seq.next(), fam, t, "out_link_local"));
  for (const dir of ["in", "out"] as const) {
    for (const r of baseRules(shape, f, dir)) out.push(newRule(seq.next(), fam, t, dir, r));
  }
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
export function elementChanges(shape: FirewallShape, f: FwFamily, keys: readonly FwKey[], op: "add" | "del", seq: Seq): Uint8Array[] {
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
  readonly virtualIpaddresses: readonly { address: string; dev: string | null }[];
  readonly virtualIpaddressesExcluded: readonly { address: string; dev: string | null }[];
}

/**
 * The keys an instance without accept mode blocks while MASTER: its VIPs and excluded addresses (as
 * keepalived's sets hold both); a link-local IPv6 address with its interface, named instead of numbered
 * when `byName` (keepalived: dont_track_primary without nftables_ifindex).
 */
export function instanceKeys(cfg: KeySource, home: { ifindex: number; ifname: string }, ifindexOf: (dev: string) => number, byName: boolean): FwKey[] {
  return [...cfg.virtualIpaddresses, ...cfg.virtualIpaddressesExcluded].map((v) => {
    const family: FwFamily = v.address.includes(":") ? "ipv6" : "ipv4";
    if (family === "ipv4" || !isLinkLocal6(v.address)) return { family, address: v.address };
    if (byName) return { family, address: v.address, ifname: v.dev ?? home.ifname };
    return { family, address: v.address, ifindex: v.dev ? ifindexOf(v.dev) : home.ifindex };
  });
}

/** What the firewall's shape is read from. */
export interface ShapeSource {
  readonly global: { readonly nftables: { readonly table: string | null; readonly priority: number; readonly counters: boolean } };
  readonly vrrp: { readonly instances: readonly { readonly accept: boolean; readonly priority: number }[] };
}

/**
 * The table keepalived would use for this configuration: the `nftables` one, or "keepalived" when an
 * instance that is not the address owner runs without accept mode; null when nothing needs a firewall.
 */
export function firewallShape(c: ShapeSource): FirewallShape | null {
  const n = c.global.nftables;
  if (!c.vrrp.instances.some((i) => !i.accept && i.priority !== 255)) return null;
  return { table: n.table ?? "keepalived", priority: n.priority, counters: n.counters };
}
