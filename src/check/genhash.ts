/**
 * genhash(1): fetch one page over HTTP or HTTPS and print the MD5 of its body, the value an
 * HTTP_GET/SSL_GET `digest` expects. Options and output follow Debian's keepalived 2.2.7
 * genhash: -s -p -u are required; -S SSL, -I SNI (from -V), -V virtual host, -P 1.0|1.0c|1.1,
 * -t timeout in seconds, -m fwmark, -v verbose (hex dumps of header, body and hash, then the
 * response time). -H md5 is accepted (MD5 is the only hash). The digest covers the body bytes
 * as received, exactly like the checker (src/check/checkers/http.ts).
 */
import { buildRequest, httpExchange, type HttpProtocol, loadTls } from "./checkers/http.ts";
import type { StreamTls } from "./checkers/stream.ts";
import { hostPort } from "./checkers/types.ts";

/** Parsed genhash options. */
export interface GenhashOptions {
  server: string;
  port: number;
  url: string;
  ssl: boolean;
  sni: boolean;
  virtualhost?: string;
  protocol: HttpProtocol;
  /** Seconds. @default 5 */
  timeoutSec: number;
  verbose: boolean;
  fwmark?: number;
}

const USAGE = `Usage: genhash COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --hash            -H       Use the specified hash algorithm (md5 only).
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
`;

const LONG: Record<string, string> = {
  "--use-ssl": "-S",
  "--use-sni": "-I",
  "--server": "-s",
  "--port": "-p",
  "--url": "-u",
  "--use-virtualhost": "-V",
  "--verbose": "-v",
  "--help": "-h",
  "--fwmark": "-m",
  "--protocol": "-P",
  "--timeout": "-t",
  "--hash": "-H",
};
const WITH_VALUE = new Set(["-s", "-p", "-u", "-V", "-m", "-P", "-t", "-H"]);

/** Parses argv (without the program name); returns options, "help", or an error text. */
export function parseGenhashArgs(argv: string[]): GenhashOptions | "help" | { error: string } {
  const v = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i] as string;
    let inline: string | undefined;
    if (a.startsWith("--") && a.includes("=")) {
      [a, inline] = [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)];
    }
    const opt = LONG[a] ?? a;
    if (WITH_VALUE.has(opt)) {
      const val = inline ?? argv[++i];
      if (val === undefined) return { error: `option ${a} needs a value` };
      v.set(opt, val);
    } else if (["-S", "-I", "-v", "-h"].includes(opt)) flags.add(opt);
    else return { error: `unknown option ${a}` };
  }
  if (flags.has("-h")) return "help";
  const server = v.get("-s");
  const port = Number(v.get("-p"));
  const url = v.get("-u");
  if (server === undefined || url === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { error: "server, port and url are required" };
  }
  const proto = (v.get("-P") ?? "1.0").toUpperCase();
  if (proto !== "1.0" && proto !== "1.0C" && proto !== "1.1") {
    return { error: `invalid HTTP protocol version '${v.get("-P")}'` };
  }
  const hash = v.get("-H") ?? "md5";
  if (hash.toLowerCase() !== "md5") return { error: `unsupported hash '${hash}'` };
  const timeoutSec = v.has("-t") ? Number(v.get("-t")) : 5;
  if (!(timeoutSec > 0)) return { error: `invalid timeout '${v.get("-t")}'` };
  const o: GenhashOptions = {
    server,
    port,
    url,
    ssl: flags.has("-S"),
    sni: flags.has("-I"),
    protocol: proto,
    timeoutSec,
    verbose: flags.has("-v"),
  };
  const vh = v.get("-V");
  if (vh !== undefined) o.virtualhost = vh;
  if (v.has("-m")) o.fwmark = Number(v.get("-m"));
  return o;
}

/** One hex dump line per 16 bytes: decimal offset, "xx " bytes split by "- ", then ASCII. */
export function hexDump(b: Uint8Array): string {
  let out = "";
  for (let off = 0; off < b.length; off += 16) {
    const row = b.subarray(off, off + 16);
    let hex = "";
    let ascii = "";
    for (let j = 0; j < 16; j++) {
      if (j === 8) hex += "- ";
      const c = row[j];
      hex += c === undefined ? "   " : `${c.toString(16).padStart(2, "0")} `;
      if (c !== undefined) ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
    }
    out += `${String(off).padStart(4, "0")}  ${hex}  ${ascii.padEnd(16)}\n`;
  }
  return out;
}

function banner(title: string): string {
  return `-----------------------[ ${title} ]-----------------------\n`;
}

/** Fetches the page; returns the digest and, for -v, the header and body bytes. */
export async function fetchDigest(
  o: GenhashOptions,
  keepBytes: boolean,
): Promise<{ ok: true; digest: string; head: Uint8Array; body: Uint8Array } | { ok: false; reason: string }> {
  let tls: StreamTls | undefined;
  if (o.ssl) {
    const t = await loadTls(undefined, o.sni ? o.virtualhost : undefined);
    if (typeof t === "string") return { ok: false, reason: t };
    tls = t;
  }
  const md5 = new Bun.CryptoHasher("md5");
  const wire: Uint8Array[] = [];
  const body: Uint8Array[] = [];
  const endpoint = {
    address: o.server,
    port: o.port,
    ...(o.fwmark === undefined ? {} : { fwmark: o.fwmark }),
  };
  const host = o.virtualhost ?? hostPort(o.server, o.port);
  const x = {
    endpoint,
    timeoutMs: o.timeoutSec * 1000,
    request: buildRequest(o.url, o.protocol, host),
    ...(tls ? { tls } : {}),
  };
  const r = await httpExchange(x, new AbortController().signal, {
    onBody: (raw) => {
      md5.update(raw);
      if (keepBytes) body.push(raw.slice());
    },
    onWire: (chunk) => {
      if (keepBytes) wire.push(chunk.slice());
    },
  });
  if (!r.ok) return { ok: false, reason: r.reason };
  const all = Buffer.concat(wire);
  const b = Buffer.concat(body);
  const headLen = keepBytes ? findHeadLength(all) : 0;
  return { ok: true, digest: md5.digest("hex"), head: all.subarray(0, headLen), body: b };
}

function findHeadLength(all: Uint8Array): number {
  const s = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const crlf = s.indexOf("\r\n\r\n");
  const lf = s.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : all.length;
}

/** Maps a failure reason to genhash's messages. */
function failureText(reason: string): string {
  if (reason.startsWith("connect:") && !reason.includes("timeout")) return "Connection failed";
  if (reason.startsWith("connect:")) return "Timeout connecting";
  if (reason.includes("timeout")) return "Timeout HTTP read";
  if (reason.includes("ECONNRESET")) return "Read error with server";
  return `HTTP error: ${reason}`;
}

/** genhash entry point; argv excludes the program name. Returns the exit status. */
export async function genhashMain(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const o = parseGenhashArgs(argv);
  if (o === "help") {
    err(USAGE);
    return 1;
  }
  if ("error" in o) {
    err(`${o.error}\n${USAGE}`);
    return 1;
  }
  const t0 = performance.now();
  const r = await fetchDigest(o, o.verbose);
  if (!r.ok) {
    out(`${failureText(r.reason)}\n`);
    if (o.verbose) out(`${r.reason}\n`);
    return 1;
  }
  if (!o.verbose) {
    out(`${r.digest}\n`);
    return 0;
  }
  out(banner("   HTTP Header Buffer   ") + hexDump(r.head));
  out(`${banner("HTTP Header Ascii Buffer")}${Buffer.from(r.head).toString("latin1")}\n`);
  out(`${banner("       HTML Buffer       ")}${hexDump(r.body)}\n`);
  out(banner("   HTML hash resulting   ") + hexDump(Buffer.from(r.digest, "hex")));
  out(`${banner("HTML hash final resulting")}${r.digest}\n\n`);
  out(`Global response time for [${o.url}] = ${Math.round((performance.now() - t0) * 1000)} usecs\n`);
  return 0;
}

if (import.meta.main) process.exit(await genhashMain(process.argv.slice(2)));
