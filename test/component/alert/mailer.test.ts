/**
 * src/alert/mailer.ts and alerter.ts: the queue sends in order, backs off across failures and logs a
 * failure once per burst; the alerter mails a state once (re-announcements are not re-mailed) and a
 * sync group when its first member changes; real SMTP through nodemailer to a real server, plain and
 * with required STARTTLS + AUTH (ports 20025-20029 on 127.0.0.1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MailQueue, type MailTransport, type OutgoingMail, smtpTransport } from "../../../src/alert/mailer.ts";
import { Alerter } from "../../../src/alert/alerter.ts";
import { waitFor } from "../../support/netns.ts";
import { loadText } from "../../support/config/helpers.ts";
import { captureLogger } from "../../support/alert/log-capture.ts";
import { parseMail, SmtpSink } from "../../support/alert/smtp-sink.ts";

class FakeTransport implements MailTransport {
  readonly target = "fake:25";
  readonly sent: OutgoingMail[] = [];
  failNext = 0;
  attempts = 0;
  closed = false;
  async send(m: OutgoingMail): Promise<void> {
    this.attempts++;
    await Bun.sleep(1);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("connection refused");
    }
    this.sent.push(m);
  }
  close(): void {
    this.closed = true;
  }
}

const mail = (subject: string): OutgoingMail => ({
  from: "k@example.org",
  to: ["ops@example.org"],
  subject,
  text: "x",
  date: new Date(),
});

describe("MailQueue", () => {
  test("a burst of failures is logged once, then one recovery line; order is kept", async () => {
    const t = new FakeTransport();
    const { log, lines } = captureLogger();
    const q = new MailQueue(t, log, { retryBaseMs: 2, retryMaxMs: 8 });
    t.failNext = 6;
    for (const s of ["a", "b", "c"]) q.enqueue(mail(s));
    await waitFor("all sent", () => t.sent.length === 3 && q.idle, 5000, 5);
    expect(t.sent.map((m) => m.subject)).toEqual(["a", "b", "c"]);
    expect(t.attempts).toBe(9);
    expect(lines.filter((l) => l.includes("cannot send to fake:25"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("flows again after 6 failed attempt(s)"))).toHaveLength(1);
    expect(q.stats).toEqual({ sent: 3, failedAttempts: 6, dropped: 0, queued: 0 });
    // A second burst is logged again.
    t.failNext = 1;
    q.enqueue(mail("d"));
    await waitFor("d sent", () => t.sent.length === 4, 5000, 5);
    expect(lines.filter((l) => l.includes("cannot send to fake:25"))).toHaveLength(2);
    q.close();
    expect(t.closed).toBe(true);
  });

  test("the oldest message is dropped beyond maxQueued, and counted", async () => {
    const t = new FakeTransport();
    const { log, lines } = captureLogger();
    const q = new MailQueue(t, log, { maxQueued: 2, retryBaseMs: 50 });
    t.failNext = 1;
    q.enqueue(mail("1"));
    await waitFor("first failure", () => t.attempts === 1, 5000, 1);
    q.enqueue(mail("2"));
    q.enqueue(mail("3"));
    expect(q.stats.dropped).toBe(1);
    await waitFor("sent", () => t.sent.length === 2, 5000, 5);
    expect(t.sent.map((m) => m.subject)).toEqual(["2", "3"]);
    expect(lines.some((l) => l.includes("1 message(s) dropped meanwhile"))).toBe(true);
    q.close();
  });
});

const CONF = `global_defs {
  router_id r1
  notification_email {
    ops@example.org
    noc@example.org
  }
  notification_email_from ka@example.org
  smtp_server 127.0.0.1 20025
  smtp_alert
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 1
  virtual_ipaddress {
    192.0.2.1/24
  }
}
vrrp_instance VI_2 {
  interface lo
  virtual_router_id 2
  virtual_ipaddress {
    192.0.2.2/24
  }
}
`;

describe("Alerter", () => {
  test("each state is mailed once; the group once per group change; server states once", async () => {
    const t = new FakeTransport();
    const { log } = captureLogger();
    const a = new Alerter(log, loadText(CONF).config, { transport: () => t });
    const st = (instance: string, state: "INIT" | "BACKUP" | "MASTER") =>
      a.onMessage({ type: "vrrpState", instance, state, priority: 100, effectivePriority: 100 });
    st("VI_1", "INIT");
    st("VI_1", "BACKUP");
    st("VI_2", "BACKUP");
    st("VI_1", "BACKUP");
    st("VI_1", "MASTER");
    st("VI_2", "MASTER");
    a.onMessage({
      type: "rsState",
      vs: "[192.0.2.10]:80",
      rs: "[198.51.100.5]:80",
      state: "DOWN",
      weight: 0,
    });
    a.onMessage({
      type: "rsState",
      vs: "[192.0.2.10]:80",
      rs: "[198.51.100.5]:80",
      state: "DOWN",
      weight: 0,
    });
    a.onMessage({ type: "vsState", vs: "[192.0.2.10]:80", state: "DOWN" });
    await waitFor("queue idle", () => a.queue?.idle && t.sent.length > 0, 5000, 5);
    expect(t.sent.map((m) => m.subject)).toEqual([
      "[r1] VRRP Instance VI_1 - Entering BACKUP state",
      "[r1] VRRP Group G - Entering BACKUP state",
      "[r1] VRRP Instance VI_2 - Entering BACKUP state",
      "[r1] VRRP Instance VI_1 - Entering MASTER state",
      "[r1] VRRP Group G - Entering MASTER state",
      "[r1] VRRP Instance VI_2 - Entering MASTER state",
      "[r1] Realserver [198.51.100.5]:80 of virtual server [192.0.2.10]:80 - DOWN",
      "[r1] Virtualserver [192.0.2.10]:80 - DOWN",
    ]);
    expect(t.sent[0]!.to).toEqual(["ops@example.org", "noc@example.org"]);
    expect(t.sent[0]!.from).toBe("ka@example.org");
    a.close();
  });

  test("a reload without smtp_server stops mail", () => {
    const t = new FakeTransport();
    const a = new Alerter(captureLogger().log, loadText(CONF).config, { transport: () => t });
    a.setConfig(loadText(`global_defs {\n smtp_alert\n}\n`).config);
    expect(a.queue).toBeUndefined();
    expect(t.closed).toBe(true);
    a.onMessage({
      type: "vrrpState",
      instance: "VI_1",
      state: "MASTER",
      priority: 100,
      effectivePriority: 100,
    });
    expect(a.stats.sent).toBe(0);
  });
});

describe("real SMTP through nodemailer", () => {
  let plain: SmtpSink, secure: SmtpSink;
  beforeAll(async () => {
    plain = await SmtpSink.start({ port: 20025 });
    secure = await SmtpSink.start({ port: 20026, auth: { user: "alice", pass: "s3cret pass" } });
  });
  afterAll(async () => {
    await plain?.stop();
    await secure?.stop();
  });

  const settings = {
    smtpServer: { host: "127.0.0.1", port: 20025 },
    smtpHeloName: "lb1.example.org",
    smtpConnectTimeoutMs: 5000,
    smtpStarttls: null,
    smtpAuth: null,
    notificationEmailFrom: "ka@example.org",
  } as const;

  test("plain SMTP: envelope, HELO name, headers and body arrive", async () => {
    const t = smtpTransport(settings);
    await t.send({
      from: "ka@example.org",
      to: ["ops@example.org", "noc@example.org"],
      subject: "[r1] VRRP Instance VI_1 - Entering MASTER state",
      text: "Router: r1\nState:  BACKUP -> MASTER\n",
      date: new Date(),
    });
    t.close();
    const r = plain.received.at(-1)!;
    expect(r.from).toBe("ka@example.org");
    expect(r.to).toEqual(["ops@example.org", "noc@example.org"]);
    expect(r.helo).toBe("lb1.example.org");
    expect(r.secure).toBe(false);
    const m = parseMail(r.raw);
    expect(m.headers.subject).toBe("[r1] VRRP Instance VI_1 - Entering MASTER state");
    expect(m.headers["x-mailer"]).toBe("keepalived-ts");
    expect(m.body).toContain("State:  BACKUP -> MASTER");
  });

  test("STARTTLS + AUTH against a server that requires them", async () => {
    const t = smtpTransport({
      ...settings,
      smtpServer: { host: "127.0.0.1", port: 20026 },
      smtpStarttls: "noverify",
      smtpAuth: { user: "alice", pass: "s3cret pass" },
    });
    await t.send(mail("over tls"));
    t.close();
    const r = secure.received.at(-1)!;
    expect(r.secure).toBe(true);
    expect(r.user).toBe("alice");
    expect(parseMail(r.raw).headers.subject).toBe("over tls");
  });

  test("the same server refuses plain SMTP, a wrong password, and an untrusted certificate under 'verify'", async () => {
    const before = secure.received.length;
    const plainT = smtpTransport({ ...settings, smtpServer: { host: "127.0.0.1", port: 20026 } });
    await expect(plainT.send(mail("no tls"))).rejects.toThrow();
    const wrong = smtpTransport({
      ...settings,
      smtpServer: { host: "127.0.0.1", port: 20026 },
      smtpStarttls: "noverify",
      smtpAuth: { user: "alice", pass: "nope" },
    });
    await expect(wrong.send(mail("bad pass"))).rejects.toThrow(/auth|credentials|535/i);
    const verify = smtpTransport({
      ...settings,
      smtpServer: { host: "127.0.0.1", port: 20026 },
      smtpStarttls: "verify",
      smtpAuth: { user: "alice", pass: "s3cret pass" },
    });
    await expect(verify.send(mail("untrusted"))).rejects.toThrow(/certificate|self.signed/i);
    await waitFor("wrong password seen", () => secure.authFailures.includes("alice"), 10_000);
    for (const t of [plainT, wrong, verify]) t.close();
    expect(secure.received.length).toBe(before);
  });

  test("a refused connection rejects with the reason; the target names host and port", async () => {
    const t = smtpTransport({
      ...settings,
      smtpServer: { host: "127.0.0.1", port: 20029 },
      smtpConnectTimeoutMs: 2000,
    });
    expect(t.target).toBe("127.0.0.1:20029");
    let err: Error | undefined;
    await t.send(mail("x")).catch((e: Error) => (err = e));
    expect(err?.message).toMatch(/ECONNREFUSED|connect/i);
    t.close();
  });
});
