/**
 * keepalived.conf(5) sequence and list blocks: `~SEQ(var, [start,] [step,] end)`, `~SEQx(...)`
 * (hexadecimal values) and `~LST(var, v1, ...)` / `~LST({a, b}, {1, 2}, ...)`. The rest of the line is
 * processed once per value with the variable(s) defined; several blocks on a line nest.
 */
import type { DiagSink } from "./diag.ts";
import { CAPS } from "./read.ts";

/** What expansion needs from the preprocessor that calls it (preprocess.ts), for the line at hand. */
export interface SequenceContext {
  readonly diags: DiagSink;
  /** Variables: each value is defined here before the rest of the line is emitted. */
  readonly defs: Map<string, string>;
  /** `$NAME` substitution of the block's arguments. */
  substitute(text: string): string;
  /** Counts one iteration against CAPS.seqIterations; false once the load is stopped. */
  iterate(): boolean;
}

/** True when the line starts with a ~SEQ, ~SEQx or ~LST block. */
export function isSequenceLine(t: string): boolean {
  return /^~(SEQx?|LST)\(/.test(t);
}

/** Index of the `)` closing the `(` at `open`, or -1. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

/** Split on commas not inside `{...}`. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

function parseNum(s: string): number {
  const t = s.trim();
  if (/^-?0x[0-9a-f]+$/i.test(t)) return t.startsWith("-") ? -parseInt(t.slice(3), 16) : parseInt(t, 16);
  if (/^-?\d+$/.test(t)) return parseInt(t, 10);
  return Number.NaN;
}

/** Values of one ~SEQ: undefined when the arguments are bad, "cap" when there would be too many. */
function seqValues(args: number[]): number[] | undefined | "cap" {
  if (args.some((n) => !Number.isFinite(n)) || args.length < 1 || args.length > 3) return undefined;
  const end = args[args.length - 1]!;
  const start = args.length >= 2 ? args[0]! : end > 0 ? 1 : -1;
  const step = args.length === 3 ? args[1]! : end >= start ? 1 : -1;
  if (step === 0 || (step > 0 && start > end) || (step < 0 && start < end)) {
    return step === 0 ? undefined : [];
  }
  if (Math.floor((end - start) / step) + 1 > CAPS.seqValues) return "cap";
  const out: number[] = [];
  for (let v = start; step > 0 ? v <= end : v >= end; v += step) out.push(v);
  return out;
}

/** Expand one ~SEQ/~LST line, calling `emit` with the rest of the line once per value. */
export function expandSequence(
  pre: SequenceContext,
  t: string,
  at: { file: string; line: number },
  emit: (rest: string) => void,
): void {
  const open = t.indexOf("(");
  const close = closingParen(t, open);
  if (close < 0) {
    pre.diags.error(at, `unterminated '${t.slice(0, open)}(' block; line dropped`);
    return;
  }
  const kind = t.slice(1, open);
  const args = splitArgs(pre.substitute(t.slice(open + 1, close)));
  const rest = t.slice(close + 1).trim();
  if (kind === "LST") return expandList(pre, args, at, rest, emit);
  const name = args[0] ?? "";
  const values = seqValues(args.slice(1).map(parseNum));
  if (values === "cap") {
    pre.diags.error(at, `~${kind}(${args.join(",")}) gives more than ${CAPS.seqValues} values (the ~SEQ cap); line dropped`);
    return;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || values === undefined) {
    pre.diags.error(at, `bad ~${kind}(${args.join(",")}) block; line dropped`);
    return;
  }
  for (const v of values) {
    if (!pre.iterate()) return;
    pre.defs.set(name, kind === "SEQx" ? v.toString(16) : String(v));
    emit(rest);
  }
}

function expandList(
  pre: SequenceContext,
  args: string[],
  at: { file: string; line: number },
  rest: string,
  emit: (rest: string) => void,
): void {
  const unbrace = (
    s: string,
  ): string[] => (s.startsWith("{") && s.endsWith("}") ? splitArgs(s.slice(1, -1)) : [s]);
  const names = unbrace(args[0] ?? "");
  if (args.length < 2 || names.some((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n))) {
    pre.diags.error(at, `bad ~LST(${args.join(",")}) block; line dropped`);
    return;
  }
  for (const group of args.slice(1)) {
    const vals = unbrace(group);
    if (vals.length !== names.length) {
      pre.diags.error(at, `~LST value '${group}' does not match ${names.length} variable(s)`);
      continue;
    }
    if (!pre.iterate()) return;
    names.forEach((n, i) => pre.defs.set(n, vals[i]!));
    emit(rest);
  }
}
