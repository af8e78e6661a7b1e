/**
 * keepalived.conf(5) preprocessor: include / includer / includem / includew / includeb / includea,
 * `@ID` and `@^ID` conditional lines, `$NAME=value` definitions (multi-line with `\`), `$NAME` and
 * `${NAME}` substitution (recursive, undefined stays literal, predefined _PWD _INSTANCE _RANDOM _HASH
 * _BANG), `~SEQ` / `~SEQx` / `~LST` repetition, and splitting at `{` / `}` into logical lines.
 * All state lives in one `Pre` object per load; nothing is global.
 */
import { posix } from "node:path";
import type { DiagSink } from "./diag.ts";
import { expandBraces, globOne, hasWildcard, type ListDir } from "./glob.ts";
import { splitCommand } from "../core/command-line.ts";
import { stripComment, type Token, tokenize } from "./lexer.ts";
import { CAPS, isRefusal, type ReadOutcome } from "./read.ts";
import { expandSequence, isSequenceLine, type SequenceContext } from "./sequence.ts";

/** One logical config line: the tokens up to and including a `{`, or a lone `}`. */
export interface Line {
  readonly file: string;
  readonly line: number;
  readonly tokens: readonly Token[];
}

/** Inputs of the preprocessor; all I/O is injected. */
export interface PreprocessOptions {
  readonly configId: string;
  /** A file's text; undefined when missing or unreadable, a refusal for a non-regular file. */
  readonly readFile: (path: string) => ReadOutcome;
  readonly listDir: ListDir;
  /** Seed for ${_RANDOM}; `random_seed` in the config overrides it. */
  readonly randomSeed: number;
  /** `-e`: a missing or refused include is an error of class "missing" (exit 6), not a notice. */
  readonly allConfig?: boolean;
}

const MAX_INCLUDE_DEPTH = 32;
const MAX_EXPANSION_DEPTH = 24;

/** Strict include checks (include_check / includeX). */
interface IncludeCheck {
  readable: boolean;
  match: boolean;
  wildcard: boolean;
  brace: boolean;
}

/** Per-load preprocessor state. */
export interface Pre {
  readonly opts: PreprocessOptions;
  readonly diags: DiagSink;
  readonly defs: Map<string, string>;
  readonly out: Line[];
  rng: () => number;
  includeCheck: IncludeCheck;
  depth: number;
  pwd: string;
  /** Files read and their bytes so far (CAPS.files, CAPS.totalBytes). */
  files: number;
  bytes: number;
  /** ~SEQ / ~LST iterations so far (CAPS.seqIterations). */
  iterations: number;
  /** Set by a fatal cap: nothing more is read or emitted. */
  stopped: boolean;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

function resolvePath(base: string, p: string): string {
  return posix.normalize(p.startsWith("/") || base === "." ? p : `${base}/${p}`);
}

/**
 * Read `path` and all it includes; returns logical lines. A missing main file is reported by the caller;
 * a refused one (not a regular file, over a cap) is reported here and yields no lines.
 */
export function preprocess(path: string, opts: PreprocessOptions, diags: DiagSink): Line[] | undefined {
  const text = opts.readFile(path);
  if (text === undefined) return undefined;
  if (isRefusal(text)) {
    diags.add({ file: path, line: 0 }, "fatal", text.refused);
    return [];
  }
  const pre: Pre = {
    opts,
    diags,
    defs: new Map(),
    out: [],
    rng: mulberry32(opts.randomSeed),
    includeCheck: { readable: false, match: false, wildcard: false, brace: false },
    depth: 0,
    pwd: dirname(path),
    files: 0,
    bytes: 0,
    iterations: 0,
    stopped: false,
  };
  if (account(pre, { file: path, line: 0 }, text)) readText(pre, path, text);
  return pre.out;
}

/** Stops the load with a fatal error naming a cap. */
function stop(pre: Pre, at: { file: string; line: number }, message: string): void {
  pre.diags.add(at, "fatal", message);
  pre.stopped = true;
}

/** Counts one ~SEQ/~LST iteration against CAPS.seqIterations; false once the load is stopped. */
function iterate(pre: Pre, at: { file: string; line: number }): boolean {
  if (pre.stopped) return false;
  if (++pre.iterations > CAPS.seqIterations) {
    stop(pre, at, `more than ${CAPS.seqIterations} ~SEQ/~LST iterations in one configuration (the ~SEQ cap)`);
    return false;
  }
  return true;
}

/** Counts one more file read against CAPS.files and CAPS.totalBytes; false (and stopped) when over. */
function account(pre: Pre, at: { file: string; line: number }, text: string): boolean {
  pre.files++;
  pre.bytes += Buffer.byteLength(text);
  if (pre.files > CAPS.files) stop(pre, at, `more than ${CAPS.files} configuration files read (the include cap)`);
  else if (pre.bytes > CAPS.totalBytes) stop(pre, at, `configuration is larger than the ${CAPS.totalBytes} byte cap for all files together`);
  return !pre.stopped;
}

/** A missing or refused include: a notice, or with `-e` an error of class "missing" (keepalived exits 6). */
function missing(pre: Pre, at: { file: string; line: number }, message: string): void {
  pre.diags.add(at, pre.opts.allConfig ? "missing" : "notice", message);
}

function readText(pre: Pre, file: string, text: string): void {
  const lines = text.split("\n");
  const savedPwd = pre.pwd;
  const savedCheck = { ...pre.includeCheck };
  pre.pwd = dirname(file);
  for (let i = 0; i < lines.length && !pre.stopped; i++) {
    const lineNo = i + 1;
    if (lines[i]!.length > CAPS.lineChars) {
      pre.diags.error({ file, line: lineNo }, `line is longer than the ${CAPS.lineChars} character cap (${lines[i]!.length}); line dropped`);
      continue;
    }
    let raw = stripComment(lines[i]!.replace(/\r$/, ""));
    const def = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (def && /\\\s*$/.test(def[2]!)) {
      // Multi-line definition: collect until a line not ending in a backslash.
      const parts: string[] = [];
      let first = def[2]!.replace(/\\\s*$/, "").trim();
      if (first) parts.push(first);
      while (i + 1 < lines.length) {
        const cont = stripComment(lines[++i]!.replace(/\r$/, ""));
        const more = /\\\s*$/.test(cont);
        first = cont.replace(/\\\s*$/, "").trim();
        if (first) parts.push(first);
        if (!more) break;
      }
      pre.defs.set(def[1]!, parts.join("\n"));
      continue;
    }
    if (raw.trim() === "") continue;
    if (tryInclude(pre, file, lineNo, raw)) continue;
    raw = raw.trim();
    processText(pre, raw, file, lineNo, 0);
  }
  pre.pwd = savedPwd;
  pre.includeCheck = savedCheck;
}

/** Handle `include*` and `include_check` lines; returns true when the line was consumed. */
function tryInclude(pre: Pre, file: string, line: number, raw: string): boolean {
  const m = /^\s*(include[rmwba]?)\s+(.*\S)\s*$/.exec(raw);
  const chk = /^\s*include_check(\s+.*)?$/.exec(raw);
  if (chk) setIncludeCheck(pre.includeCheck, (chk[1] ?? "").trim().split(/\s+/).filter(Boolean));
  if (!m) return false;
  const kw = m[1]!;
  const check = { ...pre.includeCheck };
  if (kw === "includer") check.readable = true;
  else if (kw === "includem") {
    check.readable = true;
    check.match = true;
  } else if (kw === "includew") {
    check.readable = true;
    check.wildcard = true;
  } else if (kw === "includeb") {
    check.readable = true;
    check.brace = true;
  } else if (kw === "includea") {
    check.readable =
      check.match =
      check.wildcard =
      check.brace =
        true;
  }
  if (pre.depth >= MAX_INCLUDE_DEPTH) {
    stop(pre, { file, line }, `include nesting deeper than ${MAX_INCLUDE_DEPTH} (the include depth cap) at '${m[2]}'`);
    return true;
  }
  for (const pat of splitCommand(m[2]!)) includePattern(pre, file, line, pat, check);
  return true;
}

function setIncludeCheck(c: IncludeCheck, words: string[]): void {
  if (words.length === 0) {
    c.readable =
      c.match =
      c.wildcard =
      c.brace =
        true;
    return;
  }
  for (const w of words) {
    const on = !w.startsWith("-");
    const name = w.replace(/^[+-]/, "");
    if (name === "readable") c.readable = on;
    else if (name === "match") c.match = on;
    else if (name === "wildcard_match") c.wildcard = on;
    else if (name === "brace_match") c.brace = on;
  }
  if (c.match || c.wildcard || c.brace) c.readable = true;
}

function includePattern(pre: Pre, file: string, line: number, pattern: string, check: IncludeCheck): void {
  const at = { file, line };
  const alternatives = expandBraces(resolvePath(pre.pwd, pattern));
  for (const alt of alternatives) {
    const wild = hasWildcard(alt);
    let found = 0;
    let refused = false;
    for (const f of globOne(alt, pre.opts.listDir)) {
      if (pre.stopped) return;
      const text = pre.opts.readFile(f);
      if (text === undefined || isRefusal(text)) {
        const why = text === undefined ? `included file '${f}' cannot be read` : `include ${text.refused}`;
        if (check.readable && (wild || text !== undefined)) pre.diags.add(at, "fatal", why);
        else if (text !== undefined) missing(pre, at, `${why}; skipped`);
        refused ||= text !== undefined;
        continue;
      }
      found++;
      if (!account(pre, at, text)) return;
      pre.depth++;
      readText(pre, f, text);
      pre.depth--;
    }
    if (found > 0 || refused) continue;
    const braced = alternatives.length > 1;
    // `readable` only concerns files that exist; a name that matches nothing needs `match`
    // (plain names), `wildcard_match` (globs) or `brace_match` (one brace alternative).
    if (wild ? check.wildcard : check.match && !braced) {
      pre.diags.add(at, "fatal", `include '${alt}' matches no file`);
    } else if (braced && (check.brace || (check.match && !wild))) {
      pre.diags.add(at, "fatal", `include '${pattern}': brace alternative '${alt}' matches no file`);
    } else missing(pre, at, wild ? `no configuration file matches '${alt}'` : `configuration file '${alt}' is missing`);
  }
}

/** Run one line of text through conditionals, definitions, repetition and substitution. */
export function processText(pre: Pre, text: string, file: string, line: number, depth: number): void {
  const at = { file, line };
  if (pre.stopped) return;
  if (depth > MAX_EXPANSION_DEPTH) {
    pre.diags.error(at, "definitions nest too deeply; line dropped");
    return;
  }
  let t = text.trim();
  if (t === "") return;
  const cond = /^@(\^?)(\S+)\s*(.*)$/.exec(t);
  if (cond) {
    const matches = cond[2] === pre.opts.configId;
    if (matches === (cond[1] === "^")) return;
    t = cond[3]!;
    if (t === "") return;
  }
  const def = /^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(t);
  if (def) {
    pre.defs.set(def[1]!, def[2]!.trim());
    return;
  }
  if (isSequenceLine(t)) {
    const seq: SequenceContext = {
      diags: pre.diags,
      defs: pre.defs,
      substitute: (text) => substitute(pre, text, at),
      iterate: () => iterate(pre, at),
    };
    expandSequence(seq, t, at, (rest) => processText(pre, rest, file, line, depth + 1));
    return;
  }
  const expanded = substitute(pre, t, at);
  if (expanded !== t) {
    for (const sub of expanded.split("\n")) processText(pre, sub, file, line, depth + 1);
    return;
  }
  const tokens = tokenize(t);
  if (tokens[0]?.text === "random_seed" && tokens[1] && /^\d+$/.test(tokens[1].text)) {
    pre.rng = mulberry32(Number(tokens[1].text));
  }
  emitLine(pre, tokens, file, line);
}

function emitLine(pre: Pre, tokens: Token[], file: string, line: number): void {
  if (pre.out.length >= CAPS.lines) {
    stop(pre, { file, line }, `configuration expands to more than ${CAPS.lines} lines (the line cap)`);
    return;
  }
  let cur: Token[] = [];
  for (const tok of tokens) {
    if (!tok.quoted && tok.text === "{") {
      cur.push(tok);
      pre.out.push({ file, line, tokens: cur });
      cur = [];
    } else if (!tok.quoted && tok.text === "}") {
      if (cur.length) pre.out.push({ file, line, tokens: cur });
      pre.out.push({ file, line, tokens: [tok] });
      cur = [];
    } else cur.push(tok);
  }
  if (cur.length) pre.out.push({ file, line, tokens: cur });
}

function predefined(pre: Pre, name: string, args: string[]): string | undefined {
  switch (name) {
    case "_PWD":
      return pre.pwd;
    case "_INSTANCE":
      return pre.opts.configId;
    case "_HASH":
      return "#";
    case "_BANG":
      return "!";
    case "_RANDOM": {
      const min = args[0] !== undefined ? Number.parseInt(args[0], 10) : 0;
      const max = args[1] !== undefined ? Number.parseInt(args[1], 10) : 32767;
      if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return undefined;
      return String(min + Math.floor(pre.rng() * (max - min + 1)));
    }
    default:
      return undefined;
  }
}

/**
 * Replace `$NAME<space|end>` and `${NAME [args]}` occurrences, recursively; undefined names stay. A line
 * that needs more than CAPS.substitutions substitutions or grows beyond CAPS.expandedLine is reported
 * and becomes empty (dropped).
 */
function substitute(pre: Pre, text: string, at: { file: string; line: number }): string {
  let s = text;
  let count = 0;
  for (let i = s.indexOf("$"); i >= 0; i = s.indexOf("$", i)) {
    let name: string;
    let args: string[] = [];
    let end: number;
    if (s[i + 1] === "{") {
      const close = s.indexOf("}", i + 2);
      if (close < 0) {
        i++;
        continue;
      }
      const inner = s.slice(i + 2, close).trim().split(/\s+/);
      name = inner[0] ?? "";
      args = inner.slice(1);
      end = close + 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
      end = i + 1 + (m ? m[0].length : 0);
      if (!m || (end < s.length && !/\s/.test(s[end]!))) {
        i++;
        continue;
      }
      name = m[0];
    }
    const value = pre.defs.get(name) ?? predefined(pre, name, args);
    if (value === undefined) {
      i++;
      continue;
    }
    if (++count > CAPS.substitutions) {
      pre.diags.error(at, `more than ${CAPS.substitutions} substitutions in one line (the substitution cap) at '$${name}'; line dropped`);
      return "";
    }
    if (s.length - (end - i) + value.length > CAPS.expandedLine) {
      pre.diags.error(at, `'$${name}' expands the line beyond the ${CAPS.expandedLine} character cap; line dropped`);
      return "";
    }
    s = s.slice(0, i) + value + s.slice(end);
  }
  return s;
}
