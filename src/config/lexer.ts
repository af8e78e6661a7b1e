/**
 * keepalived.conf(5) lexical rules: `!`/`#` comments (escapable as `\!` `\#`), `"`/`'` quoting
 * (adjacent pieces join, whitespace kept), escapes inside quotes (\a \b \E \f \n \r \t \v \nnn \xXX \cC,
 * any other \C is C), and `{` / `}` as tokens that split a line.
 */
import { NAMED_ESCAPES } from "../core/command-line.ts";

/** One word of a config line. `quoted` is true when any part of it was inside quotes. */
export interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

/**
 * Remove a comment (`!` or `#` outside quotes, not preceded by a backslash). The scanners here compare
 * char codes and copy runs with slice(): `line[i]` allocates a string per character outside Latin-1, which
 * made 5 MB of binary garbage take seconds and hundreds of MiB.
 */
export function stripComment(line: string): string {
  let quote = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
      continue;
    }
    if (quote) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === DQUOTE || c === SQUOTE) quote = c;
    else if (c === 33 /* ! */ || c === 35 /* # */) return line.slice(0, i);
  }
  return line;
}

const BACKSLASH = 92;
const DQUOTE = 34;
const SQUOTE = 39;
const OPEN = 123;
const CLOSE = 125;

/** Space, tab, CR, LF, VT, FF. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Decode one escape starting after the backslash at `s[i]`; returns the text and the next index. */
function decodeEscape(s: string, i: number): [string, number] {
  const c = s[i];
  if (c === undefined) return ["\\", i];
  const simple = NAMED_ESCAPES[c];
  if (simple !== undefined) return [simple, i + 1];
  if (c >= "0" && c <= "7") {
    let j = i;
    while (j < s.length && j < i + 3 && s[j]! >= "0" && s[j]! <= "7") j++;
    return [String.fromCharCode(parseInt(s.slice(i, j), 8) & 0xff), j];
  }
  if (c === "x") {
    let j = i + 1;
    while (j < s.length && /[0-9a-fA-F]/.test(s[j]!)) j++;
    if (j === i + 1) return ["x", i + 1];
    return [String.fromCharCode(parseInt(s.slice(i + 1, j), 16) & 0xff), j];
  }
  if (c === "c") {
    const n = s[i + 1];
    if (n === undefined) return ["c", i + 1];
    return [String.fromCharCode(n.toUpperCase().charCodeAt(0) ^ 0x40), i + 2];
  }
  return [c, i + 1];
}

const NEEDS_SLOW = /["'\\]/;
const SPACES = /[ \t\r\n\v\f]+/;

/** Split a comment-free line into tokens; `{` and `}` outside quotes are always tokens of their own. */
export function tokenize(line: string): Token[] {
  if (NEEDS_SLOW.test(line)) return tokenizeSlow(line);
  const out: Token[] = [];
  for (const w of line.split(SPACES)) {
    if (w === "") continue;
    if (w.indexOf("{") < 0 && w.indexOf("}") < 0) out.push({ text: w, quoted: false });
    else for (const t of tokenizeSlow(w)) out.push(t);
  }
  return out;
}

/** Tokenizer for lines with quotes, escapes or braces (runs of plain characters are copied whole). */
function tokenizeSlow(line: string): Token[] {
  const out: Token[] = [];
  let cur = "";
  let quoted = false;
  let inWord = false;
  let quote = 0;
  let varDepth = 0;
  const flush = (): void => {
    if (inWord) out.push({ text: cur, quoted });
    cur = "";
    quoted = false;
    inWord = false;
    varDepth = 0;
  };
  for (let i = 0; i < line.length;) {
    const c = line.charCodeAt(i);
    if (quote) {
      if (c === quote) {
        quote = 0;
        i++;
      } else if (c === BACKSLASH) {
        const [t, n] = decodeEscape(line, i + 1);
        cur += t;
        i = n;
      } else {
        let j = i + 1;
        while (j < line.length && line.charCodeAt(j) !== quote && line.charCodeAt(j) !== BACKSLASH) j++;
        cur += line.slice(i, j);
        i = j;
      }
      continue;
    }
    if (isSpace(c)) {
      flush();
      i++;
    } else if (c === OPEN && cur.endsWith("$")) {
      varDepth++;
      cur += "{";
      i++;
    } else if (c === CLOSE && varDepth > 0) {
      varDepth--;
      cur += "}";
      i++;
    } else if (c === OPEN || c === CLOSE) {
      flush();
      out.push({ text: c === OPEN ? "{" : "}", quoted: false });
      i++;
    } else if (c === DQUOTE || c === SQUOTE) {
      quote = c;
      quoted = true;
      inWord = true;
      i++;
    } else if (c === BACKSLASH && i + 1 < line.length) {
      cur += line.slice(i + 1, i + 2);
      inWord = true;
      i += 2;
    } else {
      let j = i + 1;
      while (j < line.length && !isPlainStop(line.charCodeAt(j))) j++;
      cur += line.slice(i, j);
      inWord = true;
      i = j;
    }
  }
  flush();
  return out;
}

/** Characters that end a run of plain unquoted characters. */
function isPlainStop(c: number): boolean {
  return isSpace(c) || c === OPEN || c === CLOSE || c === DQUOTE || c === SQUOTE || c === BACKSLASH;
}
