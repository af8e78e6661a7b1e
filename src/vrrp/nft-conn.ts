/**
 * One nf_tables netlink connection of a table owner (the VRRP child's firewall, the check child's
 * nftables_ipvs): opened on first use, a failure to open logged once, sequence numbers, the table
 * lookup and set listing both owners make before adopting, and close on stop.
 */
import type { Family } from "../core/inet.ts";
import type { Logger } from "../core/log.ts";
import { NetlinkError } from "../ffi/netlink.ts";
import { decodeSetDump, type ElemParts, getSetElems, getTable } from "../proto/nftables.ts";
import type { NlMessage } from "../proto/netlink.ts";
import { nfFamily, type Seq } from "./firewall-rules.ts";

/** The netlink side, replaceable in tests. */
export interface NftLink {
  transact(msgs: Uint8Array[], acked: readonly number[], what: string): void;
  request(msg: Uint8Array, seq: number, what: string): NlMessage[];
  nextSeq(): number;
  close(): void;
}

const ENOENT = 2;

export class NftConn {
  #link: NftLink | undefined;
  #failed = false;

  constructor(readonly log: Logger, readonly open: () => NftLink) {}

  /** The connection, opened now if needed; undefined when it cannot be opened (logged once). */
  link(): NftLink | undefined {
    if (this.#link) return this.#link;
    try {
      this.#link = this.open();
    } catch (e) {
      if (!this.#failed) this.log.error(`nftables: cannot open a netfilter netlink socket: ${(e as Error).message}`);
      this.#failed = true;
    }
    return this.#link;
  }

  /** Sequence numbers of the connection (0 while it cannot be opened). */
  seq(): Seq {
    return { next: () => this.link()?.nextSeq() ?? 0 };
  }

  /** Whether table `name` of family `f` exists. */
  tableExists(f: Family, name: string): boolean {
    const link = this.link();
    if (!link) return false;
    const seq = link.nextSeq();
    try {
      link.request(getTable(seq, nfFamily(f), name), seq, `get table ${name}`);
      return true;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENOENT) return false;
      throw e;
    }
  }

  /** The elements of set (or map) `set` of table `table`, each through `decode`; undefined when the set does not exist. */
  readSet<T>(f: Family, table: string, set: string, decode: (e: ElemParts) => T | undefined): T[] | undefined {
    const link = this.link();
    if (!link) return undefined;
    const seq = link.nextSeq();
    try {
      return decodeSetDump(link.request(getSetElems(seq, nfFamily(f), table, set), seq, `list set ${set}`), decode);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENOENT) return undefined;
      throw e;
    }
  }

  close(): void {
    this.#link?.close();
    this.#link = undefined;
  }
}
