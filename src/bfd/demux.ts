/**
 * Session selection for received Control packets (pure):
 * - RFC 5880 §6.3 / §6.8.6: a non-zero Your Discriminator selects the session whose bfd.LocalDiscr it is;
 * - RFC 5881 §3 / RFC 5883 §3: with Your Discriminator 0, the session is found from the packet's path:
 *   (single hop or multihop, source address = our neighbor, destination address = our source_ip). A session
 *   without `source_ip` matches any local address.
 * After selection, the peer address must be the session's neighbor (a discriminator guessed from another
 * host does not reach a session), and the TTL / Hop Limit is judged by the session's policy (RFC 5881 §5,
 * keepalived `ttl` + `max_hops`).
 */
import { checkReceivedTtl } from "../proto/bfd.ts";
import type { BfdControlPacket, BfdTtlPolicy } from "../proto/bfd.ts";

/** Where a session's packets travel: what the transport needs to open it and demux needs to find it. */
export interface BfdPath {
  /** Neighbor address, canonical text (formatIp). */
  peer: string;
  /** Our address (keepalived `source_ip`), canonical text; null = any. */
  local: string | null;
  /** RFC 5883 multihop (UDP 4784) rather than RFC 5881 single hop (UDP 3784). */
  multihop: boolean;
  /** TTL / Hop Limit we send with. */
  ttl: number;
}

/** Where a received packet came from, as the transport reports it. */
export interface BfdArrival {
  /** Source address, canonical text. */
  peer: string;
  /** Destination address from IP_PKTINFO / IPV6_PKTINFO, canonical text; undefined if not reported. */
  local: string | undefined;
  /** Arrived on the multihop port. */
  multihop: boolean;
  /** Received TTL / Hop Limit; undefined if not reported. */
  ttl: number | undefined;
}

/** Why demultiplexing dropped a packet (counted like the parser's reasons). */
export type BfdDemuxReason =
  | "unknown-your-discriminator"
  | "no-session-for-path"
  | "wrong-peer"
  | "ttl-too-low";

/** Result of {@link BfdDemux.select}. */
export type BfdDemuxResult<K> =
  | { ok: true; key: K }
  | { ok: false; reason: BfdDemuxReason; detail: string };

interface Entry<K> {
  key: K;
  discr: number;
  path: BfdPath;
  policy: BfdTtlPolicy;
}

function pathKey(multihop: boolean, peer: string, local: string | null): string {
  return `${multihop ? "mh" : "sh"}|${peer}|${local ?? "*"}`;
}

/** Index of sessions by local discriminator and by path. `K` is the caller's session key (the name). */
export class BfdDemux<K> {
  #byDiscr = new Map<number, Entry<K>>();
  #byPath = new Map<string, Entry<K>>();

  /** Registers a session; a path already taken by another session is an error naming both. */
  add(key: K, discr: number, path: BfdPath, policy: BfdTtlPolicy): void {
    const pk = pathKey(path.multihop, path.peer, path.local);
    const other = this.#byPath.get(pk);
    if (other) throw new Error(`BFD path ${pk} is used by both ${String(other.key)} and ${String(key)}`);
    if (this.#byDiscr.has(discr >>> 0)) throw new Error(`BFD local discriminator ${discr >>> 0} is in use`);
    const e: Entry<K> = { key, discr: discr >>> 0, path, policy };
    this.#byDiscr.set(e.discr, e);
    this.#byPath.set(pk, e);
  }

  /** Unregisters the session with this discriminator (unknown ones are ignored). */
  remove(discr: number): void {
    const e = this.#byDiscr.get(discr >>> 0);
    if (!e) return;
    this.#byDiscr.delete(e.discr);
    this.#byPath.delete(pathKey(e.path.multihop, e.path.peer, e.path.local));
  }

  /** Discriminators in use (for picking a fresh one, RFC 5880 §6.3). */
  discriminators(): ReadonlySet<number> {
    return new Set(this.#byDiscr.keys());
  }

  #byArrival(a: BfdArrival): Entry<K> | undefined {
    const exact = a.local === undefined ? undefined : this.#byPath.get(pathKey(a.multihop, a.peer, a.local));
    return exact ?? this.#byPath.get(pathKey(a.multihop, a.peer, null));
  }

  /** Picks the session a parsed packet belongs to, or says why none does. */
  select(p: Pick<BfdControlPacket, "yourDiscriminator">, a: BfdArrival): BfdDemuxResult<K> {
    let e: Entry<K> | undefined;
    if (p.yourDiscriminator !== 0) {
      e = this.#byDiscr.get(p.yourDiscriminator >>> 0);
      if (!e) {
        return {
          ok: false,
          reason: "unknown-your-discriminator",
          detail: `Your Discriminator ${p.yourDiscriminator} from ${a.peer} matches no session`,
        };
      }
    } else {
      e = this.#byArrival(a);
      if (!e) {
        const kind = a.multihop ? "multihop" : "single-hop";
        return {
          ok: false,
          reason: "no-session-for-path",
          detail: `no ${kind} session for ${a.peer} -> ${a.local ?? "?"}`,
        };
      }
    }
    if (e.path.peer !== a.peer || e.path.multihop !== a.multihop) {
      return {
        ok: false,
        reason: "wrong-peer",
        detail: `packet for ${String(e.key)} came from ${a.peer}${a.multihop ? " (multihop)" : ""}, expected ${e.path.peer}`,
      };
    }
    const ttl = checkReceivedTtl(a.ttl, e.policy);
    if (!ttl.ok) return { ok: false, reason: "ttl-too-low", detail: `${String(e.key)}: ${ttl.detail}` };
    return { ok: true, key: e.key };
  }
}
