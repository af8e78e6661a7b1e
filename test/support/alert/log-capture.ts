/** A Logger whose lines land in an array (through the syslog hook), for log-once assertions. */
import { Logger } from "../../../src/core/log.ts";

/** A logger and the lines it wrote. */
export function captureLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = new Logger({
    ident: "test",
    console: false,
    syslog: true,
    facility: 3,
    detail: true,
    syslogSend: (l) => lines.push(l),
  });
  return { log, lines };
}
