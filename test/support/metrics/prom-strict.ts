/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it rejects anything a
 * scraper could read two ways. Families must be contiguous, with at most one HELP and one TYPE line
 * each, TYPE before the first sample; names and label names must match the format's patterns; label
 * values use only the \\, \" and \n escapes; no label twice in a series, no series twice; values are
 * floats, NaN or ±Inf; counters are never negative; the text ends with a newline.
 */

/** One parsed sample. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed family. */
export interface ParsedFamily {
  name: string;
  help: string | undefined;
  type: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function fail(n: number, line: string, why: string): never {
  throw new Error(`line ${n}: ${why}: ${JSON.stringify(line)}`);
}

function parseValue(s: string): number | undefined {
  if (s === "NaN") return NaN;
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : undefined;
}

function parseLabels(s: string, n: number, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (s[i] === "}") return { labels, rest: s.slice(i + 1) };
    const m = LABEL.exec(s.slice(i));
    if (!m) fail(n, line, "bad label name");
    const key = m[0];
    if (key.startsWith("__")) fail(n, line, "reserved label name");
    if (key in labels) fail(n, line, `label ${key} twice`);
    i += key.length;
    if (s.slice(i, i + 2) !== '="') fail(n, line, 'expected ="');
    i += 2;
    let v = "";
    for (;;) {
      const c = s[i];
      if (c === undefined) fail(n, line, "unterminated label value");
      if (c === '"') break;
      if (c === "\\") {
        const e = s[i + 1];
        if (e === "\\") v += "\\";
        else if (e === '"') v += '"';
        else if (e === "n") v += "\n";
        else fail(n, line, "bad escape in label value");
        i += 2;
        continue;
      }
      if (c === "\n") fail(n, line, "newline in label value");
      v += c;
      i++;
    }
    labels[key] = v;
    i++;
    if (s[i] === ",") i++;
    else if (s[i] !== "}") fail(n, line, "expected , or }");
  }
}

/** Parses `text` or throws naming the first problem. */
export function parseExposition(text: string): ParsedFamily[] {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("text does not end with a newline");
  const families: ParsedFamily[] = [];
  const done = new Set<string>();
  const series = new Set<string>();
  let cur: ParsedFamily | undefined;
  const family = (name: string, n: number, line: string): ParsedFamily => {
    if (cur?.name === name) return cur;
    if (done.has(name)) fail(n, line, `family ${name} is not contiguous`);
    if (cur) done.add(cur.name);
    cur = { name, help: undefined, type: "untyped", samples: [] };
    families.push(cur);
    return cur;
  };
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, idx) => {
    const n = idx + 1;
    if (line === "") fail(n, line, "empty line");
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name = "", rest = ""] = meta;
      if (!NAME.test(name) || NAME.exec(name)![0] !== name) fail(n, line, "bad metric name");
      const f = family(name, n, line);
      if (kind === "HELP") {
        if (f.help !== undefined) fail(n, line, "second HELP");
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) fail(n, line, "bad escape in HELP");
        f.help = rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      } else {
        if (f.samples.length) fail(n, line, "TYPE after samples");
        if (f.type !== "untyped" || !TYPES.has(rest)) fail(n, line, "bad or second TYPE");
        f.type = rest;
      }
      return;
    }
    if (line.startsWith("#")) return;
    const m = NAME.exec(line);
    if (!m) fail(n, line, "bad metric name");
    const name = m[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, n, line));
    const parts = rest.split(" ");
    if (parts[0] !== "" || parts.length < 2 || parts.length > 3) {
      fail(n, line, "expected one space, a value and an optional timestamp");
    }
    const value = parseValue(parts[1]!);
    if (value === undefined) fail(n, line, "bad value");
    if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2])) fail(n, line, "bad timestamp");
    const f = family(name, n, line);
    if (f.type === "counter" && !(value >= 0)) fail(n, line, "negative or NaN counter");
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) fail(n, line, "series twice");
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  return families;
}

/** The value of the series `name` whose labels include `labels`, or undefined. */
export function valueOf(
  families: readonly ParsedFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
