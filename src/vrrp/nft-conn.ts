/**
 * One nf_tables netlink connection of a table owner (the VRRP child's firewall, the check child's
 * nftables_ipvs): opened on first use, a failure to open logged once, sequence numbers, the table
 * lookup both owners make before adopting, and close on stop.
 */
import type { Family } from "../core/inet.ts";
import type { Logger } from "../core/log.ts";
import { NetlinkError } from "../ffi/netlink.ts";
import { getTable } from "../proto/nftables.ts";
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

  close(): void {
    this.#link?.close();
    this.#link = undefined;
  }
}
