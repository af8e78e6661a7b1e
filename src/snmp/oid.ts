/**
 * OIDs and a sorted view of one MIB snapshot, answering AgentX Get and GetNext (RFC 2741 §7.2.3.1,
 * §7.2.3.2) inside a search range: exact match, or the first OID after the start and before the end.
 * Values are typed here in SMI words (RFC 2578 §7) so the MIB builders need no SNMP library.
 */

/** SMI types our MIBs use. */
export type SmiType = "int" | "str" | "gauge" | "counter" | "counter64" | "ticks" | "ip";

/** One object instance: OID, SMI type, value (`str`: text or bytes; `ip`: 4 bytes). */
export interface Varbind {
  readonly oid: readonly number[];
  readonly type: SmiType;
  readonly value: number | bigint | string | Uint8Array;
}

/** Parses a dotted OID ("1.3.6.1" or ".1.3.6.1"); throws on a bad sub-identifier. */
export function parseOid(text: string): number[] {
  const parts = text.replace(/^\./, "").split(".");
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) > 0xffffffff) throw new Error(`bad OID sub-identifier '${p}' in '${text}'`);
    return Number(p);
  });
}

/** The dotted text of an OID. */
export function formatOid(oid: readonly number[]): string {
  return oid.join(".");
}

/** Lexicographic order of OIDs (RFC 2578 §7.8): <0, 0 or >0. */
export function compareOid(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** True when `oid` lies under `root` (or is it). */
export function under(oid: readonly number[], root: readonly number[]): boolean {
  return oid.length >= root.length && root.every((v, i) => oid[i] === v);
}

/** The OID index of a string (length then bytes, RFC 2578 §7.7 for a variable-length OCTET STRING). */
export function stringIndex(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [b.length, ...b];
}

/** A sorted, immutable set of varbinds. */
export class MibView {
  readonly #rows: Varbind[];

  constructor(rows: Iterable<Varbind>) {
    this.#rows = [...rows].sort((x, y) => compareOid(x.oid, y.oid));
    for (let i = 1; i < this.#rows.length; i++) {
      if (compareOid(this.#rows[i - 1]!.oid, this.#rows[i]!.oid) === 0) {
        throw new Error(`duplicate OID ${formatOid(this.#rows[i]!.oid)} in MIB view`);
      }
    }
  }

  /** Number of instances. */
  get size(): number {
    return this.#rows.length;
  }

  /** All instances in OID order. */
  rows(): readonly Varbind[] {
    return this.#rows;
  }

  /** The instance at exactly `oid`. */
  get(oid: readonly number[]): Varbind | undefined {
    const i = this.#lowerBound(oid);
    const r = this.#rows[i];
    return r && compareOid(r.oid, oid) === 0 ? r : undefined;
  }

  /**
   * The first instance after `start` (at or after when `include`), below `end` when `end` is given and
   * not empty; undefined = endOfMibView for this range.
   */
  next(start: readonly number[], include = false, end?: readonly number[] | null): Varbind | undefined {
    let i = this.#lowerBound(start);
    const r0 = this.#rows[i];
    if (r0 && !include && compareOid(r0.oid, start) === 0) i++;
    const r = this.#rows[i];
    if (!r) return undefined;
    if (end && end.length > 0 && compareOid(r.oid, end) >= 0) return undefined;
    return r;
  }

  #lowerBound(oid: readonly number[]): number {
    let lo = 0, hi = this.#rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOid(this.#rows[mid]!.oid, oid) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
