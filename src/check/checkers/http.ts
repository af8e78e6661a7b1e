/**
 * HTTP_GET and SSL_GET (keepalived.conf(5)): for each url{} block, connect (TLS for SSL_GET),
 * send "GET path HTTP/1.x" with keepalived's header lines, parse the response incrementally
 * (src/proto/http.ts), check the status against status_code (default 200-299), MD5 the body
 * bytes for `digest` and run `regex` over at most maxRegexBytes of the body. The body is
 * never held in full: a 10 MB body costs one MD5 state plus the regex window.
 */
import { type HttpHead, HttpResponseParser } from "../../proto/http.ts";
import { compileUrlRegex, DEFAULT_STATUS, formatStatusRanges, regexVerdict, statusAccepted, type StatusRange, type UrlRegex } from "./http-match.ts";
import { runStream, type StreamTls } from "./stream.ts";
import { type CheckResult, type Endpoint, errorText, fail, hostPort, pass, type RunCheck } from "./types.ts";
import { makeHttpStepper } from "./http-steps.ts";

/** One url{} block. */
export interface HttpUrl {
  /** Request path (`path`). */
  path: string;
  /** Expected MD5 of the body, hex (`digest`). */
  digest?: string;
  /** Accepted status codes (`status_code`). @default [[200, 299]] */
  statusCodes?: StatusRange[];
  /** Host header (`virtualhost`); falls back to the checker-level virtualhost. */
  virtualhost?: string;
  /** Pattern the body must (or, with regexNoMatch, must not) match (`regex`). */
  regex?: string;
  regexNoMatch?: boolean;
  /** PCRE2 option names (`regex_options`). */
  regexOptions?: string[];
  /** Earliest match start in body bytes (`regex_min_offset`). */
  regexMinOffset?: number;
  /** Latest match start in body bytes (`regex_max_offset`). */
  regexMaxOffset?: number;
}

/** `http_protocol`: 1.0, 1.0C (1.0 plus "Connection: close") or 1.1 (which sends it too). */
export type HttpProtocol = "1.0" | "1.0C" | "1.1";

/** File paths of the SSL{} block (read at each attempt). */
export interface SslFiles {
  /** CA file (`ca`); when set the server certificate must verify against it. */
  ca?: string;
  /** Client certificate file (`certificate`). */
  certificate?: string;
  /** Client key file (`key`). */
  key?: string;
  /** Key passphrase (`password`). */
  password?: string;
}

/** Options of one HTTP_GET / SSL_GET checker. */
export interface HttpCheckOptions {
  endpoint: Endpoint;
  /** Deadline of each url's exchange in ms (connect_timeout). */
  connectTimeoutMs: number;
  urls: HttpUrl[];
  /** Real/virtual server level `virtualhost` fallback. */
  virtualhost?: string;
  /** @default "1.0" */
  httpProtocol?: HttpProtocol;
  /** SSL_GET when true. */
  ssl?: boolean;
  /** Send SNI (`enable_sni`): sniName, else the virtualhost. */
  enableSni?: boolean;
  /** SNI name (`sni_name`). */
  sniName?: string;
  /** `tls_compliant`: send close_notify. Bun always sends it when closing, so this is accepted as is. */
  tlsCompliant?: boolean;
  /** SSL{} block. */
  sslFiles?: SslFiles;
  /** Header section limit in bytes. @default 16384 */
  maxHeaderBytes?: number;
  /** Body bytes kept for `regex`. @default 1048576 */
  maxRegexBytes?: number;
  /** delay_loop, ms: urls are fetched one per delay_loop (http-steps.ts). Absent: every url in each attempt. */
  delayLoopMs?: number;
  /** `fast_recovery`: no delay between urls while the checker has not run or is down. */
  fastRecovery?: boolean;
}

/** The request line and headers keepalived sends. */
export function buildRequest(path: string, protocol: HttpProtocol, host: string): string {
  const version = protocol === "1.1" ? "1.1" : "1.0";
  const close = protocol === "1.0" ? "" : "Connection: close\r\n";
  return `GET ${path} HTTP/${version}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

/** What an exchange reports to its caller as the response streams in. */
export interface HttpSink {
  /** The final head arrived; return a reason to stop with a failure. */
  onHead?(head: HttpHead): string | undefined;
  /** Body bytes as on the wire. */
  onBody(raw: Uint8Array): void;
  /** Every received byte (for genhash's dumps); optional. */
  onWire?(chunk: Uint8Array): void;
}

/** Parameters of one GET exchange. */
export interface HttpExchange {
  endpoint: Endpoint;
  timeoutMs: number;
  request: string;
  tls?: StreamTls;
  maxHeaderBytes?: number;
}

/** Sends one GET and streams the response into sink; resolves when the message is complete. */
export function httpExchange(x: HttpExchange, signal: AbortSignal, sink: HttpSink): Promise<CheckResult> {
  const parser = new HttpResponseParser(
    x.maxHeaderBytes === undefined ? {} : { maxHeaderBytes: x.maxHeaderBytes },
  );
  const phase = (): string => {
    if (!parser.response) {
      return parser.headBytes === 0 ? "http: waiting for the response" : "http: reading headers";
    }
    return `http: reading body (${parser.rawBodyBytes} bytes so far)`;
  };
  return runStream(x.endpoint, x.timeoutMs, signal, {
    onOpen: (io) => {
      io.send(x.request);
      return undefined;
    },
    onData: (chunk) => {
      sink.onWire?.(chunk);
      const r = parser.push(chunk);
      if (r.error !== undefined) return fail(`http: ${r.error}`);
      if (r.head && sink.onHead) {
        const why = sink.onHead(r.head);
        if (why !== undefined) return fail(why);
      }
      for (const piece of r.raw) sink.onBody(piece);
      return r.complete ? pass("http: response complete") : undefined;
    },
    onEnd: () => {
      const r = parser.end();
      return r.complete ? pass("http: response complete") : fail(`http: ${r.error}`);
    },
    phase,
  }, x.tls);
}

/** Reads the SSL{} files into StreamTls; returns a reason when one cannot be read. */
export async function loadTls(
  files: SslFiles | undefined,
  serverName: string | undefined,
): Promise<StreamTls | string> {
  const t: StreamTls = {};
  if (serverName !== undefined && !isIpLiteral(serverName)) t.serverName = serverName;
  const read = async (what: string, path: string | undefined): Promise<string | undefined> => {
    if (path === undefined) return undefined;
    try {
      return await Bun.file(path).text();
    } catch (e) {
      throw new Error(`tls: cannot read ${what} file ${path}: ${errorText(e)}`);
    }
  };
  try {
    const [ca, cert, key] = await Promise.all([
      read("ca", files?.ca),
      read("certificate", files?.certificate),
      read("key", files?.key),
    ]);
    if (ca !== undefined) t.ca = ca;
    if (cert !== undefined) t.cert = cert;
    if (key !== undefined) t.key = key;
    if (files?.password !== undefined) t.passphrase = files.password;
    return t;
  } catch (e) {
    return (e as Error).message;
  }
}

function isIpLiteral(s: string): boolean {
  return s.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(s);
}

/** Checks one url: status, digest, regex. */
async function checkUrl(
  o: HttpCheckOptions,
  url: HttpUrl,
  re: UrlRegex | undefined,
  signal: AbortSignal,
): Promise<CheckResult> {
  const vhost = url.virtualhost ?? o.virtualhost;
  const host = vhost ?? hostPort(o.endpoint.address, o.endpoint.port);
  let tls: StreamTls | undefined;
  if (o.ssl) {
    const sni = o.enableSni || o.sniName !== undefined ? (o.sniName ?? vhost) : undefined;
    const t = await loadTls(o.sslFiles, sni);
    if (typeof t === "string") return fail(t);
    tls = t;
  }
  const ranges = url.statusCodes ?? DEFAULT_STATUS;
  const md5 = new Bun.CryptoHasher("md5");
  const keep = re ? Math.max(0, o.maxRegexBytes ?? 1 << 20) : 0;
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  const x: HttpExchange = {
    endpoint: o.endpoint,
    timeoutMs: o.connectTimeoutMs,
    request: buildRequest(url.path, o.httpProtocol ?? "1.0", host),
  };
  if (tls) x.tls = tls;
  if (o.maxHeaderBytes !== undefined) x.maxHeaderBytes = o.maxHeaderBytes;
  const r = await httpExchange(x, signal, {
    onHead: (head) => statusAccepted(head.status, ranges) ? undefined : `http: status ${head.status} not in ${formatStatusRanges(ranges)}`,
    onBody: (raw) => {
      md5.update(raw);
      if (keptBytes < keep) {
        const piece = raw.slice(0, keep - keptBytes);
        kept.push(piece);
        keptBytes += piece.length;
      }
    },
  });
  if (!r.ok) return r;
  const got = md5.digest("hex");
  if (url.digest !== undefined && got !== url.digest.toLowerCase()) {
    return fail(`digest mismatch: got ${got} want ${url.digest.toLowerCase()}`);
  }
  if (re) {
    const why = regexVerdict(re, Buffer.concat(kept).toString("latin1"));
    if (why !== undefined) return fail(`http: ${why}`);
  }
  return pass(url.digest !== undefined ? `http: digest ${got} ok` : "http: status ok");
}

/** Builds the attempt for one url (index into opts.urls); deadline connectTimeoutMs. */
export function makeHttpUrlCheck(opts: HttpCheckOptions, index: number): RunCheck {
  const url = opts.urls[index];
  if (url === undefined) return () => Promise.resolve(fail(`http: no url #${index}`));
  const re = url.regex === undefined ? undefined : compileUrlRegex({ ...url, regex: url.regex });
  return async (signal) => {
    if (re && !re.ok) return fail(`http: ${re.reason}`);
    try {
      return await checkUrl(opts, url, re?.value, signal);
    } catch (e) {
      return fail(`http: internal error: ${errorText(e)}`);
    }
  };
}

/**
 * Builds an HTTP_GET/SSL_GET check: with `delayLoopMs`, one url per attempt paced as keepalived does
 * (http-steps.ts); without it (genhash, tests), every url in turn in one attempt, first failure wins.
 */
export function makeHttpCheck(opts: HttpCheckOptions): RunCheck {
  const perUrl = opts.urls.map((_, i) => makeHttpUrlCheck(opts, i));
  if (opts.delayLoopMs !== undefined) {
    return makeHttpStepper({ urls: opts.urls, delayLoopMs: opts.delayLoopMs, fastRecovery: opts.fastRecovery ?? false }, perUrl);
  }
  return async (signal) => {
    if (perUrl.length === 0) return fail("http: no url configured");
    let last: CheckResult = pass();
    for (const [i, run] of perUrl.entries()) {
      last = await run(signal);
      if (!last.ok) return { ...last, reason: `url ${opts.urls[i]?.path}: ${last.reason}` };
    }
    return last;
  };
}
