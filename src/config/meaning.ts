/**
 * Comparing configurations by meaning (a reload keeps what did not change): the canonical text of a
 * model value with object keys in sorted order and every source location (`{file, line}`, the model's
 * `src`) left out, so a comment line, a moved block, an include or reordered keywords give the same
 * text. Order inside lists is kept: a list's order can be meaningful (argv, the addresses of an advert).
 */

function isSourceRef(v: object): boolean {
  const keys = Object.keys(v);
  const r = v as { file?: unknown; line?: unknown };
  return keys.length === 2 && typeof r.file === "string" && typeof r.line === "number";
}

function canonical(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : canonical(x)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined || typeof x === "function") continue;
    if (x !== null && typeof x === "object" && isSourceRef(x)) continue;
    out[k] = canonical(x);
  }
  return out;
}

/** The canonical text of `v` by meaning: equal for configurations that differ only in where they were written. */
export function meaningKey(v: unknown): string {
  return JSON.stringify(canonical(v)) ?? "undefined";
}
