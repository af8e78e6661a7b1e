/**
 * Keyword tables for the LVS area of keepalived.conf(5): SSL{}, virtual_server_group,
 * virtual_server (IP [PORT] | fwmark N | group NAME), real_server and sorry_server. Checker blocks
 * come from kw-checkers.ts.
 */
import type { Family } from "../core/inet.ts";
import type { ForwardMethod, RealServer, ScriptSpec, SslSettings, VirtualServer, VsgEntry } from "./model.ts";
import type { Token } from "./lexer.ts";
import type { ArgsHandler, Ctx, KwDef, Table } from "./tree.ts";
import { CHECKER_TABLES, type CheckerDraft, TIMING_KWS, type TimingDraft } from "./kw-checkers.ts";
import { CONF_FAMILY, parseIp, parsePort, parsePrefix } from "./ip.ts";
import { boolKw, type Draft, flagKw, need, pushTo, readInt, readScript, strKw } from "./values.ts";

const UINT = 4294967295;
const SCHEDULERS = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "sh",
  "mh",
  "dh",
  "fo",
  "ovf",
  "lblcr",
  "sed",
  "nq",
  "twos",
];

/** real_server draft. */
export interface RsDraft extends TimingDraft, Draft<Omit<RealServer, keyof TimingDraft | "checkers">> {
  checkers: CheckerDraft[];
  inhibitRaw?: boolean;
}
/** virtual_server draft. */
export interface VsDraft extends TimingDraft, Draft<Omit<VirtualServer, keyof TimingDraft | "realServers" | "forward">> {
  rs: RsDraft[];
  forward?: ForwardMethod;
  familyRaw?: Family;
  sorryRaw?: { address: string; port: number | null; family: Family };
  sorryInhibit?: boolean;
  sorryForward?: ForwardMethod;
  persistRaw?: number;
}

/** Parse `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`. */
export function readForward(args: readonly Token[], ctx: Ctx): ForwardMethod | undefined {
  const m = args[0]?.text.toUpperCase();
  if (m === "NAT" || m === "DR") {
    return { method: m, tunnelType: null, tunnelPort: null, tunnelChecksum: null };
  }
  if (m !== "TUN") {
    ctx.diags.error(ctx.at, `${ctx.kw}: method must be NAT, DR or TUN, not '${args[0]?.text ?? ""}'`);
    return undefined;
  }
  const f: { -readonly [K in keyof ForwardMethod]: ForwardMethod[K] } = {
    method: "TUN",
    tunnelType: null,
    tunnelPort: null,
    tunnelChecksum: null,
  };
  for (let i = 1; i < args.length; i++) {
    const w = args[i]!.text;
    if (w === "type") {
      const t = args[++i]?.text;
      if (t === "ipip" || t === "gue" || t === "gre") f.tunnelType = t;
      else ctx.diags.error(ctx.at, `${ctx.kw}: tunnel type must be ipip, gue or gre`);
    } else if (w === "port") {
      const p = parsePort(args[++i]?.text);
      if (p === undefined) ctx.diags.error(ctx.at, `${ctx.kw}: bad tunnel port`);
      else f.tunnelPort = p;
    } else if (w === "nocsum" || w === "csum" || w === "remcsum") f.tunnelChecksum = w;
    else ctx.diags.error(ctx.at, `${ctx.kw}: unexpected '${w}'`);
  }
  if (f.tunnelType === "gue" && f.tunnelPort === null) {
    ctx.diags.error(ctx.at, `${ctx.kw}: a gue tunnel needs a port`);
  }
  return f;
}

const LB_KIND: Record<string, string> = { NAT: "NAT", DR: "DR", TUN: "TUN" };

function checkerDef(type: string): KwDef<RsDraft> {
  return {
    block: {
      open: (d, _a, c) => {
        const ck: CheckerDraft = { type, src: c.at, urls: [] };
        d.checkers.push(ck);
        return ck;
      },
      table: () => CHECKER_TABLES[type]! as Table<never>,
    },
  };
}

const schedFlag = (flag: string): KwDef<VsDraft> => ({
  h: (d) => {
    pushTo(d, "schedFlags", flag);
  },
});

const scriptSet = <T>(field: string): KwDef<T> => ({
  h: (d, a, c) => {
    const s = readScript(a, c);
    if (s) (d as Record<string, ScriptSpec>)[field] = s;
  },
});

/** The real_server table. */
export const REAL_SERVER: Table<RsDraft> = {
  ...(TIMING_KWS as Table<RsDraft>),
  weight: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 2147483647, c);
      if (n !== undefined) d.weight = n;
    },
  },
  lvs_method: {
    h: (d, a, c) => {
      const f = readForward(a, c);
      if (f) d.forward = f;
    },
  },
  notify_up: scriptSet("notifyUp"),
  notify_down: scriptSet("notifyDown"),
  uthreshold: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.uthreshold = n;
    },
  },
  lthreshold: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.lthreshold = n;
    },
  },
  smtp_alert: { h: boolKw("smtpAlert") },
  virtualhost: { h: strKw("virtualhost") },
  snmp_name: { h: strKw("snmpName") },
  alpha: { h: boolKw("alpha") },
  inhibit_on_failure: {
    h: (d, a, c) => {
      const b = a[0] === undefined ? true : ["on", "true", "yes"].includes(a[0].text) ? true : ["off", "false", "no"].includes(a[0].text) ? false : undefined;
      if (b === undefined) c.diags.error(c.at, `inhibit_on_failure: bad value '${a[0]!.text}'`);
      else d.inhibitRaw = b;
    },
  },
  ...Object.fromEntries(Object.keys(CHECKER_TABLES).map((t) => [t, checkerDef(t)])),
};

function openRs(d: VsDraft, args: readonly Token[], c: Ctx): RsDraft | undefined {
  const ip = parseIp(args[0]?.text ?? "");
  if (!ip) {
    c.diags.error(c.at, `real_server: '${args[0]?.text ?? ""}' is not an IP address; server skipped`);
    return undefined;
  }
  let port: number | null = null;
  if (args[1] !== undefined) {
    const p = parsePort(args[1].text);
    if (p === undefined) c.diags.error(c.at, `real_server: bad port '${args[1].text}'`);
    else port = p;
  }
  const rs: RsDraft = { address: ip.text, family: ip.family, port, checkers: [], src: c.at };
  d.rs.push(rs);
  return rs;
}

const sorryServer: ArgsHandler<VsDraft> = (d, a, c) => {
  if (!need(a, 1, c)) return;
  const ip = parseIp(a[0]!.text);
  if (!ip) {
    c.diags.error(c.at, `sorry_server: '${a[0]!.text}' is not an IP address`);
    return;
  }
  const port = a[1] === undefined ? null : parsePort(a[1].text) ?? null;
  if (a[1] !== undefined && port === null) c.diags.error(c.at, `sorry_server: bad port '${a[1].text}'`);
  d.sorryRaw = { address: ip.text, port, family: ip.family };
};

const lvsSched: ArgsHandler<VsDraft> = (d, a, c) => {
  const s = a[0]?.text ?? "";
  if (!SCHEDULERS.includes(s)) {
    c.diags.error(c.at, `${c.kw}: unknown scheduler '${s}'`);
    return;
  }
  d.scheduler = s;
};

/** The virtual_server table. */
export const VIRTUAL_SERVER: Table<VsDraft> = {
  ...(TIMING_KWS as Table<VsDraft>),
  ip_family: {
    h: (d, a, c) => {
      const f = a[0]?.text;
      if (f === "inet" || f === "inet6") d.familyRaw = CONF_FAMILY[f];
      else c.diags.error(c.at, `ip_family must be inet or inet6, not '${f ?? ""}'`);
    },
  },
  lvs_sched: { h: lvsSched },
  lb_algo: {
    h: (d, a, c) => {
      lvsSched(d, a, c);
    },
  },
  hashed: { h: () => undefined },
  "flag-1": schedFlag("flag-1"),
  "flag-2": schedFlag("flag-2"),
  "flag-3": schedFlag("flag-3"),
  "sh-port": schedFlag("sh-port"),
  "sh-fallback": schedFlag("sh-fallback"),
  "mh-port": schedFlag("mh-port"),
  "mh-fallback": schedFlag("mh-fallback"),
  ops: { h: flagKw("ops") },
  lvs_method: {
    h: (d, a, c) => {
      const f = readForward(a, c);
      if (f) d.forward = f;
    },
  },
  lb_kind: {
    h: (d, a, c) => {
      if (LB_KIND[a[0]?.text ?? ""] === undefined) {
        c.diags.error(c.at, `lb_kind: unknown method '${a[0]?.text ?? ""}'`);
        return;
      }
      const f = readForward(a, c);
      if (f) d.forward = f;
    },
  },
  persistence_engine: { h: strKw("persistenceEngine") },
  persistence_timeout: {
    h: (d, a, c) => {
      if (a[0] === undefined) {
        d.persistRaw = 360;
        return;
      }
      const n = readInt(a[0].text, 1, UINT, c);
      if (n !== undefined) d.persistRaw = n;
    },
  },
  persistence_granularity: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      const t = a[0]!.text;
      if (/^\d{1,3}$/.test(t) || parseIp(t)) d.persistenceGranularity = t;
      else c.diags.error(c.at, `persistence_granularity: bad netmask '${t}'`);
    },
  },
  protocol: {
    h: (d, a, c) => {
      const p = a[0]?.text.toUpperCase();
      if (p === "TCP" || p === "UDP" || p === "SCTP") d.protocol = p;
      else c.diags.error(c.at, `protocol must be TCP, UDP or SCTP, not '${a[0]?.text ?? ""}'`);
    },
  },
  ha_suspend: { h: flagKw("haSuspend") },
  smtp_alert: { h: boolKw("smtpAlert") },
  virtualhost: { h: strKw("virtualhost") },
  snmp_name: { h: strKw("snmpName") },
  alpha: { h: flagKw("alpha") },
  omega: { h: flagKw("omega") },
  quorum: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, UINT, c);
      if (n !== undefined) d.quorum = n;
    },
  },
  hysteresis: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.hysteresis = n;
    },
  },
  quorum_up: scriptSet("quorumUp"),
  quorum_down: scriptSet("quorumDown"),
  sorry_server: { h: sorryServer },
  sorry_server_inhibit: {
    h: (d) => {
      d.sorryInhibit = true;
    },
  },
  sorry_server_lvs_method: {
    h: (d, a, c) => {
      const f = readForward(a, c);
      if (f) d.sorryForward = f;
    },
  },
  inhibit_on_failure: { h: flagKw("inhibitOnFailure") },
  weight: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 1, 2147483647, c);
      if (n !== undefined) d.weight = n;
    },
  },
  real_server: { block: { open: openRs, table: () => REAL_SERVER as Table<never> } },
};

/** Open a virtual_server header: `IP [PORT]`, `fwmark N` or `group NAME`. */
export function openVs(args: readonly Token[], c: Ctx): VsDraft | undefined {
  const a0 = args[0]?.text;
  const base: VsDraft = { rs: [], src: c.at };
  if (a0 === "fwmark") {
    const n = readInt(args[1]?.text, 1, UINT, c, "virtual_server fwmark");
    return n === undefined ? undefined : { ...base, kind: "fwmark", fwmark: n };
  }
  if (a0 === "group") {
    if (args[1] === undefined) {
      c.diags.error(c.at, "virtual_server group needs a name");
      return undefined;
    }
    return { ...base, kind: "group", group: args[1].text };
  }
  const ip = parseIp(a0 ?? "");
  if (!ip) {
    c.diags.error(c.at, `virtual_server: '${a0 ?? ""}' is not an IP address, fwmark or group; block ignored`);
    return undefined;
  }
  let port: number | null = null;
  if (args[1] !== undefined) {
    const p = parsePort(args[1].text);
    if (p === undefined) {
      c.diags.error(c.at, `virtual_server: bad port '${args[1].text}'`);
      return undefined;
    }
    port = p;
  }
  return { ...base, kind: "address", address: ip.text, port, familyRaw: ip.family };
}

/** Parse a virtual_server_group entry line. */
export function parseVsgEntry(w: readonly Token[], c: Ctx): VsgEntry | undefined {
  const first = w[0]!.text;
  if (first === "fwmark") {
    const n = readInt(w[1]?.text, 1, UINT, c, "fwmark");
    const fam = w[2]?.text;
    if (fam !== undefined && fam !== "inet" && fam !== "inet6") {
      c.diags.error(c.at, `fwmark: family must be inet or inet6, not '${fam}'`);
    }
    return n === undefined ? undefined : {
      kind: "fwmark",
      family: fam === "inet" || fam === "inet6" ? CONF_FAMILY[fam] : null,
      address: null,
      lastAddress: null,
      port: null,
      fwmark: n,
      src: c.at,
    };
  }
  const range = vsgRange(first);
  if (!range) {
    c.diags.error(c.at, `virtual_server_group: '${first}' is not an address, range or prefix; skipped`);
    return undefined;
  }
  const port = w[1] === undefined ? null : parsePort(w[1].text) ?? null;
  if (w[1] !== undefined && port === null) {
    c.diags.error(c.at, `virtual_server_group: bad port '${w[1].text}'`);
  }
  return {
    kind: "address",
    family: range.family,
    address: range.first,
    lastAddress: range.last,
    port,
    fwmark: null,
    src: c.at,
  };
}

function vsgRange(s: string): { family: Family; first: string; last: string } | undefined {
  if (s.includes("/")) {
    const p = parsePrefix(s);
    if (!p) return undefined;
    const bytes = [...p.ip.bytes];
    const bits = bytes.length * 8;
    const first = bytes.map((b, i) => b & maskByte(p.len, i));
    const last = bytes.map((b, i) => (b & maskByte(p.len, i)) | (~maskByte(p.len, i) & 0xff));
    void bits;
    return { family: p.ip.family, first: ipText(first), last: ipText(last) };
  }
  const dash = s.indexOf("-");
  if (dash < 0) {
    const ip = parseIp(s);
    return ip ? { family: ip.family, first: ip.text, last: ip.text } : undefined;
  }
  const ip = parseIp(s.slice(0, dash));
  if (!ip) return undefined;
  const tail = s.slice(dash + 1);
  const full = parseIp(tail);
  if (full) {
    return full.family === ip.family ? { family: ip.family, first: ip.text, last: full.text } : undefined;
  }
  const sep = ip.family === "ipv4" ? "." : ":";
  const idx = ip.text.lastIndexOf(sep);
  const last = parseIp(ip.text.slice(0, idx + 1) + tail);
  return last ? { family: ip.family, first: ip.text, last: last.text } : undefined;
}

function maskByte(len: number, i: number): number {
  const bits = Math.min(8, Math.max(0, len - i * 8));
  return (0xff << (8 - bits)) & 0xff;
}

function ipText(b: number[]): string {
  if (b.length === 4) return b.join(".");
  return parseIp(
    Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(":"),
  )!.text;
}

/** The SSL{} table. */
export const SSL_TABLE: Table<Draft<SslSettings>> = {
  password: { h: strKw("password") },
  ca: { h: strKw("caFile") },
  certificate: { h: strKw("certificateFile") },
  key: { h: strKw("keyFile") },
};
