/**
 * The check child's nftables writer for `nftables_ipvs` (rules in nft-ipvs-rules.ts), the only owner of
 * that table. As keepalived 2.2.7 does it: a family's table, a protocol's map and its rule appear with
 * their first element; elements follow the configuration (added and removed on reload); the tables are
 * deleted on stop.
 *
 * Every change is one nfnetlink transaction. A restarted child first reads the maps a previous child
 * left (read(), so the groups keep their fwmarks and the IPVS services theirs), then replaces the tables
 * in one transaction (create-if-missing, delete, rebuild): packets never see a moment without the marks.
 * A failed transaction is tried again on a timer (RETRY_FIRST_MS doubling to RETRY_MAX_MS) until the
 * tables hold what the configuration asks, logged once per failure episode and counted (counts).
 */
import type { Family } from "../core/inet.ts";
import type { Logger } from "../core/log.ts";
import type { Scheduler, TimerHandle } from "../core/scheduler.ts";
import { NETLINK_NETFILTER, NetlinkSocket } from "../ffi/netlink.ts";
import { delTable, newTable } from "../proto/nftables.ts";
import { batch, nfFamily, type Seq } from "../vrrp/firewall-rules.ts";
import { ackedSeqs } from "../vrrp/firewall.ts";
import { NftConn, type NftLink } from "../vrrp/nft-conn.ts";
import { decodeElem, elemChanges, elemId, type FwmarkElem, type IpvsNftShape, type L4, mapName, mapPart, tablePart } from "./nft-ipvs-rules.ts";

interface FamilyState {
  exists: boolean;
  maps: Set<L4>;
  /** Elements in the kernel, by elemId. */
  elems: Map<string, FwmarkElem>;
}

const FAMILIES: Family[] = ["ipv4", "ipv6"];
/**
 * Largest transaction sent in one datagram (netlink refuses one bigger than the socket's send buffer,
 * 208 KiB by default): a change beyond it (some thousands of group entries) goes in several, in order.
 */
const BATCH_BYTES = 64 * 1024;
const PROTOCOLS: L4[] = ["TCP", "UDP", "SCTP"];

/** A failed transaction is tried again after 1 s, doubling to at most RETRY_MAX_MS while it keeps failing. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;

const fresh = (): FamilyState => ({ exists: false, maps: new Set(), elems: new Map() });
const sameShape = (a: IpvsNftShape, b: IpvsNftShape) => a.table === b.table && a.priority === b.priority && a.counters === b.counters;

/** The `nftables_ipvs` tables of one check child. */
export class IpvsNft {
  #shape: IpvsNftShape | null = null;
  /** Families whose table a previous child left, and its elements in the kernel's order (known after read()). */
  #found = new Set<Family>();
  #foundElems: FwmarkElem[] = [];
  #read = false;
  /** Tables a change went into only partly (split transaction): the next change rebuilds from scratch. */
  #dirty = new Set<string>();
  readonly #fams = new Map<Family, FamilyState>(FAMILIES.map((f) => [f, fresh()]));

  readonly #conn: NftConn;
  #sched: Scheduler | undefined;
  #retry: TimerHandle | undefined;
  #retryMs = 0;
  /** Whether the last attempt failed (a failure episode: logged once, ended by a success). */
  #failing = false;
  /** Failed attempts, retries made (for the data dump and tests). */
  readonly counts = { failures: 0, retries: 0 };

  constructor(readonly log: Logger, open: () => NftLink = () => new NetlinkSocket(NETLINK_NETFILTER)) {
    this.#conn = new NftConn(log, open);
  }

  /** Failed transactions are retried on `sched`'s timers until one goes in (without it: on the next change only). */
  retryOn(sched: Scheduler): void {
    this.#sched = sched;
  }

  /** Whether a failed transaction waits for its retry. */
  get pending(): boolean {
    return this.#retry !== undefined;
  }

  /** The elements a previous child left in `shape`'s maps (read once, before the first configure()). */
  read(shape: IpvsNftShape): FwmarkElem[] {
    if (this.#read) return [];
    this.#read = true;
    const out: FwmarkElem[] = [];
    try {
      for (const f of FAMILIES) {
        if (!this.#conn.tableExists(f, shape.table)) continue;
        this.#found.add(f);
        for (const p of PROTOCOLS) out.push(...this.#conn.readSet(f, shape.table, mapName(p), (e) => decodeElem(f, mapName(p), e)) ?? []);
      }
    } catch (e) {
      this.log.error(`nftables: cannot read table ${shape.table}: ${(e as Error).message}`);
    }
    this.#foundElems = out;
    return out;
  }

  /** Makes the tables hold `elems` (null shape: no tables); the first call replaces what a previous child left. */
  configure(shape: IpvsNftShape | null, elems: readonly FwmarkElem[]): void {
    this.#sched?.cancel(this.#retry);
    this.#retry = undefined;
    if (this.#apply(shape, elems)) {
      if (this.#failing) this.log.info(`nftables: table ${shape?.table ?? "update"} in place after ${this.counts.failures} failed attempt(s)`);
      this.#failing = false;
      this.#retryMs = 0;
      return;
    }
    this.counts.failures++;
    this.#failing = true;
    if (!this.#sched) return;
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs ? this.#retryMs * 2 : RETRY_FIRST_MS);
    this.#retry = this.#sched.after(this.#retryMs, () => {
      this.#retry = undefined;
      this.counts.retries++;
      this.configure(shape, elems);
    });
  }

  /** One attempt at configure(); false when a transaction failed (the state kept is what the kernel has). */
  #apply(shape: IpvsNftShape | null, elems: readonly FwmarkElem[]): boolean {
    const old = this.#shape;
    const seq = this.#conn.seq();
    const msgs: Uint8Array[] = [];
    const replace = this.#dirty.size > 0 || (old === null ? shape !== null : shape === null || !sameShape(old, shape));
    if (replace) {
      if (this.#dirty.size) {
        // What is there is not known: create-if-missing and delete both families' tables, old and attempted.
        for (const name of new Set([...this.#dirty, ...(old ? [old.table] : [])])) {
          for (const f of FAMILIES) msgs.push(newTable(seq.next(), nfFamily(f), name), delTable(seq.next(), nfFamily(f), name));
        }
      } else if (old === null && shape) {
        this.read(shape);
        for (const f of this.#found) msgs.push(newTable(seq.next(), nfFamily(f), shape.table), delTable(seq.next(), nfFamily(f), shape.table));
      } else if (old) {
        for (const [f, t] of this.#fams) if (t.exists) msgs.push(delTable(seq.next(), nfFamily(f), old.table));
      }
    }
    const state = replace
      ? new Map(FAMILIES.map((f) => [f, fresh()]))
      : new Map([...this.#fams].map(([f, t]) => [f, { ...t, maps: new Set(t.maps), elems: new Map(t.elems) }]));
    if (shape) msgs.push(...this.#changes(shape, state, old === null ? this.#keptFirst(elems) : elems, seq));
    const what = replace ? `set up table ${shape?.table ?? old?.table}` : "update the fwmark maps";
    if (msgs.length && !this.#commit(msgs, seq, what, [old?.table, shape?.table])) return false;
    this.#shape = shape;
    this.#dirty.clear();
    this.#found.clear();
    this.#foundElems = [];
    for (const [f, t] of state) this.#fams.set(f, t);
    return true;
  }

  /** Deletes our tables (daemon stop). */
  stop(): void {
    this.configure(null, []);
    this.#sched?.cancel(this.#retry);
    this.#retry = undefined;
    this.#conn.close();
  }

  /** The elements in the kernel's maps now, for dumps and tests. */
  elements(): FwmarkElem[] {
    return [...this.#fams.values()].flatMap((t) => [...t.elems.values()]);
  }

  /** `elems` with those a previous child left first, in the kernel's order (the rebuilt maps list as before). */
  #keptFirst(elems: readonly FwmarkElem[]): readonly FwmarkElem[] {
    if (!this.#foundElems.length) return elems;
    const want = new Map(elems.map((e) => [elemId(e), e]));
    const kept = this.#foundElems.filter((f) => want.get(elemId(f))?.fwmark === f.fwmark).map((f) => want.get(elemId(f))!);
    const ids = new Set(kept.map(elemId));
    return [...kept, ...elems.filter((e) => !ids.has(elemId(e)))];
  }

  /** Messages from `state` to `elems`: removals first, then tables, maps and additions in keepalived's order. */
  #changes(shape: IpvsNftShape, state: Map<Family, FamilyState>, elems: readonly FwmarkElem[], seq: Seq): Uint8Array[] {
    const want = new Map(elems.map((e) => [elemId(e), e]));
    const out: Uint8Array[] = [];
    for (const f of FAMILIES) {
      const t = state.get(f)!;
      for (const p of PROTOCOLS) {
        const gone = [...t.elems.values()].filter((e) => e.protocol === p && want.get(elemId(e))?.fwmark !== e.fwmark);
        if (gone.length) out.push(...elemChanges(shape, f, p, gone, "del", seq));
        for (const e of gone) t.elems.delete(elemId(e));
      }
    }
    // Structure in the order the elements first need it (as keepalived creates it), then one add per map.
    const adds = new Map<string, [Family, L4, FwmarkElem[]]>();
    for (const e of elems) {
      const t = state.get(e.family)!;
      if (t.elems.has(elemId(e))) continue;
      if (!t.exists) out.push(...tablePart(shape, e.family, seq));
      if (!t.maps.has(e.protocol)) out.push(...mapPart(shape, e.family, e.protocol, seq));
      t.exists = true;
      t.maps.add(e.protocol);
      t.elems.set(elemId(e), e);
      const k = `${e.family}|${e.protocol}`;
      if (!adds.has(k)) adds.set(k, [e.family, e.protocol, []]);
      adds.get(k)![2].push(e);
    }
    for (const [f, p, list] of adds.values()) out.push(...elemChanges(shape, f, p, list, "add", seq));
    return out;
  }

  /** Sends `msgs`; when a later part fails after an earlier one went in, `tables` are marked for a rebuild. */
  #commit(msgs: Uint8Array[], seq: Seq, what: string, tables: (string | undefined)[]): boolean {
    const link = this.#conn.link();
    if (!link) return false; // NftConn logged it (once)
    const parts: Uint8Array[][] = [[]];
    let bytes = 0;
    for (const m of msgs) {
      if (bytes + m.length > BATCH_BYTES && parts.at(-1)!.length) parts.push([]), bytes = 0;
      parts.at(-1)!.push(m);
      bytes += m.length;
    }
    for (const [i, part] of parts.entries()) {
      const all = batch(part, seq);
      try {
        link.transact(all, ackedSeqs(all), `nftables: ${what}`);
      } catch (e) {
        if (!this.#failing) this.log.error(`nftables: cannot ${what}: ${(e as Error).message}; retrying`);
        if (i > 0) { for (const t of tables) if (t) this.#dirty.add(t); }
        return false;
      }
    }
    return true;
  }
}
