/** How this program re-executes itself: the compiled binary alone, or `bun <script>` in development. */

/** argv prefix that starts this same program. */
export function selfCommand(): string[] {
  const script = process.argv[1];
  if (!script || script.startsWith("/$bunfs/") || script === process.execPath) return [process.execPath];
  return [process.execPath, script];
}
