/**
 * Config diagnostics: `file:line: severity: message`, and how they map to keepalived's `-t` exit codes
 * (keepalived 2.2.7 as measured: 0 ok, 2 fatal config error, 4 not runnable, 5 errors but runnable,
 * 6 script security or, with `-e`, a missing configuration file).
 */

/**
 * How bad a diagnostic is. "config-fatal" is keepalived's KEEPALIVED_EXIT_CONFIG class (a keyword
 * missing its parameter, see fatal-params.ts): `-t` exits 2 and the daemon refuses the configuration.
 * "fatal" is a configuration keepalived cannot run (exit 4). "info" is logged only: keepalived says it
 * when it starts, not under `-t`, so it does not change the exit code. "unsupported" names a keyword
 * we parse but do not act on (unsupported.ts): logged as a warning, exit code unchanged (keepalived
 * accepts the keyword). "notice" (a skipped include without `-e`) does not change the exit code either;
 * "missing" is a skipped include under `-e` (`--all-config`).
 */
export type Severity = "config-fatal" | "fatal" | "error" | "warning" | "security" | "info" | "unsupported" | "missing" | "notice";

/** `keepalived -t` exit codes. */
export type ExitCode = 0 | 2 | 4 | 5 | 6;

/** One message about the configuration, tied to a file and line (line 0 = whole file / no line). */
export interface Diagnostic {
  file: string;
  line: number;
  severity: Severity;
  message: string;
}

/** Where a diagnostic points. */
export interface Where {
  readonly file: string;
  readonly line: number;
}

const CONTROL = /[\x00-\x1f\x7f]/;
const CONTROLS = /[\x00-\x1f\x7f]/g;
/** `\xNN` for each control character (a table: a garbage file gives one message per line). */
const ESCAPED: Readonly<Record<string, string>> = Object.fromEntries(
  [...Array(32).keys(), 0x7f].map((n) => [String.fromCharCode(n), `\\x${n.toString(16).padStart(2, "0")}`]),
);

/** Escape control characters so every message stays on one line. */
function oneLine(s: string): string {
  return CONTROL.test(s) ? s.replace(CONTROLS, (c) => ESCAPED[c]!) : s;
}

/** Collects diagnostics for one load; no global state. */
export class DiagSink {
  /** Everything reported so far, in order. */
  readonly list: Diagnostic[] = [];
  /** Report a problem at `at`. */
  add(at: Where, severity: Severity, message: string): void {
    this.list.push({ file: at.file, line: at.line, severity, message: oneLine(message) });
  }
  /** Shorthand for an "error" (runnable config, exit 5). */
  error(at: Where, message: string): void {
    this.add(at, "error", message);
  }
  /** Closing `}` of each block draft of this load (keepalived reports end-of-block checks there). */
  readonly #ends = new WeakMap<object, Where>();
  /** Record where the block that filled `draft` was closed. */
  endBlock(draft: object, at: Where): void {
    this.#ends.set(draft, at);
  }
  /** Where the block that filled `draft` was closed, else `fallback` (its header). */
  endOf(draft: object, fallback: Where): Where {
    return this.#ends.get(draft) ?? fallback;
  }
  /** Shorthand for a "warning" (keepalived counts most of these as config errors too). */
  warn(at: Where, message: string): void {
    this.add(at, "warning", message);
  }
}

/** Render a diagnostic as `file:line: severity: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}

/**
 * keepalived -t exit code for a diagnostic list. keepalived reports nearly every config complaint
 * (warnings included) through its config-error path, so any warning or error gives 5.
 */
export function exitCodeFor(diags: readonly Diagnostic[]): ExitCode {
  if (diags.some((d) => d.severity === "config-fatal")) return 2;
  let code: ExitCode = 0;
  for (const d of diags) {
    if (d.severity === "info" || d.severity === "unsupported") continue;
    if (d.severity === "fatal") return 4;
    if (d.severity === "notice") continue;
    if (d.severity === "security" || d.severity === "missing") code = 6;
    else if (code === 0) code = 5;
  }
  return code;
}

/**
 * Whether a configuration with this `-t` exit code may be run: 2 (fatal config error) and 4 (not
 * runnable) refuse to start, and a reload to such a file keeps the running configuration.
 */
export function isRunnable(code: ExitCode): boolean {
  return code !== 2 && code !== 4;
}
