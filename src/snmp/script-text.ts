/**
 * A script as keepalived's SNMP tables show it: every word in single quotes, the program with its
 * path resolved through PATH and symlinked directories ("/bin/true x" -> "'/usr/bin/true' 'x'").
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ScriptSpec } from "../config/model.ts";

/** Resolves the program the way exec would find it, then its directory's real path. */
export function resolveProgram(prog: string, path = process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"): string {
  let full = prog;
  if (!prog.includes("/")) {
    const hit = path.split(":").map((d) => join(d, prog)).find((p) => existsSync(p));
    if (!hit) return prog;
    full = hit;
  }
  try {
    return join(realpathSync(dirname(full)), full.slice(full.lastIndexOf("/") + 1));
  } catch {
    return full;
  }
}

/** The quoted command line, or undefined for no script. */
export function scriptText(s: ScriptSpec | null | undefined): string | undefined {
  if (!s || s.argv.length === 0) return undefined;
  const [prog, ...args] = s.argv;
  return [resolveProgram(prog!), ...args].map((w) => `'${w}'`).join(" ");
}
