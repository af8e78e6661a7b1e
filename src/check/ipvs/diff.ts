/**
 * Pure IPVS diff: from the desired table (virtual servers with the real servers that should be in the
 * kernel, at their current weights) and the actual table (read from the kernel, or the reconciler's
 * model of it), the minimal list of kernel operations that makes actual equal desired.
 *
 * Ownership, the one rule: we own a service when its key is in the desired table now, or was in the
 * table we applied before (`previouslyOwned`, kept by the reconciler across reloads). Services we do not
 * own are never touched, whatever their content. Within an owned service every destination is ours, so
 * destinations nobody asked for are removed. A matching entry is adopted as it is (no delete + re-add);
 * a changed setting is edited in place (ipvsadm -E / -e); nothing is ever flushed.
 *
 * Order of the operations: new services, service edits, new destinations, destination edits,
 * destination removals, service removals: traffic keeps a destination while its replacement is added.
 */
import { destDiffers, destKey, type IpvsDest, type IpvsService, type IpvsServiceKey, keyOf, serviceDiffers, serviceKey } from "./kernel.ts";

/** A service with its destinations, desired or read from the kernel. */
export interface IpvsEntry {
  readonly service: IpvsService;
  readonly dests: readonly IpvsDest[];
}

/** A whole IPVS table. In a desired table a repeated service key is one service: the last entry wins. */
export type IpvsTable = readonly IpvsEntry[];

/** One kernel operation with the reason it is needed (for the log). */
export type IpvsOp =
  | { readonly op: "addService"; readonly service: IpvsService; readonly why: string }
  | { readonly op: "editService"; readonly service: IpvsService; readonly why: string }
  | { readonly op: "delService"; readonly key: IpvsServiceKey; readonly why: string }
  | { readonly op: "addDest"; readonly key: IpvsServiceKey; readonly dest: IpvsDest; readonly why: string }
  | { readonly op: "editDest"; readonly key: IpvsServiceKey; readonly dest: IpvsDest; readonly why: string }
  | { readonly op: "delDest"; readonly key: IpvsServiceKey; readonly dest: IpvsDest; readonly why: string };

/** Indexes a table by service key; within an entry, destinations by destination key. */
export function indexTable(
  t: IpvsTable,
): Map<string, { service: IpvsService; dests: Map<string, IpvsDest> }> {
  const out = new Map<string, { service: IpvsService; dests: Map<string, IpvsDest> }>();
  for (const e of t) {
    const dests = new Map<string, IpvsDest>();
    for (const d of e.dests) dests.set(destKey(d), d);
    out.set(serviceKey(e.service), { service: e.service, dests });
  }
  return out;
}

/** The keys of the services in a table (what the reconciler remembers as owned after applying it). */
export function ownedKeys(t: IpvsTable): Set<string> {
  return new Set(t.map((e) => serviceKey(e.service)));
}

/** Operations on the destinations of one owned service that exists in the kernel. */
function diffDests(
  key: IpvsServiceKey,
  name: string,
  want: Map<string, IpvsDest>,
  have: Map<string, IpvsDest>,
  ops: IpvsOp[][],
): void {
  for (const [dk, d] of want) {
    const cur = have.get(dk);
    if (!cur) {
      ops[2]!.push({ op: "addDest", key, dest: d, why: `${name}: real server ${dk} is missing` });
      continue;
    }
    const changes = destDiffers(d, cur);
    if (changes.length) {
      ops[3]!.push({
        op: "editDest",
        key,
        dest: d,
        why: `${name}: real server ${dk}: ${changes.join(", ")}`,
      });
    }
  }
  for (const [dk, d] of have) {
    if (!want.has(dk)) {
      ops[4]!.push({ op: "delDest", key, dest: d, why: `${name}: real server ${dk} is not wanted` });
    }
  }
}

/**
 * Minimal operations turning `actual` into `desired` for the services we own (see the file header).
 * `previouslyOwned`: keys (serviceKey) of the services applied before; those no longer desired are removed.
 */
export function diffIpvs(
  desired: IpvsTable,
  actual: IpvsTable,
  previouslyOwned: ReadonlySet<string> = new Set(),
): IpvsOp[] {
  const want = indexTable(desired);
  const have = indexTable(actual);
  // Buckets in execution order: addService, editService, addDest, editDest, delDest, delService.
  const ops: IpvsOp[][] = [[], [], [], [], [], []];
  for (const [sk, w] of want) {
    const key = keyOf(w.service);
    const cur = have.get(sk);
    if (!cur) {
      ops[0]!.push({ op: "addService", service: w.service, why: `${sk}: virtual server is missing` });
      for (const [dk, d] of w.dests) {
        ops[2]!.push({ op: "addDest", key, dest: d, why: `${sk}: real server ${dk} is missing` });
      }
      continue;
    }
    const changes = serviceDiffers(w.service, cur.service);
    if (changes.length) {
      ops[1]!.push({ op: "editService", service: w.service, why: `${sk}: ${changes.join(", ")}` });
    }
    diffDests(key, sk, w.dests, cur.dests, ops);
  }
  for (const [sk, cur] of have) {
    if (!want.has(sk) && previouslyOwned.has(sk)) {
      ops[5]!.push({
        op: "delService",
        key: keyOf(cur.service),
        why: `${sk}: virtual server is no longer configured`,
      });
    }
  }
  return ops.flat();
}

/** One line per operation, as the log shows them ("addDest tcp 192.0.2.10:80 127.0.0.2:8080 w3"). */
export function describeOp(o: IpvsOp): string {
  switch (o.op) {
    case "addService":
    case "editService":
      return `${o.op} ${serviceKey(o.service)} ${o.service.sched}`;
    case "delService":
      return `${o.op} ${serviceKey(o.key)}`;
    default:
      return `${o.op} ${serviceKey(o.key)} ${destKey(o.dest)} ${o.dest.fwd} w${o.dest.weight}`;
  }
}
