/**
 * The compiled daemon's health checkers against real servers, in kcr- namespaces: a director
 * namespace runs `dist/keepalived -n -l -D -G` with several virtual servers (TCP_CHECK, HTTP_GET,
 * SSL_GET, SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK v4/v6, MISC_CHECK, FILE_CHECK) and a server
 * namespace runs nginx, OpenSMTPD, dnsmasq, socat and a misbehaving HTTP server. Checks: good
 * servers come UP, a stopped server goes DOWN (log + LVS FIFO line), quorum loss brings the sorry
 * server, a restarted server comes back UP, garbage/reset/stall/10 MiB bodies fail cleanly, the
 * missing IPVS is reported once, and the daemon keeps running throughout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";
import {
  makeCert,
  spawnIn,
  startBadHttp,
  startDnsmasq,
  type Started,
  startNginx,
  startSmtpd,
  startUdpEcho,
  tempDir,
  waitListening,
} from "../support/check/servers.ts";

const HTTP = 19080, HTTPS = 19443, SMTP = 19025, DNS = 19053, ECHO = 19054, BAD = 19081, TCP = 19100;
let dir = "";
let dns: Netns;
let sns: Netns;
let daemon: Subprocess | undefined;
let logText = "";
const servers: Started[] = [];
let tcpServer: Started | undefined;
let fifoFd = -1;
const fifoLines: string[] = [];

function config(d: string): string {
  return `
global_defs {
  router_id kcr_test
  lvs_notify_fifo ${d}/lvs.fifo
}
track_file kcr_tf {
  file ${d}/weight
  weight 2
}
virtual_server 203.0.113.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  quorum 1
  sorry_server 198.51.100.9 80
  real_server 192.0.2.2 ${TCP} {
    TCP_CHECK {
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
}
virtual_server 203.0.113.2 80 {
  protocol TCP
  lb_algo rr
  lb_kind DR
  delay_loop 1
  alpha
  real_server 192.0.2.2 ${HTTP} {
    HTTP_GET {
      url {
        path /index.html
        status_code 200
      }
      connect_timeout 2
      warmup 0
    }
  }
  real_server 192.0.2.2 ${HTTPS} {
    SSL_GET {
      url {
        path /index.html
      }
      connect_timeout 2
      warmup 0
    }
  }
  real_server 192.0.2.2 ${SMTP} {
    SMTP_CHECK {
      connect_timeout 2
      warmup 0
    }
  }
  real_server 192.0.2.2 7 {
    MISC_CHECK {
      misc_path "${d}/misc.sh ok"
      misc_timeout 2
      warmup 0
    }
  }
  real_server 192.0.2.2 9 {
    TCP_CHECK {
      connect_port ${HTTP}
      bind_if kd0
      fwmark 9
      connect_timeout 2
      warmup 0
    }
  }
  real_server 192.0.2.2 8 {
    weight 3
    FILE_CHECK {
      track_file kcr_tf
    }
  }
}
virtual_server 203.0.113.3 53 {
  protocol UDP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  alpha
  real_server 192.0.2.2 ${DNS} {
    DNS_CHECK {
      type A
      name www.kcr.example
      connect_timeout 2
      warmup 0
    }
  }
  real_server 192.0.2.2 9 {
    DNS_CHECK {
      connect_port ${DNS}
      bind_if kd0
      fwmark 3
      type A
      name www.kcr.example
      connect_timeout 2
      warmup 0
    }
  }
  real_server 192.0.2.2 ${ECHO} {
    UDP_CHECK {
      payload 6b6372
      require_reply 6b6372
      connect_timeout 2
      warmup 0
    }
  }
}
virtual_server 203.0.113.4 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  alpha
  real_server 192.0.2.2 1 {
    PING_CHECK {
      connect_timeout 1
      warmup 0
    }
  }
  real_server 192.0.2.3 1 {
    PING_CHECK {
      connect_timeout 1
      warmup 0
    }
  }
}
virtual_server 2001:db8:ff::4 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  alpha
  real_server 2001:db8:7::2 1 {
    PING_CHECK {
      connect_timeout 1
      warmup 0
    }
  }
}
virtual_server 203.0.113.5 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  quorum 1
  real_server 192.0.2.2 2 {
    HTTP_GET {
      connect_port ${BAD}
      url {
        path /garbage
      }
      connect_timeout 2
      retry 0
      warmup 0
    }
  }
  real_server 192.0.2.2 3 {
    HTTP_GET {
      connect_port ${BAD}
      url {
        path /reset
      }
      connect_timeout 2
      retry 0
      warmup 0
    }
  }
  real_server 192.0.2.2 4 {
    HTTP_GET {
      connect_port ${BAD}
      url {
        path /stall
      }
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
  real_server 192.0.2.2 6 {
    TCP_CHECK {
      connect_port ${HTTP}
      bind_if lo
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
  real_server 192.0.2.2 5 {
    HTTP_GET {
      connect_port ${BAD}
      url {
        path /big
        digest 00000000000000000000000000000000
      }
      connect_timeout 3
      retry 0
      warmup 0
    }
  }
}
`;
}

const pidOf = (f: string) => (existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function readFifo(): string[] {
  if (fifoFd < 0 && existsSync(join(dir, "lvs.fifo"))) {
    fifoFd = openSync(join(dir, "lvs.fifo"), constants.O_RDONLY | constants.O_NONBLOCK);
  }
  if (fifoFd < 0) return fifoLines;
  const b = Buffer.alloc(65536);
  for (;;) {
    let n = 0;
    try {
      n = readSync(fifoFd, b);
    } catch {
      break;
    }
    if (n <= 0) break;
    fifoLines.push(...b.subarray(0, n).toString().split("\n").filter((l) => l !== ""));
  }
  return fifoLines;
}

async function pump(stream: ReadableStream<Uint8Array>): Promise<void> {
  const dec = new TextDecoder();
  for await (const chunk of stream) logText += dec.decode(chunk);
}

const logHas = (s: string) => logText.includes(s);
const startTcp = async () => {
  tcpServer = spawnIn(sns.name, [
    "socat",
    `TCP-LISTEN:${TCP},bind=192.0.2.2,fork,reuseaddr`,
    "OPEN:/dev/null",
  ]);
  await waitListening(sns.name, "tcp", TCP);
};

beforeAll(async () => {
  const bin = await ensureBinary();
  dir = tempDir("kcr-daemon");
  const tag = `kcr-${process.pid % 100000}`;
  dns = new Netns(`${tag}-d`);
  sns = new Netns(`${tag}-s`);
  vethPair(dns, "kd0", sns, "ks0");
  dns.ip("addr", "add", "192.0.2.1/24", "dev", "kd0");
  sns.ip("addr", "add", "192.0.2.2/24", "dev", "ks0");
  dns.ip("addr", "add", "2001:db8:7::1/64", "dev", "kd0", "nodad");
  sns.ip("addr", "add", "2001:db8:7::2/64", "dev", "ks0", "nodad");
  const certs = await makeCert(dir, "kcr.example");
  servers.push(
    ...await Promise.all([
      startNginx(sns.name, dir, "192.0.2.2", HTTP, HTTPS, certs),
      startSmtpd(sns.name, dir, "192.0.2.2", SMTP),
      startDnsmasq(sns.name, dir, "192.0.2.2", DNS, "www.kcr.example", "192.0.2.80"),
      startUdpEcho(sns.name, "192.0.2.2", ECHO),
      startBadHttp(sns.name, "192.0.2.2", BAD),
    ]),
  );
  await startTcp();
  writeFileSync(join(dir, "www", "index.html"), "<html>kcr ok</html>\n");
  writeFileSync(join(dir, "weight"), "2\n");
  writeFileSync(join(dir, "misc.sh"), `#!/bin/sh\n[ -e ${dir}/misc-fail ] && exit 1\nexit 0\n`);
  chmodSync(join(dir, "misc.sh"), 0o755);
  writeFileSync(join(dir, "k.conf"), config(dir));
  daemon = dns.spawn([
    bin,
    "-n",
    "-l",
    "-D",
    "-G",
    "-f",
    join(dir, "k.conf"),
    "-p",
    join(dir, "k.pid"),
    "-r",
    join(dir, "v.pid"),
    "-c",
    join(dir, "c.pid"),
    "-b",
    join(dir, "b.pid"),
  ], { stderr: "pipe", stdout: "pipe" });
  void pump(daemon.stderr as ReadableStream<Uint8Array>);
  void pump(daemon.stdout as ReadableStream<Uint8Array>);
}, 120_000);

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill("SIGTERM");
    await Promise.race([daemon.exited, Bun.sleep(10_000)]);
  }
  if (fifoFd >= 0) closeSync(fifoFd);
  if (process.env.KCR_KEEP_LOG) writeFileSync(process.env.KCR_KEEP_LOG, logText);
  await tcpServer?.stop();
  for (const s of servers) await s.stop();
  await dns?.destroy();
  await sns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
  rmSync("/tmp/keepalived_check.data", { force: true }); // written by our USR1 below
});

const rs = (addr: string, port: number, vs: string) => `RS [${addr}]:${vs.includes(":udp:") ? "udp" : "tcp"}:${port} of VS ${vs}`;

describe("check child of the compiled daemon", () => {
  test("says once that IPVS is missing and keeps checking", async () => {
    await waitFor("no-IPVS line", () => logHas("no LVS table is being programmed"), 30_000);
    expect(logText.split("no LVS table is being programmed").length - 1).toBe(1);
  });

  test("good servers come UP: HTTP, SSL, SMTP, MISC, FILE, DNS, UDP, PING v4/v6", async () => {
    const vs2 = "[203.0.113.2]:tcp:80", vs3 = "[203.0.113.3]:udp:53", vs4 = "[203.0.113.4]:tcp:80";
    for (
      const line of [
        `${rs("192.0.2.2", HTTP, vs2)} is UP (HTTP_GET`,
        `${rs("192.0.2.2", HTTPS, vs2)} is UP (SSL_GET`,
        `${rs("192.0.2.2", SMTP, vs2)} is UP (SMTP_CHECK`,
        `${rs("192.0.2.2", 7, vs2)} is UP (MISC_CHECK`,
        `${rs("192.0.2.2", 9, vs2)} is UP (TCP_CHECK`, // bind_if kd0 + fwmark 9
        `${rs("192.0.2.2", 8, vs2)} starts UP`, // FILE_CHECK has no alpha
        `${rs("192.0.2.2", DNS, vs3)} is UP (DNS_CHECK`,
        `${rs("192.0.2.2", ECHO, vs3)} is UP (UDP_CHECK`,
        `${rs("192.0.2.2", 9, vs3)} is UP (DNS_CHECK`, // bind_if kd0 + fwmark 3
        `${rs("192.0.2.2", 1, vs4)} is UP (PING_CHECK`,
        `${rs("2001:db8:7::2", 1, "[2001:db8:ff::4]:tcp:80")} is UP (PING_CHECK`,
      ]
    ) {
      await waitFor(line, () => logHas(line), 30_000);
    }
    expect(logHas(`${rs("192.0.2.3", 1, vs4)} is UP`)).toBe(false); // nobody answers 192.0.2.3
    expect(readFifo()).toContain(`RS [192.0.2.2]:tcp:${HTTP} [203.0.113.2]:tcp:80 UP`);
  }, 60_000);

  test("misbehaving HTTP servers and a wrong bind_if fail cleanly with a named step", async () => {
    const vs5 = "[203.0.113.5]:tcp:80";
    for (const port of [2, 3, 4, 5]) {
      await waitFor(
        `RS ${port} down`,
        () => logHas(`${rs("192.0.2.2", port, vs5)} is DOWN (HTTP_GET`),
        30_000,
      );
    }
    const reason = (port: number) => logText.split(`${rs("192.0.2.2", port, vs5)} is DOWN (`)[1]?.split("\n")[0] ?? "";
    expect(reason(5)).toContain("digest");
    expect(reason(4)).toContain("timeout");
    await waitFor(
      "bind_if lo RS down",
      () => logHas(`${rs("192.0.2.2", 6, vs5)} is DOWN (TCP_CHECK`),
      30_000,
    );
    expect(reason(6)).toContain("connect: timeout");
    expect(logHas("Lost quorum 1-0=1 > 0 for VS [203.0.113.5]:tcp:80")).toBe(true);
  }, 60_000);

  test("a stopped server goes DOWN with the sorry server, and comes back UP", async () => {
    const vs1 = "[203.0.113.1]:tcp:80";
    await tcpServer?.stop();
    await waitFor("RS DOWN", () => logHas(`${rs("192.0.2.2", TCP, vs1)} is DOWN (TCP_CHECK`), 30_000);
    await waitFor(
      "sorry server",
      () => logHas(`Adding sorry server [198.51.100.9]:tcp:80 to VS ${vs1}`),
      10_000,
    );
    await waitFor(
      "FIFO DOWN lines",
      () => readFifo().includes(`RS [192.0.2.2]:tcp:${TCP} ${vs1} DOWN`) && fifoLines.includes(`VS ${vs1} DOWN`),
      10_000,
    );
    await startTcp();
    await waitFor("RS UP", () => logHas(`${rs("192.0.2.2", TCP, vs1)} is UP (TCP_CHECK`), 30_000);
    await waitFor(
      "sorry server removed",
      () => logHas(`Removing sorry server [198.51.100.9]:tcp:80 from VS ${vs1}`),
      10_000,
    );
    await waitFor(
      "FIFO UP lines",
      () => readFifo().includes(`RS [192.0.2.2]:tcp:${TCP} ${vs1} UP`) && fifoLines.includes(`VS ${vs1} UP`),
      10_000,
    );
  }, 90_000);

  test("MISC_CHECK failure, FILE_CHECK weight and the USR1 dump; the daemon is still running", async () => {
    const vs2 = "[203.0.113.2]:tcp:80";
    writeFileSync(join(dir, "misc-fail"), "");
    await waitFor("MISC DOWN", () => logHas(`${rs("192.0.2.2", 7, vs2)} is DOWN (MISC_CHECK`), 30_000);
    writeFileSync(join(dir, "weight"), "5\n");
    await waitFor("weight line", () => logHas(`${rs("192.0.2.2", 8, vs2)}: weight 7 -> 13`), 30_000);
    const check = pidOf(join(dir, "c.pid"));
    expect(alive(pidOf(join(dir, "k.pid"))) && alive(check)).toBe(true);
    process.kill(check, "SIGUSR1");
    await waitFor("dump", () =>
      existsSync("/tmp/keepalived_check.data") &&
      readFileSync("/tmp/keepalived_check.data", "utf8").includes("------< IPVS table (desired) >------"), 10_000);
    // keepalived 2.2.7's layout: the RS block after its VS, its weight with the file's delta (docs/dumps.md).
    const dump = readFileSync("/tmp/keepalived_check.data", "utf8");
    const vsBlock = dump.slice(dump.indexOf(" VS VIP = 203.0.113.2, VPORT = 80"));
    expect(vsBlock).toContain("RIP = 192.0.2.2, RPORT = 8, WEIGHT = 13 EFF WEIGHT = 13");
    const rsBlock = vsBlock.slice(vsBlock.indexOf("RPORT = 8, WEIGHT = 13"));
    expect(rsBlock.slice(0, rsBlock.indexOf("reloaded = 0"))).toContain("\n   alive = 1\n");
    expect(daemon?.exitCode).toBeNull();
  }, 60_000);

  test("SIGHUP reload: an added real server starts, unchanged ones keep their state", async () => {
    const check = pidOf(join(dir, "c.pid"));
    const before = logText.length;
    const added = config(dir).replace(
      "virtual_server 203.0.113.1 80 {",
      `virtual_server 203.0.113.1 80 {\n  real_server 192.0.2.2 ${HTTP} {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }`,
    );
    writeFileSync(join(dir, "k.conf"), added);
    process.kill(pidOf(join(dir, "k.pid")), "SIGHUP");
    await waitFor(
      "reload",
      () => logText.slice(before).includes("Reloaded configuration: 6 virtual server(s), 19 real server(s)"),
      30_000,
    );
    const after = logText.slice(before);
    expect(after).toContain(`${rs("192.0.2.2", HTTP, "[203.0.113.1]:tcp:80")} starts UP`);
    expect(after).not.toContain("restarting its checkers");
    expect(after).not.toContain(`${rs("192.0.2.2", HTTP, "[203.0.113.2]:tcp:80")} starts`); // kept, not re-created
    expect(pidOf(join(dir, "c.pid"))).toBe(check);
  }, 60_000);
});
