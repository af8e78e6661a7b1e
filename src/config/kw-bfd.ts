/**
 * Keyword table for `bfd_instance` (keepalived.conf(5) BFD CONFIGURATION; RFC 5880 §6.8.1 timers:
 * Required Min RX, Desired Min TX, Detect Mult; RFC 5881 TTL 255; RFC 5883 multihop).
 */
import type { BfdInstance } from "./model.ts";
import type { ArgsHandler, Table } from "./tree.ts";
import { parseIp } from "./ip.ts";
import { type Draft, flagKw, need, readInt, readWeight } from "./values.ts";

/** bfd_instance draft. */
export type BfdDraft = Draft<BfdInstance> & { ttlRaw?: number; hoplimitRaw?: number };

/** Read a decimal millisecond value (microsecond resolution) in [min, max]. */
const msKw = (field: "minRxMs" | "minTxMs" | "idleTxMs", min: number, max: number): ArgsHandler<BfdDraft> =>
(
  d,
  a,
  c,
) => {
  const t = a[0]?.text;
  if (t === undefined || !/^\d+(\.\d{1,3})?$/.test(t)) {
    c.diags.error(c.at, `${c.kw}: '${t ?? ""}' is not a number of milliseconds`);
    return;
  }
  const v = Number(t);
  if (v < min || v > max) {
    c.diags.error(c.at, `${c.kw}: ${t} ms is outside ${min}..${max}; ignored`);
    return;
  }
  d[field] = v;
};

const ipKw = (field: "neighborIp" | "sourceIp"): ArgsHandler<BfdDraft> => (d, a, c) => {
  if (!need(a, 1, c)) return;
  const ip = parseIp(a[0]!.text);
  if (!ip) {
    c.diags.error(c.at, `${c.kw}: '${a[0]!.text}' is not an IP address`);
    return;
  }
  d[field] = ip.text;
};

/** The bfd_instance table. */
export const BFD_INSTANCE: Table<BfdDraft> = {
  neighbor_ip: { h: ipKw("neighborIp") },
  neighbour_ip: { h: ipKw("neighborIp") },
  source_ip: { h: ipKw("sourceIp") },
  min_rx: { h: msKw("minRxMs", 0.001, 4294967) },
  min_tx: { h: msKw("minTxMs", 0.001, 4294967) },
  idle_tx: { h: msKw("idleTxMs", 0.001, 4294967) },
  multiplier: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 255, c);
      if (n !== undefined) d.multiplier = n;
    },
  },
  passive: { h: flagKw("passive") },
  ttl: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 255, c);
      if (n !== undefined) d.ttlRaw = n;
    },
  },
  hoplimit: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 255, c);
      if (n !== undefined) d.hoplimitRaw = n;
    },
  },
  max_hops: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 255, c);
      if (n !== undefined) d.maxHops = n;
    },
  },
  weight: {
    h: (d, a, c) => {
      const r = readWeight(a, 0, -253, 253, c);
      if (r) [d.weight, d.weightReverse] = r;
    },
  },
  vrrp: { h: flagKw("toVrrp") },
  checker: { h: flagKw("toChecker") },
  multihop: { h: flagKw("multihop") },
};
