/**
 * Real peers for the checker tests, each in a network namespace: nginx (HTTP and HTTPS),
 * OpenSMTPD, dnsmasq, a socat UDP echo and a tiny Bun server that misbehaves on purpose.
 * Every start function returns the pid it started and a stop() that kills only that pid.
 * Namespaces are named with the kck- prefix and use TEST-NET-1 (192.0.2.0/24) and 2001:db8::/32.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A started server. */
export interface Started {
  pid: number;
  stop(): Promise<void>;
}

/** Two namespaces joined by a veth pair: client 192.0.2.1 / 2001:db8:5::1, server .2 / ::2. */
export interface NetPair {
  client: string;
  server: string;
  clientIp: string;
  serverIp: string;
  serverIp6: string;
  destroy(): Promise<void>;
}

const BUN = process.execPath;

/** Runs a command, throwing with its stderr when it fails. */
export async function sh(cmd: string[]): Promise<string> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${err.trim()}`);
  return out;
}

/** Creates the namespace pair; tag keeps names unique per test file and run. */
export async function makeNetPair(tag: string): Promise<NetPair> {
  const id = `${tag}${process.pid % 10000}`;
  const client = `kck-${id}-c`;
  const server = `kck-${id}-s`;
  for (const ns of [client, server]) {
    await sh(["ip", "netns", "del", ns]).catch(() => undefined);
    await sh(["ip", "netns", "add", ns]);
    await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }
  await sh([
    "ip",
    "-n",
    client,
    "link",
    "add",
    "kc0",
    "type",
    "veth",
    "peer",
    "name",
    "ks0",
    "netns",
    server,
  ]);
  await sh(["ip", "-n", client, "addr", "add", "192.0.2.1/24", "dev", "kc0"]);
  await sh(["ip", "-n", server, "addr", "add", "192.0.2.2/24", "dev", "ks0"]);
  await sh(["ip", "-n", client, "addr", "add", "2001:db8:5::1/64", "dev", "kc0", "nodad"]);
  await sh(["ip", "-n", server, "addr", "add", "2001:db8:5::2/64", "dev", "ks0", "nodad"]);
  await sh(["ip", "-n", client, "link", "set", "kc0", "up"]);
  await sh(["ip", "-n", server, "link", "set", "ks0", "up"]);
  return {
    client,
    server,
    clientIp: "192.0.2.1",
    serverIp: "192.0.2.2",
    serverIp6: "2001:db8:5::2",
    async destroy() {
      for (const ns of [client, server]) await sh(["ip", "netns", "del", ns]).catch(() => undefined);
    },
  };
}

/** Spawns argv inside ns; stop() sends SIGTERM to that pid, then SIGKILL if it lingers. */
export function spawnIn(ns: string, argv: string[], logFile?: string): Started {
  const out = logFile ? Bun.file(logFile) : "ignore";
  const p = Bun.spawn(["ip", "netns", "exec", ns, ...argv], { stdin: "ignore", stdout: out, stderr: out });
  return {
    pid: p.pid,
    async stop() {
      // Bun sets exitCode/signalCode once it reaped the child: never signal a pid after that.
      const reaped = (): boolean => p.exitCode !== null || p.signalCode !== null;
      if (reaped()) return;
      signalPid(p.pid, "SIGTERM");
      for (let i = 0; i < 150 && !reaped() && alive(p.pid); i++) await Bun.sleep(20);
      if (!reaped() && alive(p.pid)) signalPid(p.pid, "SIGKILL");
      await p.exited;
    },
  };
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** True while pid exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Polls `ss` in ns until something listens on proto/port (tcp or udp). */
export async function waitListening(
  ns: string,
  proto: "tcp" | "udp",
  port: number,
  timeoutMs = 10000,
): Promise<void> {
  const flag = proto === "tcp" ? "-Hltn" : "-Hlun";
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const out = await sh(["ip", "netns", "exec", ns, "ss", flag, `sport = :${port}`]).catch(() => "");
    if (out.trim() !== "") return;
    await Bun.sleep(50);
  }
  throw new Error(`nothing listens on ${proto}/${port} in ${ns}`);
}

/** A private temporary directory readable by server workers. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(`/tmp/kck-${tag}-`);
  chmodSync(d, 0o755);
  return d;
}

/** Self-signed certificate for CN/SAN `name`; returns the file paths. */
export async function makeCert(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await sh([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    `subjectAltName=DNS:${name}`,
  ]);
  return { cert, key };
}

/** nginx serving dir/www over HTTP on httpPort and HTTPS on httpsPort; /status500 returns 500. */
export async function startNginx(
  ns: string,
  dir: string,
  ip: string,
  httpPort: number,
  httpsPort: number,
  tls: { cert: string; key: string },
): Promise<Started> {
  for (const d of ["www", "tmp"]) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  default_type text/html;
  server {
    listen ${ip}:${httpPort};
    root ${dir}/www;
    location = /status500 { return 500 "boom\\n"; }
  }
  server {
    listen ${ip}:${httpsPort} ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    root ${dir}/www;
  }
}
`,
  );
  const s = spawnIn(ns, ["nginx", "-p", dir, "-e", `${dir}/error.log`, "-c", conf], join(dir, "stdout.log"));
  await waitListening(ns, "tcp", httpPort);
  await waitListening(ns, "tcp", httpsPort);
  return s;
}

/** OpenSMTPD in the foreground on ip:port with a private config. */
export async function startSmtpd(ns: string, dir: string, ip: string, port: number): Promise<Started> {
  const conf = join(dir, "smtpd.conf");
  writeFileSync(
    conf,
    `listen on ${ip} port ${port}\naction "drop" mbox\nmatch from any for any action "drop"\n`,
  );
  chmodSync(conf, 0o644);
  const s = spawnIn(ns, ["smtpd", "-d", "-f", conf], join(dir, "smtpd.log"));
  await waitListening(ns, "tcp", port);
  return s;
}

/** dnsmasq answering A for `name` with `addr`, NXDOMAIN under nx.kck.example, nothing else. */
export async function startDnsmasq(
  ns: string,
  dir: string,
  ip: string,
  port: number,
  name: string,
  addr: string,
): Promise<Started> {
  const s = spawnIn(ns, [
    "dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--pid-file=",
    `--listen-address=${ip}`,
    "--bind-interfaces",
    `--port=${port}`,
    "--user=root",
    `--address=/${name}/${addr}`,
    "--address=/nx.kck.example/",
  ], join(dir, "dnsmasq.log"));
  await waitListening(ns, "udp", port);
  return s;
}

/** socat UDP echo on ip:port. */
export async function startUdpEcho(ns: string, ip: string, port: number): Promise<Started> {
  const s = spawnIn(ns, ["socat", `UDP4-RECVFROM:${port},bind=${ip},fork`, "PIPE"]);
  await waitListening(ns, "udp", port);
  return s;
}

/** The misbehaving HTTP server of bad-http-server.ts on ip:port. */
export async function startBadHttp(ns: string, ip: string, port: number): Promise<Started> {
  const s = spawnIn(ns, [BUN, join(import.meta.dir, "bad-http-server.ts"), ip, String(port)]);
  await waitListening(ns, "tcp", port);
  return s;
}

/** Runs one checker inside ns via run-check.ts and returns its result. */
export async function checkIn(
  ns: string,
  kind: string,
  opts: unknown,
): Promise<{ ok: boolean; reason: string; weight?: number }> {
  const out = await sh([
    "ip",
    "netns",
    "exec",
    ns,
    BUN,
    join(import.meta.dir, "run-check.ts"),
    kind,
    JSON.stringify(opts),
  ]);
  return JSON.parse(out.trim().split("\n").pop() as string);
}

/** Runs a command inside ns and returns stdout (exit status ignored). */
export async function outputIn(ns: string, argv: string[]): Promise<string> {
  const p = Bun.spawn(["ip", "netns", "exec", ns, ...argv], { stdout: "pipe", stderr: "pipe" });
  const [out] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  return out;
}
