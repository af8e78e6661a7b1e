/**
 * `keepalived ctl …` and `keepalivectl …` (docs/control.md): parses the command line into one request
 * (src/core/control-proto.ts), sends it to the daemon's control socket, prints the reply as a table
 * (or as JSON with --json) and exits with the reply's status: 0 done, 1 refused or failed, 2 usage,
 * 3 no daemon to talk to; `reload` exits with the status `keepalived -t` would give.
 */
import { connect, type Socket } from "node:net";
import { existsSync } from "node:fs";
import { CONTROL_VERSION, DEFAULT_HOLD_S, type Reply } from "../core/control-proto.ts";
import { CtlLocateError, ctlSocketPath, type CtlWhere, DEFAULT_CONFIG_FILE, type ReadNaming, readNaming } from "./ctl-locate.ts";
import { DEFAULT_PID_FILE, defaultControlPath } from "./socket-path.ts";
import { formatEvent, formatStatus } from "./format.ts";
import type { StatusResult } from "./status.ts";

/** Usage text of `keepalived ctl`. */
export const CTL_USAGE = `Usage: keepalived ctl [-s SOCKET | -p PIDFILE] [--json] COMMAND
  status                          every instance, server, session and child process
  watch                           transitions and check results as they happen (Ctrl-C stops)
  failover INSTANCE|GROUP [--hold SECONDS] [--force]
                                  the MASTER yields (priority 0) and stays BACKUP for the hold (${DEFAULT_HOLD_S} s)
  drain RS [--vs VS] [--persist]  take a real server (IP, IP:PORT, [IP]:PORT) out of IPVS
  undrain RS [--vs VS] [--persist]
  weight RS N|reset [--vs VS] [--persist]
  reload [--check]                validate (and with no --check, apply) the configuration file
  log-level debug|info
Options: -s/--socket PATH (default: where the daemon puts it, from its configuration file's control_socket,
  or from its pid file: ${defaultControlPath(DEFAULT_PID_FILE)}, moved by use_pid_dir, instance and net_namespace),
  -f/--use-file CONF (default ${DEFAULT_CONFIG_FILE}), -i/--config-id ID, --instance NAME, -p/--pid PIDFILE,
  --json, --timeout SECONDS (default 30)
`;

/** A command-line mistake: printed with the usage, exit status 2. */
export class Usage extends Error {}

/** A parsed `keepalived ctl` command line. */
export interface Parsed {
  socket: string;
  json: boolean;
  timeoutMs: number;
  request: Record<string, unknown>;
}

function take(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new Usage(`${flag} needs a value`);
  args.splice(i, 2);
  return v;
}

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

function int(v: string, what: string): number {
  if (!/^\d+$/.test(v)) throw new Usage(`${what} must be a whole number, got '${v}'`);
  return Number(v);
}

function locate(w: CtlWhere, read: ReadNaming): string {
  try {
    return ctlSocketPath(w, read);
  } catch (e) {
    if (e instanceof CtlLocateError) throw new Usage(e.message);
    throw e;
  }
}

/** Parses the arguments after `ctl` (exported for tests). Throws Usage. */
export function parseCtlArgs(argv: readonly string[], read: ReadNaming = readNaming): Parsed {
  const a = [...argv];
  const where: CtlWhere = {};
  const opt = (k: keyof CtlWhere, ...flags: string[]) => {
    for (const f of flags) {
      const v = take(a, f);
      if (v !== undefined) where[k] = v;
    }
  };
  opt("socket", "-s", "--socket");
  opt("pid", "-p", "--pid");
  opt("file", "-f", "--use-file");
  opt("configId", "-i", "--config-id");
  opt("instance", "--instance");
  const timeout = take(a, "--timeout");
  const json = flag(a, "--json");
  const rs = () => {
    const vs = take(a, "--vs");
    return { ...(vs !== undefined ? { vs } : {}), persist: flag(a, "--persist") };
  };
  const cmd = a.shift();
  let request: Record<string, unknown>;
  switch (cmd) {
    case "status":
    case "watch":
      request = { cmd };
      break;
    case "failover": {
      const hold = take(a, "--hold");
      request = { cmd, holdS: hold === undefined ? DEFAULT_HOLD_S : int(hold, "--hold"), force: flag(a, "--force"), target: a.shift() };
      break;
    }
    case "drain":
    case "undrain":
      request = { cmd, ...rs(), rs: a.shift() };
      break;
    case "weight": {
      const extra = rs();
      const name = a.shift();
      const w = a.shift();
      if (w === undefined) throw new Usage("weight needs RS and N (or reset)");
      request = { cmd, ...extra, rs: name, weight: w === "reset" ? null : int(w, "weight") };
      break;
    }
    case "reload":
      request = { cmd, check: flag(a, "--check") };
      break;
    case "log-level":
      request = { cmd: "logLevel", level: a.shift() };
      break;
    case undefined:
      throw new Usage("no command");
    default:
      throw new Usage(`unknown command '${cmd}'`);
  }
  for (const [k, v] of Object.entries(request)) if (v === undefined) throw new Usage(`${cmd}: missing ${k}`);
  if (a.length) throw new Usage(`unexpected argument '${a[0]}'`);
  return {
    socket: locate(where, read),
    json,
    timeoutMs: timeout === undefined ? 30_000 : int(timeout, "--timeout") * 1000,
    request: { v: CONTROL_VERSION, ...request },
  };
}

/** Prints a reply; returns the exit status. */
function show(p: Parsed, r: Reply): number {
  const code = r.exitCode ?? (r.ok ? 0 : 1);
  if (p.json) {
    process.stdout.write(JSON.stringify(r, null, 1) + "\n");
    return code;
  }
  const res = r.result as Record<string, unknown> | undefined;
  if (p.request.cmd === "status" && r.ok) process.stdout.write(formatStatus(r.result as StatusResult));
  else if (p.request.cmd === "reload" && res) {
    for (const d of (res.diagnostics as string[]) ?? []) process.stderr.write(`${d}\n`);
    const warned = ((res.diagnostics as string[]) ?? []).length ? " (with the diagnostics above)" : "";
    if (r.ok) {
      process.stdout.write(
        res.applied ? `reloaded${warned}: generation ${res.generation} running in every child\n` : `configuration checked${warned}; nothing changed\n`,
      );
    }
  } else if (r.ok && res && typeof res.message === "string") process.stdout.write(`${res.message}\n`);
  else if (r.ok && p.request.cmd === "logLevel" && res) process.stdout.write(`log level ${res.level} in ${(res.processes as string[]).join(", ")}\n`);
  else if (r.ok) process.stdout.write(`${JSON.stringify(res)}\n`);
  if (!r.ok) process.stderr.write(`keepalived ctl: ${r.error.code}: ${r.error.message}\n`);
  return code;
}

/**
 * Connects to the unix socket at `path`. A listener whose backlog is full refuses at once (Bun listens
 * with a backlog of 512), so a refusal is retried with a short random pause until `deadline`
 * (performance.now() ms); other errors are final.
 */
export function connectRetry(path: string, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ path });
      s.once("connect", () => {
        s.removeAllListeners("error");
        resolve(s);
      });
      s.once("error", (e: NodeJS.ErrnoException) => {
        s.destroy();
        const busy = e.code === "ECONNREFUSED" || e.code === "EAGAIN";
        if (busy && existsSync(path) && performance.now() < deadline) setTimeout(attempt, 5 + Math.random() * 20);
        else reject(e);
      });
    };
    attempt();
  });
}

/** Sends the request and handles reply lines; resolves with the exit status. */
async function exchange(p: Parsed): Promise<number> {
  let s: Socket;
  try {
    s = await connectRetry(p.socket, performance.now() + p.timeoutMs);
  } catch (e) {
    process.stderr.write(
      `keepalived ctl: cannot talk to ${p.socket}: ${
        (e as NodeJS.ErrnoException).code ?? (e as Error).message
      } (is keepalived running? see -s, -f, --instance, -p)\n`,
    );
    return 3;
  }
  return new Promise((resolve) => {
    let buf = "";
    let status: number | undefined;
    const finish = (code: number) => {
      if (status !== undefined) return;
      status = code;
      clearTimeout(timer);
      s.destroy();
      resolve(code);
    };
    const watching = p.request.cmd === "watch";
    const timer = setTimeout(() => {
      process.stderr.write(`keepalived ctl: no reply from ${p.socket} within ${p.timeoutMs / 1000} s\n`);
      finish(1);
    }, watching ? 2 ** 31 - 1 : p.timeoutMs);
    s.write(JSON.stringify(p.request) + "\n");
    s.on("error", (e: NodeJS.ErrnoException) => {
      process.stderr.write(`keepalived ctl: ${p.socket}: ${e.code ?? e.message}\n`);
      finish(1);
    });
    s.on("data", (b: Buffer) => {
      buf += b.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (watching && "event" in msg) process.stdout.write((p.json ? JSON.stringify(msg) : formatEvent(msg)) + "\n");
        else finish(show(p, msg as Reply));
      }
    });
    s.on("close", () => {
      if (status === undefined && !watching) process.stderr.write(`keepalived ctl: ${p.socket} closed the connection without a reply\n`);
      finish(watching ? 0 : 1);
    });
    if (watching) process.once("SIGINT", () => finish(0));
  });
}

/** Runs `keepalived ctl ARGS`; returns the exit status. */
export async function ctlMain(argv: readonly string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(CTL_USAGE);
    return 0;
  }
  let p: Parsed;
  try {
    p = parseCtlArgs(argv);
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    process.stderr.write(`keepalived ctl: ${e.message}\n${CTL_USAGE}`);
    return 2;
  }
  return exchange(p);
}
