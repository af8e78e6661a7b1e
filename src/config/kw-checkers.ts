/**
 * Keyword tables for the health-checker blocks of keepalived.conf(5): TCP_CHECK, HTTP_GET, SSL_GET
 * (with url{}), MISC_CHECK, SMTP_CHECK (with deprecated host{}), DNS_CHECK, UDP_CHECK, PING_CHECK,
 * FILE_CHECK and BFD_CHECK. Drafts keep only what was written; validate-check.ts applies inheritance
 * (checker -> real_server -> virtual_server) and per-type defaults.
 */
import type { HttpUrl, ScriptSpec } from "./model.ts";
import type { KwDef, Table } from "./tree.ts";
import { parseIp, parsePort } from "./ip.ts";
import { boolKw, type Draft, need, readInt, readScript, readWeight, strKw, timerKw } from "./values.ts";

/** Timing fields shared by VS, RS and checker drafts (undefined = inherit). */
export interface TimingDraft {
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  delayLoopMs?: number;
  alpha?: boolean;
}

/** Everything any checker type can carry before validation. */
export interface CheckerDraft extends TimingDraft {
  type: string;
  src: { file: string; line: number };
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  fwmark?: number;
  logAllFailures?: boolean;
  urls: Draft<HttpUrl>[];
  httpProtocol?: string;
  virtualhost?: string;
  fastRecovery?: boolean;
  enableSni?: boolean;
  sniName?: string;
  tlsCompliant?: boolean;
  script?: ScriptSpec;
  miscTimeoutMs?: number;
  miscDynamic?: boolean;
  userRaw?: { user: string; group: string | null };
  heloName?: string;
  queryType?: string;
  name?: string;
  payloadHex?: string;
  requireReply?: boolean;
  requireReplyHex?: string;
  minReplyLength?: number;
  maxReplyLength?: number;
  trackFile?: string;
  weight?: number;
  weightReverse?: boolean;
}

const UINT = 4294967295;

/** Parse keepalived's free-form hex: groups split into pairs from the left, an odd last digit is one byte. */
export function parseHexString(words: readonly string[], allowX: boolean): string | undefined {
  let out = "";
  const re = allowX ? /^[0-9a-fx]+$/i : /^[0-9a-f]+$/i;
  for (const w of words) {
    if (!re.test(w)) return undefined;
    for (let i = 0; i < w.length; i += 2) out += i + 1 < w.length ? w.slice(i, i + 2) : `0${w[i]}`;
  }
  return out.toLowerCase();
}

/** Timing keywords valid in VS, RS and checkers. */
export const TIMING_KWS: Table<TimingDraft> = {
  connect_timeout: { h: timerKw("connectTimeoutMs", 0.000001, UINT / 1e6) },
  retry: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.retry = n;
    },
  },
  delay_before_retry: { h: timerKw("delayBeforeRetryMs", 0, UINT / 1e6) },
  warmup: { h: timerKw("warmupMs", 0, UINT / 1e6) },
  delay_loop: { h: timerKw("delayLoopMs", 0.000001, UINT / 1e6) },
};

const CONN_KWS: Table<CheckerDraft> = {
  connect_ip: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      const ip = parseIp(a[0]!.text);
      if (ip) d.connectIp = ip.text;
      else c.diags.error(c.at, `connect_ip: '${a[0]!.text}' is not an IP address`);
    },
  },
  connect_port: {
    h: (d, a, c) => {
      const p = parsePort(a[0]?.text);
      if (p === undefined) c.diags.error(c.at, `connect_port: bad port '${a[0]?.text ?? ""}'`);
      else d.connectPort = p;
    },
  },
  bindto: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      const ip = parseIp(a[0]!.text);
      if (ip) d.bindTo = ip.text;
      else c.diags.error(c.at, `bindto: '${a[0]!.text}' is not an IP address`);
    },
  },
  bind_port: {
    h: (d, a, c) => {
      const p = parsePort(a[0]?.text);
      if (p === undefined) c.diags.error(c.at, `bind_port: bad port '${a[0]?.text ?? ""}'`);
      else d.bindPort = p;
    },
  },
  bind_if: { h: strKw("bindIf") },
  fwmark: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.fwmark = n;
    },
  },
};

const RUN_KWS: Table<CheckerDraft> = {
  ...(TIMING_KWS as Table<CheckerDraft>),
  alpha: { h: boolKw("alpha") },
  log_all_failures: { h: boolKw("logAllFailures") },
};

const COMMON: Table<CheckerDraft> = { ...CONN_KWS, ...RUN_KWS };

function statusCodes(
  d: Draft<HttpUrl>,
  args: readonly { text: string }[],
  c: Parameters<NonNullable<KwDef<unknown>["h"]>>[2],
): void {
  const out: [number, number][] = [];
  for (const a of args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(a.text);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      c.diags.error(c.at, `status_code: '${a.text}' is not a code or range within 100-599`);
      continue;
    }
    out.push([lo, hi]);
  }
  if (out.length) d.statusCodes = [...(d.statusCodes ?? []), ...out];
}

const URL_KWS: Table<Draft<HttpUrl>> = {
  path: { h: strKw("path") },
  digest: {
    h: (d, a, c) => {
      if (!need(a, 1, c)) return;
      if (/^[0-9a-f]{32}$/i.test(a[0]!.text)) d.digest = a[0]!.text.toLowerCase();
      else c.diags.error(c.at, `digest: '${a[0]!.text}' is not 32 hex digits`);
    },
  },
  status_code: { h: statusCodes },
  virtualhost: { h: strKw("virtualhost") },
  regex: { h: strKw("regex") },
  regex_no_match: {
    h: (d) => {
      d.regexNoMatch = true;
    },
  },
  regex_options: {
    h: (d, a) => {
      d.regexOptions = a.map((t) => t.text);
    },
  },
  regex_stack: {
    h: (d, a, c) => {
      const n = readInt(a[a.length - 1]?.text, 0, UINT, c);
      if (n !== undefined) d.regexStack = n;
    },
  },
  regex_min_offset: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.regexMinOffset = n;
    },
  },
  regex_max_offset: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.regexMaxOffset = n;
    },
  },
};

const HTTP_KWS: Table<CheckerDraft> = {
  ...COMMON,
  nb_get_retry: {
    h: (d, a, c) => {
      c.diags.warn(c.at, "nb_get_retry is deprecated - please use 'retry'"); // keepalived 2.2.7's words
      const n = readInt(a[0]?.text, 0, UINT, c);
      if (n !== undefined) d.retry = n;
    },
  },
  http_protocol: {
    h: (d, a, c) => {
      const p = a[0]?.text ?? "";
      if (["1.0", "1.1", "1.0C", "1.0K"].includes(p)) d.httpProtocol = p;
      else c.diags.error(c.at, `http_protocol must be 1.0, 1.0C or 1.1, not '${p}'`);
    },
  },
  fast_recovery: { h: boolKw("fastRecovery") },
  virtualhost: { h: strKw("virtualhost") },
  url: {
    block: {
      open: (d, _a, c) => {
        const u: Draft<HttpUrl> = { src: c.at };
        d.urls.push(u);
        return u;
      },
      table: () => URL_KWS as Table<never>,
    },
  },
  enable_sni: { h: boolKw("enableSni") },
  sni_name: { h: strKw("sniName") },
  tls_compliant: { h: boolKw("tlsCompliant") },
};

const SMTP_HOST: Table<CheckerDraft> = { ...CONN_KWS };

const SMTP_KWS: Table<CheckerDraft> = {
  ...COMMON,
  helo_name: { h: strKw("heloName") },
  host: { block: { open: (d) => d, table: () => SMTP_HOST as Table<never> } },
};

const DNS_TYPES = ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"];

const DNS_KWS: Table<CheckerDraft> = {
  ...COMMON,
  type: {
    h: (d, a, c) => {
      const t = (a[0]?.text ?? "").toUpperCase();
      if (DNS_TYPES.includes(t)) d.queryType = t;
      else c.diags.error(c.at, `DNS_CHECK type: unknown query type '${a[0]?.text ?? ""}'`);
    },
  },
  name: { h: strKw("name") },
};

const MISC_KWS: Table<CheckerDraft> = {
  ...RUN_KWS,
  misc_path: {
    h: (d, a, c) => {
      const s = readScript(a, c);
      if (s) d.script = s;
    },
  },
  misc_timeout: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, UINT / 1000, c);
      if (n !== undefined) d.miscTimeoutMs = n * 1000;
    },
  },
  misc_dynamic: { h: boolKw("miscDynamic") },
  user: {
    h: (d, a, c) => {
      if (need(a, 1, c)) d.userRaw = { user: a[0]!.text, group: a[1]?.text ?? null };
    },
  },
};

const UDP_KWS: Table<CheckerDraft> = {
  ...COMMON,
  payload: {
    h: (d, a, c) => {
      const h = parseHexString(a.map((t) => t.text), false);
      if (h === undefined) c.diags.error(c.at, "payload: not a hex string");
      else d.payloadHex = h;
    },
  },
  require_reply: {
    h: (d, a, c) => {
      d.requireReply = true;
      if (!a.length) return;
      const h = parseHexString(a.map((t) => t.text), true);
      if (h === undefined) c.diags.error(c.at, "require_reply: not a hex string");
      else d.requireReplyHex = h;
    },
  },
  min_reply_length: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 65535, c);
      if (n !== undefined) d.minReplyLength = n;
    },
  },
  max_reply_length: {
    h: (d, a, c) => {
      const n = readInt(a[0]?.text, 0, 65535, c);
      if (n !== undefined) d.maxReplyLength = n;
    },
  },
};

const FILE_KWS: Table<CheckerDraft> = {
  track_file: { h: strKw("trackFile") },
  file: { h: strKw("trackFile") },
  weight: {
    h: (d, a, c) => {
      const r = readWeight(a, 0, -2147483647, 2147483647, c);
      if (r) [d.weight, d.weightReverse] = r;
    },
  },
};

const BFD_KWS: Table<CheckerDraft> = { name: { h: strKw("name") } };

/** Checker block keyword -> its table. */
export const CHECKER_TABLES: Readonly<Record<string, Table<CheckerDraft>>> = {
  TCP_CHECK: COMMON,
  PING_CHECK: COMMON,
  HTTP_GET: HTTP_KWS,
  SSL_GET: HTTP_KWS,
  SMTP_CHECK: SMTP_KWS,
  DNS_CHECK: DNS_KWS,
  MISC_CHECK: MISC_KWS,
  UDP_CHECK: UDP_KWS,
  FILE_CHECK: FILE_KWS,
  BFD_CHECK: BFD_KWS,
};
