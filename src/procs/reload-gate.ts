/**
 * Whether a re-read configuration may replace the running one (SIGHUP). The rule, per class of
 * diagnostic (docs/design.md "Reload"): a reload is all or nothing. Any fatal error (unreadable or
 * non-regular file, a cap), error (syntax: unbalanced braces, unknown keyword, bad value; an unknown
 * interface; a bad or duplicate VRID; anything else that would drop a keyword, an instance or a
 * server), or under `-e` a missing include refuses the whole reload and the running configuration
 * stays. Warnings, notices (a skipped include without `-e`, as in keepalived) and the script-security
 * report (scripts still run, as in keepalived; `-t` exits 6) do not: nothing of the file is dropped.
 * An error the running configuration was already accepted with (the same message, wherever it is now)
 * does not refuse it either: it drops nothing that is running, and it would otherwise block every
 * reload of a daemon that started with it. A file that gives no configuration at all (empty, only
 * comments) is refused; a valid file with no VRRP, checker or BFD section is applied.
 */
import { type Diagnostic, formatDiagnostic } from "../config/index.ts";

const BLOCKING = new Set<Diagnostic["severity"]>(["config-fatal", "fatal", "error", "missing"]);

/** What a load was accepted with: the location-free text of each of its blocking diagnostics. */
export function acceptedErrors(diags: readonly Diagnostic[]): Set<string> {
  return new Set(diags.filter((d) => BLOCKING.has(d.severity)).map((d) => `${d.severity}: ${d.message}`));
}

/**
 * Why the reload must be refused, or undefined when the new configuration may be applied. `accepted`:
 * acceptedErrors() of the running configuration's load.
 */
export function reloadRefusal(
  r: { readonly diagnostics: readonly Diagnostic[]; readonly statements: number },
  accepted: ReadonlySet<string> = new Set(),
): string | undefined {
  const blocking = r.diagnostics.filter((d) => BLOCKING.has(d.severity) && !accepted.has(`${d.severity}: ${d.message}`));
  if (blocking.length > 0) {
    const more = blocking.length > 1 ? ` (and ${blocking.length - 1} more)` : "";
    return `${formatDiagnostic(blocking[0]!)}${more}`;
  }
  if (r.statements === 0) return "the file holds no configuration at all (empty, or only comments)";
  return undefined;
}
