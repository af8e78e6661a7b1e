/**
 * The VRRP child's nftables writer, the only one of our firewall tables (man 5 keepalived.conf:
 * `nftables`, `no_accept`, `vrrp_strict`). As keepalived 2.2.7 does it: a family's table is created when
 * the first instance without accept mode becomes MASTER ("setting firewall drop rule", before its VIPs
 * are added), its addresses leave the sets when it stops being MASTER (after its VIPs are removed), the
 * tables stay while we run and are deleted on stop.
 *
 * Every change is one nfnetlink transaction, so the packet path sees the old ruleset or the new one and
 * never a moment between. A restarted child adopts the tables it finds (keeps their elements and rebuilds
 * the rest in the same transaction) instead of deleting them, so a VIP never answers while we restart;
 * after its instances have started, elements that no instance claims are removed (settle()).
 */
import type { Family } from "../core/inet.ts";
import { NETLINK_NETFILTER, NetlinkSocket } from "../ffi/netlink.ts";
import type { Logger } from "../core/log.ts";
import { bytesToAddr } from "../proto/netlink.ts";
import { delTable, newTable } from "../proto/nftables.ts";
import {
  batch,
  elementChanges,
  type FirewallShape,
  type FwKey,
  keyBytes,
  linkLocalSet,
  nfFamily,
  type Seq,
  setOf,
  tableBase,
  vipsPart,
  vmacElements,
  vmacPart,
} from "./firewall-rules.ts";
import { NftConn, type NftLink } from "./nft-conn.ts";

/** What an instance needs of the firewall. */
export interface Firewall {
  /** Drops traffic to and from `keys` on behalf of `owner` (called before its VIPs are added). */
  block(owner: string, keys: readonly FwKey[]): void;
  /** Releases `owner`'s claim on `keys` (called after its VIPs are removed). */
  unblock(owner: string, keys: readonly FwKey[]): void;
}

export type { NftLink } from "./nft-conn.ts";

interface TableState {
  exists: boolean;
  /** The no_accept part (vips sets, input chain) is there. */
  vips: boolean;
  /** The VMAC part (vmac_map, rules) is there. */
  vmac: boolean;
  /** VMACs in the map: owner -> [vmac ifindex, base ifindex]. */
  vmacs: Map<string, [number, number]>;
  /** Keys in the kernel's sets, by their bytes in hex. */
  keys: Map<string, FwKey>;
  /** Link-local sets present: false = by ifindex, true = by name. */
  linkLocal: Set<boolean>;
}

const FAMILIES: Family[] = ["ipv4", "ipv6"];
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The sequence numbers of the messages that ask for an ACK (the ones a transaction waits for). */
export function ackedSeqs(msgs: Uint8Array[]): number[] {
  const out: number[] = [];
  for (const m of msgs) {
    const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
    if (v.getUint16(6, true) & 4) out.push(v.getUint32(8, true));
  }
  return out;
}

function emptyTable(): TableState {
  return { exists: false, vips: false, vmac: false, vmacs: new Map(), keys: new Map(), linkLocal: new Set() };
}

function reset(t: TableState): void {
  Object.assign(t, emptyTable());
}

/** A key read back from one of our sets. */
export function decodeKey(f: Family, set: string, b: Uint8Array): FwKey | undefined {
  const address = bytesToAddr(b.subarray(0, f === "ipv4" ? 4 : 16));
  if (!address) return undefined;
  if (set === "vips") return { family: f, address };
  if (set === "vips_link_local" && b.length >= 20) return { family: f, address, ifindex: new DataView(b.buffer, b.byteOffset).getUint32(16, true) };
  if (set === "vips_link_local_name" && b.length >= 32) {
    const name = b.subarray(16, 32);
    const end = name.indexOf(0);
    return { family: f, address, ifname: new TextDecoder().decode(end < 0 ? name : name.subarray(0, end)) };
  }
  return undefined;
}

/** nf_tables tables of one daemon, kept in step with the instances' claims. */
export class NftFirewall implements Firewall {
  #shape: FirewallShape | null = null;
  readonly #claims = new Map<string, FwKey[]>();
  readonly #tables = new Map<Family, TableState>(FAMILIES.map((f) => [f, emptyTable()]));

  readonly #conn: NftConn;

  constructor(readonly log: Logger, open: () => NftLink = () => new NetlinkSocket(NETLINK_NETFILTER)) {
    this.#conn = new NftConn(log, open);
  }

  /** Sets (or, with null, removes) the table shape; the first call adopts tables left by a previous child. */
  configure(shape: FirewallShape | null): void {
    const old = this.#shape;
    if (old && shape && old.table === shape.table && old.priority === shape.priority && old.counters === shape.counters) return;
    if (!old && shape) {
      this.#shape = shape;
      this.#adopt();
      return;
    }
    const keep = [...this.#tables.entries()].filter(([, t]) => t.exists);
    const msgs: Uint8Array[] = [];
    const seq = this.#conn.seq();
    if (old) { for (const [f] of keep) msgs.push(delTable(seq.next(), nfFamily(f), old.table)); }
    this.#shape = shape;
    if (shape) { for (const [f, t] of keep) msgs.push(...this.#rebuild(shape, f, t, seq)); }
    if (!msgs.length) return;
    if (!this.#commit(msgs, seq, "replace the firewall tables")) return;
    if (!shape) { for (const [, t] of keep) reset(t); }
  }

  /** Blocks `keys` for `owner`, creating the family's table on first use. */
  block(owner: string, keys: readonly FwKey[]): void {
    const shape = this.#shape;
    if (!shape || !keys.length) return;
    this.#claims.set(owner, [...keys]);
    const seq = this.#conn.seq();
    const msgs: Uint8Array[] = [];
    const added: [TableState, FwKey][] = [];
    for (const f of FAMILIES) {
      const t = this.#tables.get(f)!;
      const fresh = keys.filter((k) => k.family === f && !t.keys.has(hex(keyBytes(k))));
      if (!fresh.length) continue;
      if (!t.exists) msgs.push(...tableBase(shape, f, seq));
      if (!t.vips) msgs.push(...vipsPart(shape, f, seq));
      for (const byName of new Set(fresh.filter((k) => setOf(k) !== "vips").map((k) => k.ifname !== undefined))) {
        if (!t.linkLocal.has(byName)) msgs.push(...linkLocalSet(shape, byName, seq));
      }
      msgs.push(...elementChanges(shape, f, fresh, "add", seq));
      for (const k of fresh) added.push([t, k]);
    }
    if (!msgs.length || !this.#commit(msgs, seq, `block ${owner}'s addresses`)) return;
    for (const [t, k] of added) {
      t.exists = t.vips = true;
      t.keys.set(hex(keyBytes(k)), k);
      if (setOf(k) !== "vips") t.linkLocal.add(k.ifname !== undefined);
    }
  }

  /** A VMAC of `owner` (family `f`): its IGMP/MLD reports go out on `base`, its router solicitations nowhere. */
  addVmac(owner: string, f: Family, vmac: number, base: number): void {
    const shape = this.#shape;
    const t = this.#tables.get(f)!;
    const had = t.vmacs.get(owner);
    if (!shape || (had && had[0] === vmac && had[1] === base)) return;
    const seq = this.#conn.seq();
    const msgs: Uint8Array[] = [];
    if (had) msgs.push(...vmacElements(shape, f, had[0], had[1], "del", seq));
    if (!t.exists) msgs.push(...tableBase(shape, f, seq));
    if (!t.vmac) msgs.push(...vmacPart(shape, f, seq));
    msgs.push(...vmacElements(shape, f, vmac, base, "add", seq));
    if (!this.#commit(msgs, seq, `add ${owner}'s VMAC to the firewall`)) return;
    t.exists = t.vmac = true;
    t.vmacs.set(owner, [vmac, base]);
  }

  /** Forgets `owner`'s VMAC (it was deleted). */
  removeVmac(owner: string): void {
    const shape = this.#shape;
    for (const f of FAMILIES) {
      const t = this.#tables.get(f)!;
      const had = t.vmacs.get(owner);
      if (!shape || !had) continue;
      const seq = this.#conn.seq();
      if (this.#commit(vmacElements(shape, f, had[0], had[1], "del", seq), seq, `remove ${owner}'s VMAC from the firewall`)) t.vmacs.delete(owner);
    }
  }

  /** Releases `owner`'s claim; keys no other owner claims leave the sets. */
  unblock(owner: string, keys: readonly FwKey[]): void {
    this.#claims.delete(owner);
    this.#release(keys, `unblock ${owner}'s addresses`);
  }

  /** Removes elements no instance claims (left by a previous child, or by an instance removed on reload). */
  settle(): void {
    const claimed = new Set([...this.#claims.values()].flat().map((k) => hex(keyBytes(k))));
    const stale = [...this.#tables.values()].flatMap((t) => [...t.keys].filter(([h]) => !claimed.has(h)).map(([, k]) => k));
    this.#release(stale, "remove unclaimed addresses");
  }

  /** Deletes our tables (daemon stop). */
  stop(): void {
    this.configure(null);
    this.#conn.close();
  }

  /** Addresses in the kernel's sets now, for dumps and tests. */
  blocked(): FwKey[] {
    return [...this.#tables.values()].flatMap((t) => [...t.keys.values()]);
  }

  #release(keys: readonly FwKey[], what: string): void {
    const shape = this.#shape;
    if (!shape) return;
    const claimed = new Set([...this.#claims.values()].flat().map((k) => hex(keyBytes(k))));
    const seq = this.#conn.seq();
    const msgs: Uint8Array[] = [];
    const gone: [TableState, string][] = [];
    for (const f of FAMILIES) {
      const t = this.#tables.get(f)!;
      const drop = keys.filter((k) => k.family === f && t.keys.has(hex(keyBytes(k))) && !claimed.has(hex(keyBytes(k))));
      const uniq = [...new Map(drop.map((k) => [hex(keyBytes(k)), k])).values()];
      if (!uniq.length) continue;
      msgs.push(...elementChanges(shape, f, uniq, "del", seq));
      for (const k of uniq) gone.push([t, hex(keyBytes(k))]);
    }
    if (msgs.length && this.#commit(msgs, seq, what)) { for (const [t, h] of gone) t.keys.delete(h); }
  }

  /** Reads what a previous child left and rebuilds it in our shape, keeping its elements. */
  #adopt(): void {
    const shape = this.#shape!;
    const seq = this.#conn.seq();
    const msgs: Uint8Array[] = [];
    const found: Family[] = [];
    for (const f of FAMILIES) {
      const t = this.#tables.get(f)!;
      if (!this.#conn.tableExists(f, shape.table)) continue;
      found.push(f);
      for (const set of ["vips", "vips_link_local", "vips_link_local_name"]) {
        const keys = this.#conn.readSet(f, shape.table, set, (e) => decodeKey(f, set, e.key));
        if (keys === undefined) continue;
        if (set === "vips") t.vips = true;
        else t.linkLocal.add(set === "vips_link_local_name");
        for (const k of keys) t.keys.set(hex(keyBytes(k)), k);
      }
      msgs.push(newTable(seq.next(), nfFamily(f), shape.table), delTable(seq.next(), nfFamily(f), shape.table));
      msgs.push(...this.#rebuild(shape, f, t, seq));
    }
    if (!msgs.length) return;
    if (this.#commit(msgs, seq, "adopt the firewall tables")) {
      for (const f of found) this.#tables.get(f)!.exists = true;
      this.log.info(`nftables: adopted table ${shape.table} with ${this.blocked().length} blocked address(es)`);
    }
  }

  /** The messages that make family `f`'s table again as `t` says it is (VMACs, then the no_accept part). */
  #rebuild(shape: FirewallShape, f: Family, t: TableState, seq: Seq): Uint8Array[] {
    const out = tableBase(shape, f, seq);
    if (t.vmac) {
      out.push(...vmacPart(shape, f, seq));
      for (const [vmac, base] of t.vmacs.values()) out.push(...vmacElements(shape, f, vmac, base, "add", seq));
    }
    if (t.vips) {
      out.push(...vipsPart(shape, f, seq));
      for (const byName of t.linkLocal) out.push(...linkLocalSet(shape, byName, seq));
      out.push(...elementChanges(shape, f, [...t.keys.values()], "add", seq));
    }
    return out;
  }

  #commit(msgs: Uint8Array[], seq: Seq, what: string): boolean {
    const link = this.#conn.link();
    if (!link) return false;
    const all = batch(msgs, seq);
    try {
      link.transact(all, ackedSeqs(all), `nftables: ${what}`);
      return true;
    } catch (e) {
      this.log.error(`nftables: cannot ${what}: ${(e as Error).message}`);
      return false;
    }
  }
}
