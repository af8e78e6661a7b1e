/**
 * Config dumps for `-d/--dump-conf` style output: indented text, JSON or YAML (npm `yaml`). The
 * per-child slices the parent sends over IPC: src/config/slice.ts.
 */
import type { KeepalivedConfig } from "./model.ts";

function textLines(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (item !== null && typeof item === "object") {
        out.push(`${indent}[${i}]`);
        textLines(item, indent + "  ", out);
      } else out.push(`${indent}[${i}] ${String(item)}`);
    });
    return;
  }
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === "src") continue;
    if (val === null || val === false || (Array.isArray(val) && val.length === 0)) continue;
    if (typeof val === "object") {
      out.push(`${indent}${k}:`);
      textLines(val, indent + "  ", out);
    } else out.push(`${indent}${k} = ${String(val)}`);
  }
}

/** Any part of the model as our indented `key = value` text (unset/false/empty fields left out). */
export function plainText(v: unknown): string[] {
  const out: string[] = [];
  textLines(v, " ", out);
  return out;
}

/** Render the config as indented text (unset/false/empty fields left out), JSON or YAML. */
export function dumpConfig(c: KeepalivedConfig, format: "text" | "json" | "yaml"): string {
  if (format === "json") return JSON.stringify(c, null, 2);
  if (format === "yaml") {
    // Loaded on first use: importing `yaml` costs more than parsing a large config (keeps `-t` fast).
    // A plain require, which the bundler embeds (createRequire(import.meta.url) left it out of the binary).
    const yaml = require("yaml") as typeof import("yaml");
    return yaml.stringify(c);
  }
  const out: string[] = [];
  textLines(c, "", out);
  return out.join("\n") + "\n";
}
