/**
 * Value readers and generic keyword handlers for keepalived.conf(5) parameter types: integers with
 * ranges (out of range: reported, default or previous value kept), <TIMER> decimal seconds, <BOOL>,
 * strings and script strings (`"cmd args" [user [group]]`).
 */
import type { Token } from "./lexer.ts";
import { splitCommand } from "../core/command-line.ts";
import type { ScriptSpec } from "./model.ts";
import type { ArgsHandler, Ctx } from "./tree.ts";

/** A draft of a model type: every field optional and writable. */
export type Draft<T> = { -readonly [K in keyof T]?: T[K] };

/** Append to an array field of a draft without copying. */
export function pushTo<T, K extends keyof T>(
  d: Draft<T>,
  k: K,
  v: T[K] extends readonly (infer E)[] | null ? E : never,
): void {
  const cur: unknown = d[k];
  if (Array.isArray(cur)) cur.push(v);
  else (d as Record<K, unknown>)[k] = [v];
}

/** Reports that a keyword is missing its value; returns false when `args` is short. */
export function need(args: readonly Token[], n: number, ctx: Ctx): boolean {
  if (args.length >= n) return true;
  ctx.diags.error(ctx.at, `'${ctx.kw}' is missing its value`);
  return false;
}

/** Parse a decimal integer (optionally 0x hex when `hex`); undefined when not a number. */
export function toInt(text: string, hex = false): number | undefined {
  if (/^[+-]?\d+$/.test(text)) return Number.parseInt(text, 10);
  if (hex && /^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16);
  return undefined;
}

/** Read an integer in [min, max]; reports and returns undefined when bad. */
export function readInt(
  text: string | undefined,
  min: number,
  max: number,
  ctx: Ctx,
  what = ctx.kw,
): number | undefined {
  if (text === undefined) {
    ctx.diags.error(ctx.at, `'${what}' is missing its value`);
    return undefined;
  }
  const n = toInt(text);
  if (n === undefined) {
    ctx.diags.error(ctx.at, `${what}: '${text}' is not a whole number`);
    return undefined;
  }
  if (n < min || n > max) {
    ctx.diags.error(ctx.at, `${what}: ${n} is outside ${min}..${max}; ignored`);
    return undefined;
  }
  return n;
}

/** Read a <TIMER> (decimal seconds, microsecond resolution) in [minS, maxS]; returns milliseconds. */
export function readTimerMs(
  text: string | undefined,
  minS: number,
  maxS: number,
  ctx: Ctx,
  what = ctx.kw,
): number | undefined {
  if (text === undefined) {
    ctx.diags.error(ctx.at, `'${what}' is missing its value`);
    return undefined;
  }
  if (!/^\d*\.?\d+$|^\d+\.$/.test(text)) {
    ctx.diags.error(ctx.at, `${what}: '${text}' is not a number of seconds`);
    return undefined;
  }
  const s = Number(text);
  if (s < minS || s > maxS) {
    ctx.diags.error(ctx.at, `${what}: ${text}s is outside ${minS}..${maxS} seconds; ignored`);
    return undefined;
  }
  return Math.round(s * 1e6) / 1e3;
}

/** Parse a <BOOL>; undefined when not one. */
export function toBool(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (t === "on" || t === "true" || t === "yes") return true;
  if (t === "off" || t === "false" || t === "no") return false;
  return undefined;
}

/** Read an optional <BOOL> argument: no argument means true. */
export function readBool(args: readonly Token[], ctx: Ctx): boolean | undefined {
  const a = args[0];
  if (a === undefined) return true;
  const b = toBool(a.text);
  if (b === undefined) ctx.diags.error(ctx.at, `${ctx.kw}: '${a.text}' is not on/off/true/false/yes/no`);
  return b;
}

/** Handler: integer field in [min, max]. */
export function intKw<T>(field: keyof T, min: number, max: number): ArgsHandler<Draft<T>> {
  return (d, args, ctx) => {
    const n = readInt(args[0]?.text, min, max, ctx);
    if (n !== undefined) (d as Record<keyof T, unknown>)[field] = n;
  };
}

/** Handler: <TIMER> field stored in milliseconds. */
export function timerKw<T>(field: keyof T, minS: number, maxS: number): ArgsHandler<Draft<T>> {
  return (d, args, ctx) => {
    const n = readTimerMs(args[0]?.text, minS, maxS, ctx);
    if (n !== undefined) (d as Record<keyof T, unknown>)[field] = n;
  };
}

/** Handler: optional <BOOL> field (bare keyword = true). */
export function boolKw<T>(field: keyof T): ArgsHandler<Draft<T>> {
  return (d, args, ctx) => {
    const b = readBool(args, ctx);
    if (b !== undefined) (d as Record<keyof T, unknown>)[field] = b;
  };
}

/** Handler: flag keyword that sets `field` to `value` and takes no arguments. */
export function flagKw<T>(field: keyof T, value: unknown = true): ArgsHandler<Draft<T>> {
  return (d) => {
    (d as Record<keyof T, unknown>)[field] = value;
  };
}

/** Handler: single string field. */
export function strKw<T>(field: keyof T): ArgsHandler<Draft<T>> {
  return (d, args, ctx) => {
    if (need(args, 1, ctx)) (d as Record<keyof T, unknown>)[field] = args[0]!.text;
  };
}

/** Read a script string: the first word (re-split into argv), then optional run-as user and group. */
export function readScript(args: readonly Token[], ctx: Ctx): ScriptSpec | undefined {
  if (!need(args, 1, ctx)) return undefined;
  // keepalived.conf(5): `<STRING>|<QUOTED-STRING> [username [groupname]]`: only the first word is the
  // command (quote it to pass arguments); the next two words are the run-as user and group.
  const cmd = args[0]!.text;
  const rest = args.slice(1);
  const argv = splitCommand(cmd);
  if (argv.length === 0) {
    ctx.diags.error(ctx.at, `${ctx.kw}: empty command`);
    return undefined;
  }
  if (rest.length > 2) ctx.diags.error(ctx.at, `${ctx.kw}: extra words after user and group ignored`);
  return { cmd, argv, user: rest[0]?.text ?? null, group: rest[1]?.text ?? null, src: ctx.at };
}

/** Handler: script field. */
export function scriptKw<T>(field: keyof T): ArgsHandler<Draft<T>> {
  return (d, args, ctx) => {
    const s = readScript(args, ctx);
    if (s) (d as Record<keyof T, unknown>)[field] = s;
  };
}

/** Read `weight N [reverse]` style arguments starting at `i`: returns [weight, reverse]. */
export function readWeight(
  args: readonly Token[],
  i: number,
  min: number,
  max: number,
  ctx: Ctx,
): [number, boolean] | undefined {
  const n = readInt(args[i]?.text, min, max, ctx, ctx.kw === "weight" ? "weight" : `${ctx.kw} weight`);
  if (n === undefined) return undefined;
  const rev = args[i + 1]?.text;
  if (rev !== undefined && rev !== "reverse" && rev !== "noreverse") {
    ctx.diags.error(ctx.at, `${ctx.kw}: unexpected '${rev}' after weight`);
  }
  return [n, rev === "reverse"];
}
