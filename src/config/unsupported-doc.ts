/**
 * The "Not implemented" section of docs/config.md, rendered from the unsupported-keyword table
 * (unsupported.ts). `bun src/config/unsupported-doc.ts` rewrites the section in place;
 * test/unit/config/unsupported.test.ts fails when the file and the table disagree.
 */
import * as fs from "node:fs";
import { UNSUPPORTED, UNSUPPORTED_OPTIONS } from "./unsupported.ts";

/** Markers around the generated section. */
export const BEGIN = "<!-- unsupported:begin (generated from src/config/unsupported.ts) -->";
export const END = "<!-- unsupported:end -->";

/** The section body: one table row per entry. */
export function renderUnsupported(): string {
  const rows = UNSUPPORTED.map((u) => {
    const where = u.paths.map((p) => (p === "" ? "top level" : p)).join(", ");
    return `| ${u.keywords.map((k) => `\`${k}\``).join(", ")} | ${where} | ${u.note} |`;
  });
  const opts = UNSUPPORTED_OPTIONS.map((o) => `| \`${o.option}\` | address, route and rule entries | ${o.note} |`);
  return [BEGIN, "| keyword | block | what does not happen |", "|---|---|---|", ...rows, ...opts, END].join("\n");
}

/** Replace the generated section of `text`. */
export function withSection(text: string): string {
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/config.md has no ${BEGIN} ... ${END} section`);
  return text.slice(0, a) + renderUnsupported() + text.slice(b + END.length);
}

if (import.meta.main) {
  const path = `${import.meta.dir}/../../docs/config.md`;
  fs.writeFileSync(path, withSection(fs.readFileSync(path, "utf8")));
}
