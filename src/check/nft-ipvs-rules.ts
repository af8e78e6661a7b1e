/**
 * The nf_tables ruleset keepalived 2.2.7's check child writes for `nftables_ipvs` (man 5 keepalived.conf:
 * "keepalived will allocate a fwmark for each virtual server group, so that only one virtual server for
 * each group needs to be configured in IPVS"). Per address family a table (`ip NAME`, `ip6 NAME`, default
 * name keepalived_ipvs) with a base chain `in` (hook input, priority nftables_ipvs_priority, default -1)
 * and, per protocol in use, a map `tcp_map` / `udp_map` / `sctp_map` from `daddr . dport` intervals (one
 * per group entry: an address range and its port) to the group's fwmark, and one rule
 * `meta mark set ip daddr . tcp dport map @tcp_map return`. With nftables_counters the maps and rules
 * count. Measured against keepalived 2.2.7 in the VM (test/vm/tests/39-nftables-ipvs.sh).
 *
 * Which virtual servers get a fwmark: a `virtual_server group G` whose group has no fwmark entries; one
 * fwmark per group and protocol, handed out from nftables_ipvs_start_fwmark (default 1000) in the order of
 * the virtual servers. A group with IPv4 and IPv6 addresses (tunnelled real servers) has its fwmark
 * service in both families.
 *
 * Pure: configuration in, plans and netlink messages out (src/proto/nftables.ts); the writer is nft-ipvs.ts.
 */
import type { Family } from "../core/inet.ts";
import type { VirtualServer, VirtualServerGroup } from "../config/model-check.ts";
import type { NftablesSettings } from "../config/model-global.ts";
import { addrToBytes, bytesToAddr } from "../proto/netlink.ts";
import {
  delSetElems,
  type Expr,
  META,
  newChain,
  newRule,
  newSet,
  newSetElems,
  newTable,
  NF_INET,
  NFT_REG,
  NFT_SET,
  NFT_TYPE,
  PAYLOAD_BASE,
  type SetElem,
  type SetSpec,
  TYPE_BITS,
  VERDICT,
} from "../proto/nftables.ts";
import { nfFamily, type Seq } from "../vrrp/firewall-rules.ts";

/** The table settings that shape the ruleset. */
export interface IpvsNftShape {
  readonly table: string;
  /** Priority of the `in` chain (nftables_ipvs_priority). */
  readonly priority: number;
  /** nftables_counters: a counter in each map and rule. */
  readonly counters: boolean;
}

/** The protocols that have a map. */
export type L4 = "TCP" | "UDP" | "SCTP";

/** One map element: a group entry's address interval and port, mapped to the group's fwmark. */
export interface FwmarkElem {
  readonly family: Family;
  readonly protocol: L4;
  readonly first: string;
  readonly last: string;
  readonly port: number;
  readonly fwmark: number;
}

const L4_NUMBER: Record<L4, number> = { TCP: 6, UDP: 17, SCTP: 132 };
const L4_OF_MAP: Record<string, L4> = { tcp_map: "TCP", udp_map: "UDP", sctp_map: "SCTP" };
const SET_ID: Record<L4, number> = { TCP: 1, UDP: 2, SCTP: 3 };

/** The shape for these global settings; null without nftables_ipvs. */
export function ipvsNftShape(n: NftablesSettings): IpvsNftShape | null {
  return n.ipvsTable === null ? null : { table: n.ipvsTable, priority: n.ipvsPriority, counters: n.counters };
}

/** The map of a protocol. */
export function mapName(p: L4): string {
  return `${p.toLowerCase()}_map`;
}

/** The protocol of one of our maps, by its name. */
export function mapProtocol(name: string): L4 | undefined {
  return L4_OF_MAP[name];
}

/** A map's declaration: key `addr . port` (each field padded to 4 bytes), intervals, value a mark. */
function mapSpec(f: Family, p: L4, counters: boolean): SetSpec {
  const addrLen = f === "ipv4" ? 4 : 16;
  return {
    name: mapName(p),
    id: SET_ID[p],
    keyType: ((f === "ipv4" ? NFT_TYPE.IPADDR : NFT_TYPE.IP6ADDR) << TYPE_BITS) | NFT_TYPE.INET_SERVICE,
    keyLen: addrLen + 4,
    flags: NFT_SET.MAP | NFT_SET.CONCAT | NFT_SET.INTERVAL,
    fieldLens: [addrLen, 2],
    data: { type: NFT_TYPE.MARK, len: 4 },
    byteorder: { key: "host", data: "host" },
    ...(counters ? { expr: "counter" as const } : {}),
  };
}

/** `meta l4proto P` then `meta mark set ip daddr . P dport map @P_map [counter] return`. */
function markRule(f: Family, p: L4, counters: boolean): Expr[] {
  const v4 = f === "ipv4";
  return [
    { kind: "meta", key: META.L4PROTO, dreg: NFT_REG.R1 },
    { kind: "cmp", sreg: NFT_REG.R1, data: Uint8Array.of(L4_NUMBER[p]) },
    { kind: "payload", base: PAYLOAD_BASE.NETWORK, offset: v4 ? 16 : 24, len: v4 ? 4 : 16, dreg: NFT_REG.R1 },
    // The destination port, right after the address in the concatenated key.
    { kind: "payload", base: PAYLOAD_BASE.TRANSPORT, offset: 2, len: 2, dreg: v4 ? NFT_REG.R32_01 : NFT_REG.R2 },
    { kind: "lookup", sreg: NFT_REG.R1, set: mapName(p), dreg: NFT_REG.R1 },
    { kind: "metaSet", key: META.MARK, sreg: NFT_REG.R1 },
    ...(counters ? [{ kind: "counter" } as Expr] : []),
    { kind: "verdict", code: VERDICT.RETURN },
  ];
}

/** The family's table and its `in` chain. */
export function tablePart(shape: IpvsNftShape, f: Family, seq: Seq): Uint8Array[] {
  const fam = nfFamily(f);
  const hook = { hook: NF_INET.LOCAL_IN, priority: shape.priority, type: "filter" as const, policy: VERDICT.ACCEPT };
  return [newTable(seq.next(), fam, shape.table), newChain(seq.next(), fam, shape.table, "in", hook)];
}

/** A protocol's map and the rule that looks it up. */
export function mapPart(shape: IpvsNftShape, f: Family, p: L4, seq: Seq): Uint8Array[] {
  const fam = nfFamily(f);
  return [newSet(seq.next(), fam, shape.table, mapSpec(f, p, shape.counters)), newRule(seq.next(), fam, shape.table, "in", markRule(f, p, shape.counters))];
}

/** The key of one end of an interval: the address, then the port in network order, padded to 4 bytes. */
export function elemKey(address: string, port: number): Uint8Array {
  const a = addrToBytes(address);
  if (!a) throw new RangeError(`invalid address "${address}"`);
  const out = new Uint8Array(a.length + 4);
  out.set(a, 0);
  new DataView(out.buffer).setUint16(a.length, port, false);
  return out;
}

/** An element as the map holds it: interval keys, the mark in host order (a mark is a host number). */
export function setElem(e: FwmarkElem): SetElem {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, e.fwmark >>> 0, true);
  return { key: elemKey(e.first, e.port), keyEnd: elemKey(e.last, e.port), value };
}

/** An element read back from a map (GETSETELEM), or undefined when it is not one of ours. */
export function decodeElem(f: Family, set: string, e: { key: Uint8Array; keyEnd?: Uint8Array; value?: Uint8Array }): FwmarkElem | undefined {
  const protocol = mapProtocol(set);
  const n = f === "ipv4" ? 4 : 16;
  if (!protocol || e.key.length < n + 2 || !e.value || e.value.length < 4) return undefined;
  const first = bytesToAddr(e.key.subarray(0, n));
  const last = e.keyEnd && e.keyEnd.length >= n ? bytesToAddr(e.keyEnd.subarray(0, n)) : first;
  if (!first || !last) return undefined;
  const port = new DataView(e.key.buffer, e.key.byteOffset).getUint16(n, false);
  const fwmark = new DataView(e.value.buffer, e.value.byteOffset).getUint32(0, true);
  return { family: f, protocol, first, last, port, fwmark };
}

/** NEWSETELEM / DELSETELEM for elements of one family and protocol, in chunks of `chunk`. */
export function elemChanges(shape: IpvsNftShape, f: Family, p: L4, elems: readonly FwmarkElem[], op: "add" | "del", seq: Seq, chunk = 256): Uint8Array[] {
  const enc = op === "add" ? newSetElems : delSetElems;
  const out: Uint8Array[] = [];
  for (let i = 0; i < elems.length; i += chunk) out.push(enc(seq.next(), nfFamily(f), shape.table, mapName(p), elems.slice(i, i + chunk).map(setElem)));
  return out;
}

/** The text identity of an element's interval (not its mark). */
export function elemId(e: Omit<FwmarkElem, "fwmark">): string {
  return `${e.family}|${e.protocol}|${e.first}|${e.last}|${e.port}`;
}

/** The key of a group's fwmark for one protocol. */
export function autoFwmarkKey(group: string, protocol: string): string {
  return `${group}|${protocol}`;
}

/** The groups' fwmarks and the map elements that lead to them. */
export interface FwmarkPlan {
  /** autoFwmarkKey(group, protocol) -> fwmark. */
  readonly marks: ReadonlyMap<string, number>;
  /** In the order keepalived adds them (virtual servers, then group entries). */
  readonly elems: readonly FwmarkElem[];
  /** The next fwmark to hand out. */
  readonly next: number;
}

/** The group of a virtual server that gets a fwmark, or undefined. */
function markedGroup(vs: VirtualServer, groups: readonly VirtualServerGroup[]): VirtualServerGroup | undefined {
  if (vs.kind !== "group") return undefined;
  const g = groups.find((x) => x.name === vs.group);
  return g && !g.entries.some((e) => e.kind === "fwmark") ? g : undefined;
}

function entryElems(g: VirtualServerGroup, protocol: L4, fwmark: number): FwmarkElem[] {
  return g.entries.filter((e) => e.address !== null).map((e): FwmarkElem => ({
    family: e.family ?? (e.address!.includes(":") ? "ipv6" : "ipv4"),
    protocol,
    first: e.address!,
    last: e.lastAddress ?? e.address!,
    port: e.port ?? 0,
    fwmark,
  }));
}

/**
 * Hands out the fwmarks: a group and protocol keeps the fwmark it had (`previous`: the last
 * configuration, or what a previous child left in the maps); a new one takes `next` onwards, skipping
 * marks in use. keepalived counts on across reloads too, never back.
 */
export function planFwmarks(
  vss: readonly VirtualServer[],
  groups: readonly VirtualServerGroup[],
  previous: ReadonlyMap<string, number>,
  next: number,
): FwmarkPlan {
  const marks = new Map<string, number>();
  const elems: FwmarkElem[] = [];
  const taken = new Set(previous.values());
  for (const vs of vss) {
    const g = markedGroup(vs, groups);
    const key = autoFwmarkKey(vs.group ?? "", vs.protocol);
    if (!g || marks.has(key)) continue;
    let mark = previous.get(key);
    if (mark === undefined) {
      while (taken.has(next)) next++;
      mark = next++;
      taken.add(mark);
    }
    marks.set(key, mark);
    elems.push(...entryElems(g, vs.protocol, mark));
  }
  return { marks, elems, next };
}

/** The fwmarks a previous child left: a group's mark is the one its first entry maps to. */
export function marksFromKernel(vss: readonly VirtualServer[], groups: readonly VirtualServerGroup[], found: readonly FwmarkElem[]): Map<string, number> {
  const byId = new Map(found.map((e) => [elemId(e), e.fwmark]));
  const out = new Map<string, number>();
  for (const vs of vss) {
    const g = markedGroup(vs, groups);
    const first = g ? entryElems(g, vs.protocol, 0)[0] : undefined;
    const mark = first ? byId.get(elemId(first)) : undefined;
    if (mark !== undefined && ![...out.values()].includes(mark)) out.set(autoFwmarkKey(vs.group ?? "", vs.protocol), mark);
  }
  return out;
}

/** The address families of a group's entries (its fwmark service exists in each). */
export function groupFamilies(g: VirtualServerGroup): Family[] {
  const fams = new Set(g.entries.filter((e) => e.address !== null).map((e) => e.family ?? (e.address!.includes(":") ? "ipv6" : "ipv4")));
  return (["ipv4", "ipv6"] as const).filter((f) => fams.has(f));
}
