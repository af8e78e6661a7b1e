/**
 * Response judging for HTTP_GET / SSL_GET url{} blocks (keepalived.conf(5)): status_code
 * lists, MD5 `digest` (over the body bytes as they were on the wire, which is what
 * keepalived and genhash hash), and `regex` with regex_no_match / regex_min_offset /
 * regex_max_offset / regex_options mapped from PCRE2 option names onto JavaScript RegExp.
 */

/** Inclusive status code range. */
export type StatusRange = [number, number];

/** Default accepted codes: 200-299. */
export const DEFAULT_STATUS: StatusRange[] = [[200, 299]];

/** Parses `status_code` tokens ("200", "200-299", "503"); invalid tokens are reported. */
export function parseStatusCodes(
  tokens: string[],
): { ok: true; value: StatusRange[] } | { ok: false; reason: string } {
  const out: StatusRange[] = [];
  for (const t of tokens) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(t);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m && m[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < 100 || hi > 999 || hi < lo) {
      return { ok: false, reason: `bad status_code ${JSON.stringify(t)}` };
    }
    out.push([lo, hi]);
  }
  return { ok: true, value: out };
}

/** True when code lies in one of the ranges. */
export function statusAccepted(code: number, ranges: StatusRange[]): boolean {
  return ranges.some(([lo, hi]) => code >= lo && code <= hi);
}

/** Renders ranges as in the config ("200-299 503"). */
export function formatStatusRanges(ranges: StatusRange[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(" ");
}

/** PCRE2 options that map onto RegExp flags. */
const FLAG_OPTIONS: Record<string, string> = {
  caseless: "i",
  multiline: "m",
  dotall: "s",
  utf: "u",
  ucp: "u",
};

/** PCRE2 options that do not change which text matches for JavaScript patterns; accepted and ignored. */
const IGNORED_OPTIONS = new Set([
  "no_auto_capture",
  "no_auto_possess",
  "no_dotstar_anchor",
  "no_start_optimize",
  "auto_callout",
  "dupnames",
  "never_utf",
  "never_ucp",
  "never_backslash_c",
  "use_offset_limit",
  "match_unset_backref",
  "allow_empty_class",
]);

/** A compiled url regex with its options. */
export interface UrlRegex {
  re: RegExp;
  noMatch: boolean;
  /** Earliest start offset of a match, in body bytes. */
  minOffset: number;
  /** Latest start offset of a match, in body bytes (undefined: no limit). */
  maxOffset?: number;
}

/** Options of a url regex as written in the config. */
export interface UrlRegexOptions {
  regex: string;
  regexNoMatch?: boolean;
  regexOptions?: string[];
  regexMinOffset?: number;
  regexMaxOffset?: number;
}

/** Compiles `regex` with `regex_options`; unsupported options or bad patterns are reported. */
export function compileUrlRegex(
  o: UrlRegexOptions,
): { ok: true; value: UrlRegex } | { ok: false; reason: string } {
  let flags = "g";
  let source = o.regex;
  for (const opt of o.regexOptions ?? []) {
    const f = FLAG_OPTIONS[opt];
    if (f !== undefined) {
      if (!flags.includes(f)) flags += f;
    } else if (opt === "extended") {
      source = stripExtended(source);
    } else if (!IGNORED_OPTIONS.has(opt)) {
      return { ok: false, reason: `regex_options ${opt} is not supported` };
    }
  }
  try {
    const value: UrlRegex = {
      re: new RegExp(source, flags),
      noMatch: o.regexNoMatch === true,
      minOffset: o.regexMinOffset ?? 0,
    };
    if (o.regexMaxOffset !== undefined) value.maxOffset = o.regexMaxOffset;
    return { ok: true, value };
  } catch (e) {
    return { ok: false, reason: `invalid regex ${JSON.stringify(o.regex)}: ${(e as Error).message}` };
  }
}

/** PCRE2 "extended": drops unescaped whitespace and #-comments outside character classes. */
function stripExtended(src: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === "\\") {
      out += src.slice(i, i + 2);
      i++;
    } else if (inClass) {
      out += c;
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
      out += c;
    } else if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

/** Tests text (body bytes as latin1) against the regex rules; returns a failure reason or undefined. */
export function regexVerdict(r: UrlRegex, text: string): string | undefined {
  r.re.lastIndex = r.minOffset;
  const m = r.re.exec(text);
  const matched = m !== null && (r.maxOffset === undefined || m.index <= r.maxOffset);
  if (matched && r.noMatch) return `regex ${r.re.source} matched at offset ${m.index} (regex_no_match)`;
  if (!matched && !r.noMatch) return `regex ${r.re.source} did not match`;
  return undefined;
}
