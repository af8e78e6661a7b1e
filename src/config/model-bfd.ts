/**
 * Typed model of `bfd_instance` blocks (keepalived.conf(5) BFD section; RFC 5880 timers, RFC 5881
 * single hop, RFC 5883 multihop). Import through model.ts. Same JSON rules as model.ts.
 */
import type { SourceRef } from "./model-base.ts";

/** `bfd_instance NAME {}` after validation. */
export interface BfdInstance {
  readonly name: string;
  readonly neighborIp: string | null;
  readonly sourceIp: string | null;
  /** Required Min RX Interval. Default 10 ms. */
  readonly minRxMs: number;
  /** Desired Min TX Interval. Default 10 ms. */
  readonly minTxMs: number;
  /** Desired Min TX Interval while not Up. Default 1000 ms. */
  readonly idleTxMs: number;
  /** Detect Mult. Default 5. */
  readonly multiplier: number;
  readonly passive: boolean;
  /** TTL / hop limit sent; default 255. */
  readonly ttl: number;
  /** Maximum hops accepted; default 0 (single hop, TTL must be 255). */
  readonly maxHops: number;
  /** Multihop session (UDP 4784). */
  readonly multihop: boolean;
  /** Weight applied to trackers; 0 = FAULT on down. */
  readonly weight: number;
  readonly weightReverse: boolean;
  /** Send events to the VRRP child. Default true unless only `checker` is set. */
  readonly toVrrp: boolean;
  /** Send events to the checker child. */
  readonly toChecker: boolean;
  readonly src: SourceRef;
}

/** Everything the BFD child needs besides globals. */
export interface BfdSection {
  readonly instances: readonly BfdInstance[];
}
