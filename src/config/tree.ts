/**
 * Keyword-tree walker in keepalived's style: each block is a table of keyword -> handler; a handler
 * either takes the line's arguments, opens a nested block (`kw ... {` with its own table), or reads a
 * value block (one entry per line until `}`). An unknown keyword is reported and only its line is
 * skipped: a `{` body under it is parsed in the current block, so its `}` closes the current block
 * (keepalived.conf(5) parser behaviour). Handlers fill per-load drafts; nothing here is global.
 */
import type { DiagSink, Where } from "./diag.ts";
import type { Token } from "./lexer.ts";
import type { Line } from "./preprocess.ts";

/** What a handler gets besides its arguments. */
export interface Ctx {
  readonly diags: DiagSink;
  readonly at: Where;
  readonly kw: string;
}

/** Handler for a keyword that takes arguments on its own line. */
export type ArgsHandler<T> = (target: T, args: readonly Token[], ctx: Ctx) => void;

/** One keyword's definition. Exactly one of `h`, `block` or `values` is set. */
export interface KwDef<T> {
  readonly h?: ArgsHandler<T>;
  /** Nested keyword block: `open` returns the child draft (undefined = bad header: the body is skipped). */
  readonly block?: {
    readonly open: (target: T, args: readonly Token[], ctx: Ctx) => object | undefined;
    readonly table: () => Table<never>;
  };
  /** Value block: each inner line is handed to `item`; `open` may handle the header's arguments. */
  readonly values?: {
    readonly item: (target: T, words: readonly Token[], ctx: Ctx) => void;
    readonly open?: ArgsHandler<T>;
    /** Called at the list's closing `}` (keepalived reports end-of-list checks at that line). */
    readonly close?: (target: T, ctx: Ctx) => void;
  };
}

/** A block's keyword table. */
export type Table<T> = Readonly<Record<string, KwDef<T>>>;

/** A read position in the logical lines. */
interface Cursor {
  readonly lines: readonly Line[];
  i: number;
}

const isOpen = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.text === "{";
const isClose = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.text === "}";

/** Parse all lines as the top-level block with `table`, filling `target`. */
export function walk<T>(lines: readonly Line[], table: Table<T>, target: T, diags: DiagSink): void {
  const cur: Cursor = { lines, i: 0 };
  while (cur.i < lines.length) {
    parseBlock(cur, table, target, diags, true);
    if (cur.i < lines.length) {
      const l = lines[cur.i++]!;
      diags.error(l, "'}' without a matching '{'");
    }
  }
}

/** Parse lines until the `}` closing this block (left unconsumed) or the end of input. */
function parseBlock<T>(cur: Cursor, table: Table<T>, target: T, diags: DiagSink, top: boolean): void {
  while (cur.i < cur.lines.length) {
    const line = cur.lines[cur.i]!;
    const first = line.tokens[0];
    if (first === undefined) {
      cur.i++;
      continue;
    }
    if (isClose(first)) return;
    cur.i++;
    if (isOpen(first)) {
      diags.error(line, "'{' without a keyword before it");
      continue;
    }
    dispatch(cur, line, table, target, diags);
  }
  if (!top) {
    const last = cur.lines[cur.lines.length - 1];
    if (last) diags.error(last, "end of configuration inside a block: missing '}'");
  }
}

function dispatch<T>(cur: Cursor, line: Line, table: Table<T>, target: T, diags: DiagSink): void {
  const kw = line.tokens[0]!.text;
  const hasBrace = isOpen(line.tokens[line.tokens.length - 1]) && line.tokens.length > 1;
  const args = line.tokens.slice(1, hasBrace ? -1 : undefined);
  const def = Object.hasOwn(table, kw) ? table[kw] : undefined;
  const ctx: Ctx = { diags, at: { file: line.file, line: line.line }, kw };
  if (!def) {
    diags.error(ctx.at, `unknown keyword '${kw}' ignored`);
    return;
  }
  if (def.h) {
    if (hasBrace) diags.error(ctx.at, `'${kw}' does not take a '{' block`);
    def.h(target, args, ctx);
    return;
  }
  let opened = hasBrace;
  if (
    !opened && cur.i < cur.lines.length && cur.lines[cur.i]!.tokens.length === 1 &&
    isOpen(cur.lines[cur.i]!.tokens[0])
  ) {
    cur.i++;
    opened = true;
  }
  if (def.values) {
    def.values.open?.(target, args, ctx);
    if (!opened) {
      if (!def.values.open) diags.error(ctx.at, `'${kw}' needs a '{' block`);
      def.values.close?.(target, ctx); // an empty list
      return;
    }
    const end = readValues(cur, target, def.values.item, diags, kw);
    if (end) def.values.close?.(target, { diags, at: end, kw });
    return;
  }
  const blk = def.block!;
  const child = blk.open(target, args, ctx);
  if (!opened) {
    diags.error(ctx.at, `'${kw}' needs a '{' block`);
    return;
  }
  if (child === undefined) {
    skipBlock(cur);
    return;
  }
  parseBlock(cur, blk.table() as Table<object>, child, diags, false);
  if (cur.i < cur.lines.length) {
    const end = cur.lines[cur.i++]!;
    diags.endBlock(child, { file: end.file, line: end.line });
  }
}

function readValues<T>(
  cur: Cursor,
  target: T,
  item: (t: T, w: readonly Token[], c: Ctx) => void,
  diags: DiagSink,
  kw: string,
): Where | undefined {
  while (cur.i < cur.lines.length) {
    const line = cur.lines[cur.i++]!;
    if (isClose(line.tokens[0])) return { file: line.file, line: line.line };
    const at = { file: line.file, line: line.line };
    if (isOpen(line.tokens[line.tokens.length - 1])) {
      diags.error(at, `unexpected '{' inside '${kw}' list`);
      skipBlock(cur);
      continue;
    }
    item(target, line.tokens, { diags, at, kw });
  }
  const last = cur.lines[cur.lines.length - 1];
  if (last) diags.error(last, `end of configuration inside '${kw}': missing '}'`);
  return undefined;
}

/** Skip to just after the `}` matching an already consumed `{`. */
function skipBlock(cur: Cursor): void {
  let depth = 1;
  while (cur.i < cur.lines.length && depth > 0) {
    const toks = cur.lines[cur.i++]!.tokens;
    if (isOpen(toks[toks.length - 1])) depth++;
    else if (isClose(toks[0])) depth--;
  }
}
