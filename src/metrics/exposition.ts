/**
 * The Prometheus text exposition format (version 0.0.4): families grouped by name with one `# HELP` and
 * one `# TYPE` line each, then `name{label="value",...} value` lines. Help text escapes `\` and newline;
 * label values escape `\`, `"` and newline. A series (name + labels) that appears twice keeps its first
 * sample; a sample whose type disagrees with its family's first sample is dropped. Pure.
 */
import type { MetricSample } from "../core/ipc.ts";

/** The Content-Type of the text format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A gauge sample. */
export function gauge(
  name: string,
  help: string,
  labels: Record<string, string>,
  value: number,
): MetricSample {
  return { name, help, type: "gauge", labels, value };
}

/** A counter sample (names end in `_total` by convention). */
export function counter(
  name: string,
  help: string,
  labels: Record<string, string>,
  value: number,
): MetricSample {
  return { name, help, type: "counter", labels, value };
}

const escHelp = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escLabel = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** A sample value as the format spells it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** `{a="1",b="2"}` with labels in name order, or "" when there are none. */
export function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escLabel(labels[k]!)}"`).join(",")}}`;
}

interface Family {
  help: string;
  type: MetricSample["type"];
  lines: Map<string, string>;
}

/** Renders samples from several sources (earlier sources win on duplicates) as exposition text. */
export function renderExposition(sources: readonly (readonly MetricSample[])[]): string {
  const families = new Map<string, Family>();
  for (const samples of sources) {
    for (const s of samples) {
      let f = families.get(s.name);
      if (!f) {
        f = { help: s.help, type: s.type, lines: new Map() };
        families.set(s.name, f);
      }
      if (f.type !== s.type) continue;
      const series = `${s.name}${formatLabels(s.labels)}`;
      if (!f.lines.has(series)) f.lines.set(series, `${series} ${formatValue(s.value)}`);
    }
  }
  const out: string[] = [];
  for (const name of [...families.keys()].sort()) {
    const f = families.get(name)!;
    out.push(`# HELP ${name} ${escHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines.values());
  }
  return out.length ? out.join("\n") + "\n" : "";
}
