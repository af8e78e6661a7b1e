/**
 * Filename expansion for keepalived.conf(5) `include`: csh-style brace expansion (`{a,b}`, nested),
 * then `*`, `?` and `[...]` wildcards matched one path segment at a time against an injected
 * directory lister. Results are sorted per pattern, like glob(3).
 */

/** Lists a directory's entry names; undefined when it cannot be read. */
export type ListDir = (dir: string) => readonly string[] | undefined;

/** Expand csh braces: "a{b,c{d,e}}f" -> ["abf", "acdf", "acef"]. Unbalanced braces are kept literally. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") { if (depth++ === 0) open = i; }
    else if (c === "}" && depth > 0 && --depth === 0) {
      const parts = splitTopLevel(pattern.slice(open + 1, i));
      const pre = pattern.slice(0, open);
      const post = pattern.slice(i + 1);
      const out: string[] = [];
      for (const p of parts) for (const e of expandBraces(pre + p + post)) out.push(e);
      return out;
    }
  }
  return [pattern];
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** True when the text has a glob wildcard. */
export function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

function segmentRegex(seg: string): RegExp {
  let re = "^";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = seg.slice(i + 1, end);
      if (body.startsWith("!")) body = "^" + body.slice(1);
      re += "[" + body.replace(/\\/g, "\\\\") + "]";
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(re + "$");
}

/** Match one absolute pattern (no braces) against the filesystem view given by `listDir`. */
export function globOne(pattern: string, listDir: ListDir): string[] {
  if (!hasWildcard(pattern)) return [pattern];
  const segs = pattern.split("/");
  let paths = [segs[0] === "" ? "" : "."];
  for (let i = segs[0] === "" ? 1 : 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const next: string[] = [];
    for (const base of paths) {
      const dir = base === "" ? "/" : base;
      if (!hasWildcard(seg)) {
        next.push(`${base}/${seg}`);
        continue;
      }
      const names = listDir(dir) ?? [];
      const re = segmentRegex(seg);
      for (const n of [...names].sort()) {
        if (n.startsWith(".") && !seg.startsWith(".")) continue;
        if (re.test(n)) next.push(`${base}/${n}`);
      }
    }
    paths = next;
  }
  return paths.map((p) => (p.startsWith("./") ? p.slice(2) : p));
}
