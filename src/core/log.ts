/**
 * Logging with keepalived's identities and switches: syslog (RFC 3164 datagrams to /dev/log, facility from
 * -S), console (-l), a log file (-g), detail (-D). Every line carries its component; VRRP lines carry
 * the instance in keepalived's form "(VI_1) Entering MASTER STATE".
 */
import { appendFileSync, writeSync } from "node:fs";

/** syslog severities (RFC 5424 §6.2.1). */
export const LOG_ERR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6, LOG_DEBUG = 7;
/** A severity. */
export type Severity = 3 | 4 | 5 | 6 | 7;

/** Where lines go; set once from the command line. */
export interface LogOptions {
  /** syslog ident: Keepalived, Keepalived_vrrp, Keepalived_healthcheckers, Keepalived_bfd. */
  ident: string;
  /** Log to stderr/console (-l). */
  console: boolean;
  /** Log to syslog (off with -G). */
  syslog: boolean;
  /** syslog facility number (LOG_DAEMON = 3, local0..7 = 16..23). */
  facility: number;
  /** Also append to this file (-g). */
  file?: string;
  /** Log debug-level detail (-D). */
  detail: boolean;
  /** Sends one syslog datagram (injected so tests and the ffi socket stay apart). */
  syslogSend?: (line: string) => void;
  /**
   * Breaks a wall-clock time (ms since the epoch) down in the local time zone. The daemon passes libc's
   * localtime_r (src/ffi/libc.ts): JavaScriptCore's local-time getters load ICU's time zone code, 4 MiB
   * RSS per process (docs/design.md, Footprint). @default the Date's local getters
   */
  localTime?: (epochMs: number) => LocalTime;
}

/** A wall-clock time in the local time zone: struct tm's fields, with the full year. */
export interface LocalTime {
  year: number;
  /** 0 = January. */
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** 0 = Sunday. */
  weekday: number;
}

/** A LocalTime from a Date's local getters. */
export function localFromDate(d: Date): LocalTime {
  return {
    year: d.getFullYear(),
    month: d.getMonth(),
    day: d.getDate(),
    hours: d.getHours(),
    minutes: d.getMinutes(),
    seconds: d.getSeconds(),
    weekday: d.getDay(),
  };
}

const local = (d: Date | LocalTime): LocalTime => (d instanceof Date ? localFromDate(d) : d);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const p2 = (n: number) => String(n).padStart(2, "0");

/** "Mmm dd hh:mm:ss" as RFC 3164 §4.1.2 writes it (day padded with a space). */
export function rfc3164Time(d: Date | LocalTime): string {
  const t = local(d);
  return `${MONTHS[t.month]} ${String(t.day).padStart(2, " ")} ${p2(t.hours)}:${p2(t.minutes)}:${p2(t.seconds)}`;
}

/** keepalived's console/file timestamp: "Wed Nov 25 09:48:26 2026". */
export function consoleTime(d: Date | LocalTime): string {
  const t = local(d);
  return `${DAYS[t.weekday]} ${MONTHS[t.month]} ${p2(t.day)} ${p2(t.hours)}:${p2(t.minutes)}:${p2(t.seconds)} ${t.year}`;
}

/** One formatted syslog datagram. */
export function syslogLine(facility: number, sev: Severity, ident: string, pid: number, msg: string, d: Date | LocalTime = new Date()): string {
  return `<${facility * 8 + sev}>${rfc3164Time(d)} ${ident}[${pid}]: ${msg}`;
}

/** A logger for one process; `prefix` adds a component or instance. */
export class Logger {
  constructor(readonly opts: LogOptions, readonly prefix = "") {}

  /** A logger whose lines start with `prefix` (e.g. "(VI_1) "). */
  with(prefix: string): Logger {
    return new Logger(this.opts, this.prefix + prefix);
  }
  /** Error-level line. */
  error(msg: string): void {
    this.log(LOG_ERR, msg);
  }
  /** Warning-level line. */
  warn(msg: string): void {
    this.log(LOG_WARNING, msg);
  }
  /** Notice-level line. */
  notice(msg: string): void {
    this.log(LOG_NOTICE, msg);
  }
  /** Info-level line. */
  info(msg: string): void {
    this.log(LOG_INFO, msg);
  }
  /** Debug-level line, only with -D. */
  debug(msg: string): void {
    if (this.opts.detail) this.log(LOG_DEBUG, msg);
  }
  /** Writes one line to every configured sink. */
  log(sev: Severity, msg: string): void {
    const text = this.prefix + msg;
    const o = this.opts;
    const now = o.localTime ? o.localTime(Date.now()) : new Date();
    if (o.console) {
      // writeSync, as keepalived's fprintf: Bun's process.stderr stream costs each process ~2 MiB (RSS ~3).
      try {
        writeSync(2, `${consoleTime(now)}: ${text}\n`);
      } catch { /* stderr closed or full: the line is dropped, the daemon goes on */ }
    }
    if (o.file) {
      try {
        appendFileSync(o.file, `${consoleTime(now)}: ${text}\n`);
      } catch { /* a full or missing disk must not stop the daemon */ }
    }
    if (o.syslog && o.syslogSend) o.syslogSend(syslogLine(o.facility, sev, o.ident, process.pid, text, now));
  }
}

/** Counts and rate-limits a repeating message (bad packets): at most one line per `intervalMs` per key. */
export class RateLimitedLog {
  #last = new Map<string, { at: number; suppressed: number }>();
  constructor(readonly log: Logger, readonly intervalMs = 10_000, readonly now: () => number = () => performance.now()) {}

  /** Logs `msg` under `key` unless it was logged within the interval; says how many were suppressed. */
  warn(key: string, msg: string): void {
    this.warnWith(key, () => msg);
  }

  /** As `warn`, but the message is only built when it is logged (a flood of drops builds no strings). */
  warnWith(key: string, msg: () => string): void {
    const t = this.now();
    const e = this.#last.get(key);
    if (e && t - e.at < this.intervalMs) {
      e.suppressed++;
      return;
    }
    const extra = e && e.suppressed ? ` (${e.suppressed} similar messages suppressed)` : "";
    if (e) {
      e.at = t;
      e.suppressed = 0;
    } else this.#last.set(key, { at: t, suppressed: 0 });
    this.log.warn(msg() + extra);
  }
}

/** A logger that drops everything (tests). */
export const nullLogger = new Logger({ ident: "test", console: false, syslog: false, facility: 3, detail: false });
