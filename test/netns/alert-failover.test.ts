/**
 * SMTP alerts, /metrics and the parent dump of the whole daemon (dist/keepalived) in two namespaces
 * (prefix kal-), VRRPv3 at 0.5 s. Node B mails through STARTTLS + AUTH to a real SMTP server that
 * requires both (smtp-server, in B); node A's mail server accepts connections and never answers, and
 * A's adverts keep flowing at the configured interval while its parent waits on it. A failing
 * vrrp_script on A hands MASTER to B: B mails "Entering MASTER state" with the right body, and both
 * parents' /metrics (strictly parsed) show the transition. USR1 writes the parent's data dump.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary, ROOT } from "../support/binary.ts";
import { collectOutput, type Netns, waitFor } from "../support/netns.ts";
import { VrrpLab } from "../support/vrrp-lab.ts";
import { parseExposition, valueOf } from "../support/metrics/prom-strict.ts";
import { parseMail, type Received } from "../support/alert/smtp-sink.ts";

const ADVERT_S = 0.5;
const VIP = "192.0.2.100";
let bin = "", dir = "";
let lab: VrrpLab | undefined, a: Netns, b: Netns;
let ourA: Subprocess, ourB: Subprocess, tarpit: Subprocess;
const logs: Record<string, string> = { a: "", b: "", tarpit: "" };

function collect(p: Subprocess, key: string): void {
  collectOutput(p, (t) => void (logs[key] += t));
}

const stateOf = (k: string) => [...logs[k]!.matchAll(/\(VI_1\) Entering (\w+) STATE/g)].at(-1)?.[1];
const mails = (): Received[] => {
  const f = join(dir, "mail.jsonl");
  return existsSync(f) ? readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Received) : [];
};
const scrape = (ns: Netns) => ns.exec(["curl", "-sf", "http://127.0.0.1:20090/metrics"]);

function conf(node: "a" | "b"): string {
  const mail = node === "a"
    ? `smtp_server 127.0.0.1 20026\n  smtp_connect_timeout 2`
    : `smtp_server 127.0.0.1 20025\n  smtp_starttls noverify\n  smtp_auth_user alice\n  smtp_auth_pass "pa ss"\n  smtp_helo_name kal-b.example.org`;
  return `global_defs {
  router_id kal_${node}
  vrrp_version 3
  notification_email {
    ops@example.org
    noc@example.org
  }
  notification_email_from ka-${node}@example.org
  ${mail}
  smtp_alert
  metrics_listen 127.0.0.1:20090
  state_dump_file ${dir}/${node}-state.data
}
vrrp_script chk {
  script "/bin/sh -c 'test ! -e ${dir}/fail-${node}'"
  interval 1
  fall 1
  rise 1
  weight -100
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 52
  priority ${node === "a" ? 150 : 100}
  advert_int ${ADVERT_S}
  track_script {
    chk
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

function startOurs(ns: Netns, node: "a" | "b"): Subprocess {
  writeFileSync(join(dir, `${node}.conf`), conf(node));
  const p = ns.spawn([
    bin,
    "-n",
    "-l",
    "-G",
    "-f",
    join(dir, `${node}.conf`),
    "-p",
    join(dir, `${node}.pid`),
    "-r",
    join(dir, `${node}v.pid`),
    "-c",
    join(dir, `${node}c.pid`),
    "-b",
    join(dir, `${node}b.pid`),
  ], { stderr: "pipe", stdout: "pipe" });
  collect(p, node);
  return p;
}

beforeAll(async () => {
  bin = await ensureBinary();
  lab = new VrrpLab("kal-");
  ({ a, b, dir } = lab);
  const sink = b.spawn([
    process.execPath,
    join(ROOT, "test/support/alert/sink-main.ts"),
    "20025",
    join(dir, "mail.jsonl"),
    "alice",
    "pa ss",
  ], { stdout: "pipe" });
  collect(sink, "sink");
  // A "dead" mail server for A: accepts the connection, never says a word.
  tarpit = a.spawn([
    process.execPath,
    "-e",
    `Bun.listen({ hostname: "127.0.0.1", port: 20026, socket: { open() { console.log("conn"); }, data() {} } }); console.log("listening");`,
  ], { stdout: "pipe" });
  collect(tarpit, "tarpit");
  await waitFor(
    "sinks listening",
    () => (logs.sink ?? "").includes("listening") && logs.tarpit!.includes("listening"),
  );
  ourA = startOurs(a, "a");
  await waitFor("A MASTER", () => stateOf("a") === "MASTER", 30_000);
  ourB = startOurs(b, "b");
  await waitFor("B BACKUP", () => stateOf("b") === "BACKUP", 30_000);
}, 90_000);

afterAll(async () => {
  for (const p of [ourA, ourB]) p?.kill("SIGTERM");
  await Promise.all([ourA?.exited, ourB?.exited]);
  await lab?.destroy();
});

describe("alerts and metrics of the whole daemon", () => {
  test("a dead mail server is logged once per burst and does not delay A's adverts", async () => {
    const cap = b.spawn(
      ["tcpdump", "-i", "veth0", "-n", "-tt", "-l", "-U", "ip proto 112 and src 192.0.2.1"],
      { stdout: "pipe", stderr: "ignore" },
    );
    collect(cap, "cap");
    // Two stalled attempts (2 s connect timeout each, 1 s backoff between) fall inside the capture.
    const conns0 = (logs.tarpit!.match(/conn/g) ?? []).length;
    await waitFor(
      "two more stalled SMTP attempts",
      () => (logs.tarpit!.match(/conn/g) ?? []).length >= conns0 + 2,
      30_000,
    );
    cap.kill("SIGTERM");
    await cap.exited;
    const times = [...logs.cap!.matchAll(/^(\d+\.\d+) IP/gm)].map((m) => Number(m[1]));
    expect(times.length).toBeGreaterThanOrEqual(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const span = times.at(-1)! - times[0]!;
    const mean = span / gaps.length;
    expect(mean).toBeGreaterThanOrEqual(ADVERT_S * 0.5);
    expect(mean).toBeLessThanOrEqual(ADVERT_S * 1.5);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(ADVERT_S * 1.5);
    expect(logs.a!.match(/SMTP alert: cannot send to 127\.0\.0\.1:20026/g)).toHaveLength(1);
    expect(stateOf("a")).toBe("MASTER");
  }, 60_000);

  test("failover: B mails 'Entering MASTER state' over STARTTLS + AUTH, and /metrics shows it", async () => {
    const before = parseExposition(scrape(a));
    expect(valueOf(before, "keepalived_vrrp_state", { instance: "VI_1", state: "MASTER" })).toBe(1);
    expect(valueOf(before, "keepalived_smtp_alert_failures_total")).toBeGreaterThanOrEqual(1);
    expect(valueOf(before, "keepalived_child_up", { role: "vrrp" })).toBe(1);
    const t0 = valueOf(before, "keepalived_vrrp_transitions_total", { instance: "VI_1" }) ?? 0;
    await waitFor(
      "B's BACKUP mail",
      () => mails().some((m) => m.raw.includes("Entering BACKUP state")),
      30_000,
    );

    writeFileSync(join(dir, "fail-a"), "");
    await waitFor("B MASTER", () => stateOf("b") === "MASTER", 30_000);
    await waitFor("A BACKUP", () => stateOf("a") === "BACKUP", 30_000);

    const m = await waitFor(
      "B's MASTER mail",
      () => mails().find((x) => parseMail(x.raw).headers.subject?.includes("MASTER")),
      30_000,
    );
    expect(m.secure).toBe(true);
    expect(m.user).toBe("alice");
    expect(m.helo).toBe("kal-b.example.org");
    expect(m.from).toBe("ka-b@example.org");
    expect(m.to).toEqual(["ops@example.org", "noc@example.org"]);
    const { headers, body } = parseMail(m.raw);
    expect(headers.subject).toBe("[kal_b] VRRP Instance VI_1 - Entering MASTER state");
    expect(headers.from).toBe("ka-b@example.org");
    expect(headers.to).toBe("ops@example.org, noc@example.org");
    expect(body).toMatch(/Router:\s+kal_b\n/);
    expect(body).toMatch(/VRRP instance:\s+VI_1\n/);
    expect(body).toMatch(/State:\s+BACKUP -> MASTER\n/);
    expect(body).toMatch(/Priority:\s+100 \(effective 100\)\n/);
    expect(body).toContain("now holds the virtual addresses");

    const afterA = await waitFor("A's metrics show BACKUP", () => {
      const f = parseExposition(scrape(a));
      return valueOf(f, "keepalived_vrrp_state", { instance: "VI_1", state: "BACKUP" }) === 1 ? f : undefined;
    });
    expect(valueOf(afterA, "keepalived_vrrp_transitions_total", { instance: "VI_1" })).toBeGreaterThan(t0);
    expect(valueOf(afterA, "keepalived_vrrp_effective_priority", { instance: "VI_1" })).toBe(50);
    const afterB = parseExposition(scrape(b));
    expect(valueOf(afterB, "keepalived_vrrp_state", { instance: "VI_1", state: "MASTER" })).toBe(1);
    expect(valueOf(afterB, "keepalived_smtp_alerts_sent_total")).toBeGreaterThanOrEqual(2);
  }, 90_000);

  test("USR1 writes the parent's data dump next to state_dump_file", async () => {
    ourA.kill("SIGUSR1");
    const path = join(dir, "a-state_parent.data");
    await waitFor("parent dump", () => existsSync(path) && readFileSync(path, "utf8").includes("Metrics ="));
    const text = readFileSync(path, "utf8");
    expect(text).toContain(`Config file = ${join(dir, "a.conf")}`);
    expect(text).toContain(`Parent pid = ${ourA.pid}`);
    const vpid = readFileSync(join(dir, "av.pid"), "utf8").trim();
    expect(text).toMatch(
      new RegExp(`VRRP child\\n\\s+Pid = ${vpid}\\n\\s+State = running\\n\\s+Restarts = 0`),
    );
    expect(text).toContain("SMTP server = 127.0.0.1:20026");
    expect(text).toContain("Metrics = http://127.0.0.1:20090/metrics");
  });
});
