/**
 * Keyword table for `bgp_announce NAME { ... }`, our own block (docs/bgp.md): what an announcement
 * follows (VRRP instances, sync groups, virtual servers), the prefixes, the TUN device and the metric
 * that FRR's zebra turns into the BGP MED. Handlers only fill the draft; validate-bgp.ts checks references.
 */
import type { Token } from "./lexer.ts";
import type { Ctx, Table } from "./tree.ts";
import { parsePrefix } from "./ip.ts";
import { openVs } from "./kw-check.ts";
import { vsName } from "../alert/names.ts";
import { type Draft, flagKw, need, readInt } from "./values.ts";
import { BGP_METRIC_MAX, type BgpAnnounce, type BgpPrefix } from "./model-bgp.ts";

/** bgp_announce draft; list fields are filled in place, `prefixSet` records that `prefix {}` was given. */
export type BgpDraft = Draft<BgpAnnounce> & {
  instances: string[];
  syncGroups: string[];
  virtualServers: string[];
  prefixes: BgpPrefix[];
  prefixSet?: boolean;
};

/** A fresh draft for `bgp_announce NAME`. */
export function newBgpDraft(name: string, at: Ctx["at"]): BgpDraft {
  return { name, src: at, instances: [], syncGroups: [], virtualServers: [], prefixes: [] };
}

const names = (field: "instances" | "syncGroups") => (d: BgpDraft, a: readonly Token[], c: Ctx) => {
  if (need(a, 1, c)) { for (const t of a) d[field].push(t.text); }
};

/** Parses one `prefix {}` entry, ADDR[/LEN]; reports and returns undefined when bad. */
export function readBgpPrefix(words: readonly Token[], c: Ctx): BgpPrefix | undefined {
  const text = words[0]?.text ?? "";
  const p = parsePrefix(text);
  if (!p) {
    c.diags.error(c.at, `bgp_announce prefix: '${text}' is not ADDRESS[/LENGTH]; ignored`);
    return undefined;
  }
  if (words.length > 1) c.diags.error(c.at, `bgp_announce prefix ${text}: extra words ignored`);
  return { family: p.ip.family, address: p.ip.text, prefixLen: p.len };
}

/** The bgp_announce table. */
export const BGP_ANNOUNCE: Table<BgpDraft> = {
  follow_instance: { h: names("instances") },
  follow_sync_group: { h: names("syncGroups") },
  follow_virtual_server: {
    h: (d, a, c) => {
      const v = openVs(a, c);
      if (!v || !v.kind) return;
      d.virtualServers.push(vsName({
        kind: v.kind,
        address: v.address ?? null,
        port: v.port ?? null,
        fwmark: v.fwmark ?? null,
        group: v.group ?? null,
      }));
    },
  },
  prefix: {
    values: {
      open: (d) => {
        d.prefixSet = true;
      },
      item: (d, w, c) => {
        const p = readBgpPrefix(w, c);
        if (p) d.prefixes.push(p);
      },
    },
  },
  interface: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      const n = a[0]!.text;
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(n)) {
        c.diags.error(c.at, `bgp_announce interface: '${n}' is not an interface name of 1..15 letters, digits, '_', '.', '-'`);
        return;
      }
      d.device = n;
    },
  },
  metric: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, BGP_METRIC_MAX, c);
      if (n !== undefined) d.metric = n;
    },
  },
  announce_backup: { h: flagKw("announceBackup") },
};
