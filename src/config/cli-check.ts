/**
 * Tiny `keepalived -t` stand-in for tests and benchmarks: `bun src/config/cli-check.ts [-i ID] [-t] [-f] FILE`
 * loads FILE, prints each diagnostic as `file:line: severity: message` on stderr and exits with the
 * keepalived -t code (0, 4, 5 or 6). The config id defaults to the short host name.
 */
import * as os from "node:os";
import { formatDiagnostic, loadConfig } from "./index.ts";

/** Run the check for argv (without the program names); returns the exit code. */
export function runCheck(argv: readonly string[]): number {
  let id = os.hostname().split(".")[0] ?? "";
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-i") id = argv[++i] ?? id;
    else if (a === "-f") files.push(argv[++i] ?? "");
    else if (a !== "-t") files.push(a);
  }
  const file = files[0];
  if (file === undefined) {
    process.stderr.write("usage: cli-check.ts [-i CONFIG_ID] [-t] [-f] FILE\n");
    return 4;
  }
  const r = loadConfig(file, { configId: id });
  for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
  return r.exitCode;
}

if (import.meta.main) process.exit(runCheck(process.argv.slice(2)));
