/**
 * An in-memory nf_tables for tests of the firewall writer: it applies the batches it is sent (tables,
 * set elements) as the kernel would, all or nothing, and answers GETTABLE / GETSETELEM from that state.
 */
import { NetlinkError } from "../../../src/ffi/netlink.ts";
import { AttrReader, nla, nlaNested, nlaString } from "../../../src/proto/netlink-attr.ts";
import { type NlMessage, nlmsg, splitMessages } from "../../../src/proto/netlink.ts";
import { NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFT_MSG, parseNfgen } from "../../../src/proto/nftables.ts";

/** One table: its sets' keys in hex, and each element's attributes as sent (a map's value, an interval's end). */
export interface FakeTable {
  sets: Map<string, Set<string>>;
  elems: Map<string, Map<string, Uint8Array>>;
}

function attrs(m: NlMessage): AttrReader {
  const g = parseNfgen(m.payload);
  if (!g.ok) throw new Error(g.reason);
  const r = AttrReader.parse(g.value.attrs, "nft");
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

function elemKeys(r: AttrReader): [string, Uint8Array][] {
  const list = r.raw(3);
  if (!list) return [];
  const out: [string, Uint8Array][] = [];
  const elems = AttrReader.parse(list, "elems");
  if (!elems.ok) throw new Error(elems.reason);
  for (const a of elems.value.attrs) {
    const el = AttrReader.parse(a.value, "elem");
    const key = el.ok ? el.value.raw(1) : undefined;
    const kv = key && AttrReader.parse(key, "key");
    const v = kv && kv.ok ? kv.value.raw(1) : undefined;
    if (v) out.push([Buffer.from(v).toString("hex"), a.value.slice()]);
  }
  return out;
}

/** The fake kernel side of a NETLINK_NETFILTER socket. */
export class FakeNft {
  /** Tables by "family/name". */
  tables = new Map<string, FakeTable>();
  /** Every committed batch's message commands, in order. */
  readonly batches: number[][] = [];
  /** Set to make the next transaction fail with this errno. */
  failNext = 0;
  /** With failNext: transactions to let through before the failing one. */
  failAfter = 0;
  #seq = 1;
  closed = false;

  nextSeq(): number {
    return ++this.#seq;
  }
  close(): void {
    this.closed = true;
  }

  transact(msgs: Uint8Array[], _acked: readonly number[], what: string): void {
    if (this.failNext && this.failAfter > 0) this.failAfter--;
    else if (this.failNext) {
      const e = this.failNext;
      this.failNext = 0;
      throw new NetlinkError(e, what);
    }
    const next = new Map(
      [...this.tables].map((
        [k, t],
      ) => [k, { sets: new Map([...t.sets].map(([n, s]) => [n, new Set(s)])), elems: new Map([...t.elems].map(([n, e]) => [n, new Map(e)])) }]),
    );
    const cmds: number[] = [];
    for (const buf of msgs) {
      const split = splitMessages(buf);
      if (!split.ok) throw new Error(split.reason);
      for (const m of split.value) {
        if (m.header.type === NFNL_MSG_BATCH_BEGIN || m.header.type === NFNL_MSG_BATCH_END) continue;
        const cmd = m.header.type & 0xff;
        cmds.push(cmd);
        const fam = m.payload[0];
        const r = attrs(m);
        const table = r.str(1) ?? "";
        const key = `${fam}/${table}`;
        if (cmd === NFT_MSG.NEWTABLE && !next.has(key)) next.set(key, { sets: new Map(), elems: new Map() });
        else if (cmd === NFT_MSG.DELTABLE) {
          if (!next.delete(key)) throw new NetlinkError(2, what);
        } else if (cmd === NFT_MSG.NEWSET) {
          const t = next.get(key);
          if (!t) throw new NetlinkError(2, what);
          if (t.sets.has(r.str(2)!)) throw new NetlinkError(17, what);
          t.sets.set(r.str(2)!, new Set());
          t.elems.set(r.str(2)!, new Map());
        } else if (cmd === NFT_MSG.NEWSETELEM || cmd === NFT_MSG.DELSETELEM) {
          const s = next.get(key)?.sets.get(r.str(2)!);
          const raw = next.get(key)?.elems.get(r.str(2)!);
          if (!s || !raw) throw new NetlinkError(2, what);
          for (const [k, body] of elemKeys(r)) {
            if (cmd === NFT_MSG.NEWSETELEM) s.add(k), raw.set(k, body);
            else if (!s.delete(k)) throw new NetlinkError(2, what);
            else raw.delete(k);
          }
        } else if (cmd === NFT_MSG.NEWCHAIN || cmd === NFT_MSG.NEWRULE) {
          if (!next.has(key)) throw new NetlinkError(2, what);
        }
      }
    }
    this.tables = next;
    this.batches.push(cmds);
  }

  request(msg: Uint8Array, seq: number, what: string): NlMessage[] {
    const split = splitMessages(msg);
    if (!split.ok) throw new Error(split.reason);
    const m = split.value[0]!;
    const r = attrs(m);
    const key = `${m.payload[0]}/${r.str(1)}`;
    const t = this.tables.get(key);
    if (!t) throw new NetlinkError(2, what);
    if ((m.header.type & 0xff) === NFT_MSG.GETTABLE) return [];
    const s = t.sets.get(r.str(2) ?? "");
    if (!s) throw new NetlinkError(2, what);
    const raw = t.elems.get(r.str(2) ?? "");
    const elems = [...s].map((h) => nlaNested(1, [raw?.get(h) ?? nlaNested(1, [nla(1, Buffer.from(h, "hex"))])]));
    const body = Buffer.concat([Uint8Array.of(m.payload[0]!, 0, 0, 0), nlaString(1, r.str(1)!), nlaString(2, r.str(2)!), nlaNested(3, elems)]);
    const reply = splitMessages(nlmsg(m.header.type, 2, seq, body));
    return reply.ok ? reply.value : [];
  }

  /** Keys (hex) of set `set` in table `family/name`, or undefined when absent. */
  keys(family: number, table: string, set = "vips"): string[] | undefined {
    const s = this.tables.get(`${family}/${table}`)?.sets.get(set);
    return s && [...s].sort();
  }
}
