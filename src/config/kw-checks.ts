/**
 * Checks put in front of every keyword handler of the keyword trees, by block path: keepalived's fatal
 * missing-parameter class (fatal-params.ts) and the load-time report of keywords that are parsed but
 * not implemented (unsupported.ts). The trees themselves stay plain tables.
 */
import { FATAL_WHEN_ALONE, missingParameterMessage } from "./fatal-params.ts";
import type { Token } from "./lexer.ts";
import type { Ctx, KwDef, Table } from "./tree.ts";
import { unsupportedAt, unsupportedMessage } from "./unsupported.ts";

type Open<T> = (t: T, a: readonly Token[], c: Ctx) => object | undefined;

function fatalOpen<T>(open: Open<T>): Open<T> {
  return (t, a, c) => {
    if (a.length > 0) return open(t, a, c);
    c.diags.add(c.at, "config-fatal", missingParameterMessage(c.kw));
    return undefined;
  };
}

function wrapDef<T>(def: KwDef<T>, kw: string, path: string, fatal: boolean): KwDef<T> {
  const u = unsupportedAt(path, kw);
  const note = (c: Ctx): void => {
    if (u) c.diags.add(c.at, "unsupported", unsupportedMessage(kw, u));
  };
  const { h, block, values } = def;
  if (h) {
    return {
      h: (t, a, c) => {
        if (fatal && a.length === 0) return c.diags.add(c.at, "config-fatal", missingParameterMessage(kw));
        note(c);
        h(t, a, c);
      },
    };
  }
  if (values) {
    if (!u) return def;
    return { values: { ...values, open: (t, a, c) => (note(c), values.open?.(t, a, c)) } };
  }
  if (!block) return def;
  const inner = fatal ? fatalOpen(block.open) : block.open;
  const child = path === "" ? kw : `${path}/${kw}`;
  let memo: Table<never> | undefined;
  return {
    block: {
      open: (t, a, c) => (note(c), inner(t, a, c)),
      table: () => (memo ??= withKeywordChecks(block.table(), child) as Table<never>),
    },
  };
}

/** `table` (the tree under block path `path`) with the checks in front of its keywords, recursively. */
export function withKeywordChecks<T>(table: Table<T>, path = ""): Table<T> {
  const fatal = new Set(FATAL_WHEN_ALONE[path] ?? []);
  const out: Record<string, KwDef<T>> = {};
  for (const [kw, def] of Object.entries(table)) out[kw] = wrapDef(def, kw, path, fatal.has(kw));
  return out;
}
