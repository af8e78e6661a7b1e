/**
 * src/metrics/: exposition text passes a strict parser (escapes, one HELP/TYPE per family, duplicates
 * and type conflicts dropped); the reporter sends at start, periodically and soon after changes; the
 * store keeps a child's last snapshot while it restarts and derives VRRP/server/BFD states; the server
 * answers /metrics with the right content type (127.0.0.1:20100); new IPC messages are validated.
 */
import { describe, expect, test } from "bun:test";
import { counter, gauge, renderExposition } from "../../../src/metrics/exposition.ts";
import { MetricsReporter } from "../../../src/metrics/report.ts";
import { MetricsStore } from "../../../src/metrics/store.ts";
import { startMetricsServer } from "../../../src/metrics/server.ts";
import { vrrpSamples } from "../../../src/metrics/vrrp-samples.ts";
import { checkSamples } from "../../../src/metrics/check-samples.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { decode, envelope, type Message } from "../../../src/core/ipc.ts";
import { nullLogger } from "../../../src/core/log.ts";
import { parseExposition, valueOf } from "../../support/metrics/prom-strict.ts";

describe("exposition", () => {
  test("escapes, families, duplicates and type conflicts", () => {
    const text = renderExposition([
      [
        gauge("a_gauge", "help with \\ and\nnewline", { x: 'q"uo\\te\nnl', b: "1" }, 1.5),
        gauge("a_gauge", "ignored help", { b: "1", x: 'q"uo\\te\nnl' }, 99),
        counter("b_total", "count", {}, 3),
      ],
      [counter("a_gauge", "wrong type", {}, 1), gauge("c", "nan", {}, NaN), gauge("d", "inf", {}, -Infinity)],
    ]);
    const fams = parseExposition(text);
    expect(fams.map((f) => [f.name, f.type])).toEqual([["a_gauge", "gauge"], ["b_total", "counter"], [
      "c",
      "gauge",
    ], ["d", "gauge"]]);
    expect(fams[0]!.help).toBe("help with \\ and\nnewline");
    expect(fams[0]!.samples).toEqual([{
      name: "a_gauge",
      labels: { b: "1", x: 'q"uo\\te\nnl' },
      value: 1.5,
    }]);
    expect(valueOf(fams, "c")).toBeNaN();
    expect(valueOf(fams, "d")).toBe(-Infinity);
    expect(renderExposition([])).toBe("");
  });

  test("the strict parser rejects what it should", () => {
    const bad = [
      "x 1", // no newline
      "# TYPE x counter\nx -1\n",
      "x 1\ny 1\nx 2\n",
      'x{a="1",a="2"} 1\n',
      'x{a="\\t"} 1\n',
      "x 1\nx 1\n",
      "x  1\n",
      "1x 1\n",
      "# TYPE x gauge\n# TYPE x gauge\nx 1\n",
    ];
    for (const b of bad) expect(() => parseExposition(b)).toThrow();
  });

  test("VRRP and checker sample mappers produce valid families", () => {
    const stats = { advertSent: 7, advertRcvd: 3, authFailure: 2, becomeMaster: 1 };
    const v = vrrpSamples([{
      cfg: { name: "VI_1", priority: 150 },
      state: "MASTER",
      fsm: { priority: 140 },
      stats,
    }]);
    const c = checkSamples([{
      vs: "[192.0.2.10]:80",
      rs: "[198.51.100.5]:80",
      checker: "TCP_CHECK",
      lastLatencyMs: 12,
      checks: 10,
      failures: 1,
    }]);
    const fams = parseExposition(renderExposition([v, c]));
    expect(valueOf(fams, "keepalived_vrrp_state", { instance: "VI_1", state: "MASTER" })).toBe(1);
    expect(valueOf(fams, "keepalived_vrrp_state", { instance: "VI_1", state: "BACKUP" })).toBe(0);
    expect(valueOf(fams, "keepalived_vrrp_effective_priority", { instance: "VI_1" })).toBe(140);
    expect(valueOf(fams, "keepalived_vrrp_adverts_sent_total", { instance: "VI_1" })).toBe(7);
    expect(valueOf(fams, "keepalived_vrrp_receive_errors_total", { kind: "auth_failure" })).toBe(2);
    expect(valueOf(fams, "keepalived_vrrp_receive_errors_total", { kind: "ip_ttl" })).toBe(0);
    expect(valueOf(fams, "keepalived_check_latency_seconds", { checker: "TCP_CHECK" })).toBe(0.012);
    expect(valueOf(fams, "keepalived_check_failures_total", { real_server: "[198.51.100.5]:80" })).toBe(1);
  });
});

describe("MetricsReporter", () => {
  test("reports at start, every interval, soon after changes (coalesced), and not after stop", () => {
    const sched = new FakeScheduler();
    const sent: Message[] = [];
    let n = 0;
    const r = new MetricsReporter({
      role: "vrrp",
      send: (m) => sent.push(m),
      sched,
      intervalMs: 5000,
      debounceMs: 100,
      collect: () => [gauge("n", "n", {}, ++n)],
    });
    r.changed(); // before start: nothing
    expect(sent).toHaveLength(0);
    r.start();
    expect(sent).toHaveLength(1);
    sched.advance(4999);
    expect(sent).toHaveLength(1);
    sched.advance(1);
    expect(sent).toHaveLength(2);
    r.changed();
    r.changed();
    sched.advance(100);
    expect(sent).toHaveLength(3);
    sched.advance(4999); // the periodic timer restarted at the change report
    expect(sent).toHaveLength(3);
    sched.advance(1);
    expect(sent).toHaveLength(4);
    const last = sent.at(-1)!;
    expect(last.type === "metrics" && last.role === "vrrp" && last.samples[0]!.value === 4).toBe(true);
    expect(decode(JSON.parse(JSON.stringify(envelope(last))))).toEqual(last);
    r.stop();
    sched.advance(60_000);
    expect(sent).toHaveLength(4);
  });

  test("reportIf: quiet while nothing serves /metrics, reporting once a reload sets metrics_listen", () => {
    const sched = new FakeScheduler();
    const sent: Message[] = [];
    const r = new MetricsReporter({ role: "check", send: (m) => sent.push(m), sched, collect: () => [] });
    r.reportIf(false);
    r.changed();
    sched.advance(60_000);
    expect(sent).toHaveLength(0);
    r.reportIf(true);
    expect(sent).toHaveLength(1);
    sched.advance(5000);
    expect(sent).toHaveLength(2);
    r.reportIf(false);
    sched.advance(60_000);
    expect(sent).toHaveLength(2);
  });

  test("a collector that throws skips one report and keeps the schedule", () => {
    const sched = new FakeScheduler();
    const sent: Message[] = [];
    let boom = true;
    const r = new MetricsReporter({
      role: "check",
      send: (m) => sent.push(m),
      sched,
      collect: () => {
        if (boom) throw new Error("bug");
        return [];
      },
    });
    r.start();
    expect(sent).toHaveLength(0);
    boom = false;
    sched.advance(5000);
    expect(sent).toHaveLength(1);
  });
});

describe("MetricsStore", () => {
  test("keeps a child's snapshot while it is down; derives states and transitions", () => {
    const s = new MetricsStore(() => 1_700_000_000_000);
    s.onMessage("vrrp", {
      type: "metrics",
      role: "vrrp",
      samples: [counter("keepalived_vrrp_adverts_sent_total", "sent", { instance: "VI_1" }, 42)],
    });
    const st = (state: "BACKUP" | "MASTER") =>
      s.onMessage("vrrp", {
        type: "vrrpState",
        instance: "VI_1",
        state,
        priority: 100,
        effectivePriority: 90,
      });
    st("BACKUP");
    st("MASTER");
    st("MASTER");
    st("BACKUP");
    s.onMessage("check", {
      type: "rsState",
      vs: "[192.0.2.10]:80",
      rs: "[198.51.100.5]:80",
      state: "UP",
      weight: 3,
    });
    s.onMessage("check", {
      type: "rsState",
      vs: "[192.0.2.10]:80",
      rs: "[198.51.100.5]:80",
      state: "DOWN",
      weight: 0,
    });
    s.onMessage("check", { type: "vsState", vs: "[192.0.2.10]:80", state: "UP" });
    s.onMessage("bfd", { type: "bfdState", name: "b1", state: "Up", at: 1 });
    s.onMessage("bfd", { type: "bfdState", name: "b1", state: "Down", at: 2 });
    const fams = parseExposition(
      s.render([{ role: "vrrp", up: false, restarts: 2, droppedMessages: 3 }], {
        sent: 1,
        failedAttempts: 2,
        dropped: 0,
        queued: 1,
      }),
    );
    expect(valueOf(fams, "keepalived_vrrp_adverts_sent_total", { instance: "VI_1" })).toBe(42);
    expect(valueOf(fams, "keepalived_child_up", { role: "vrrp" })).toBe(0);
    expect(valueOf(fams, "keepalived_child_restarts_total", { role: "vrrp" })).toBe(2);
    expect(valueOf(fams, "keepalived_ipc_messages_dropped_total", { role: "vrrp" })).toBe(3);
    expect(valueOf(fams, "keepalived_child_last_report_timestamp_seconds", { role: "vrrp" })).toBe(
      1_700_000_000,
    );
    expect(valueOf(fams, "keepalived_vrrp_transitions_total", { instance: "VI_1" })).toBe(2);
    expect(valueOf(fams, "keepalived_vrrp_state", { instance: "VI_1", state: "BACKUP" })).toBe(1);
    expect(valueOf(fams, "keepalived_real_server_up", { real_server: "[198.51.100.5]:80" })).toBe(0);
    expect(valueOf(fams, "keepalived_real_server_weight", { real_server: "[198.51.100.5]:80" })).toBe(0);
    expect(valueOf(fams, "keepalived_real_server_transitions_total", {})).toBe(1);
    expect(valueOf(fams, "keepalived_virtual_server_up", {})).toBe(1);
    expect(valueOf(fams, "keepalived_bfd_session_state", { session: "b1", state: "Down" })).toBe(1);
    expect(valueOf(fams, "keepalived_bfd_detections_total", { session: "b1" })).toBe(1);
    expect(valueOf(fams, "keepalived_smtp_alert_failures_total")).toBe(2);
    expect(valueOf(fams, "keepalived_smtp_alerts_queued")).toBe(1);
  });

  test("a child's own sample wins over the parent's derived one", () => {
    const s = new MetricsStore();
    s.onMessage("vrrp", {
      type: "vrrpState",
      instance: "VI_1",
      state: "BACKUP",
      priority: 100,
      effectivePriority: 100,
    });
    s.onMessage("vrrp", {
      type: "metrics",
      role: "vrrp",
      samples: [gauge("keepalived_vrrp_effective_priority", "p", { instance: "VI_1" }, 77)],
    });
    const fams = parseExposition(s.render([], undefined));
    expect(valueOf(fams, "keepalived_vrrp_effective_priority", { instance: "VI_1" })).toBe(77);
    expect(fams.find((f) => f.name === "keepalived_vrrp_effective_priority")!.samples).toHaveLength(1);
  });
});

describe("IPC messages for alerts and metrics", () => {
  test("valid messages pass; bad states, names, labels and values are rejected", () => {
    const ok: Message[] = [
      { type: "rsState", vs: "[192.0.2.10]:80", rs: "[198.51.100.5]:80", state: "UP", weight: 1 },
      { type: "vsState", vs: "FWM 5", state: "DOWN" },
      { type: "metrics", role: "bfd", samples: [gauge("x", "h", { a: "b" }, 1)] },
    ];
    for (const m of ok) expect(decode(envelope(m))).toEqual(m);
    const bad: unknown[] = [
      { type: "rsState", vs: "v", rs: "r", state: "SIDEWAYS", weight: 1 },
      { type: "vsState", vs: "v" },
      { type: "metrics", role: "vrrp", samples: {} },
      {
        type: "metrics",
        role: "vrrp",
        samples: [{ name: "1bad", help: "", type: "gauge", labels: {}, value: 1 }],
      },
      {
        type: "metrics",
        role: "vrrp",
        samples: [{ name: "x", help: "", type: "histogram", labels: {}, value: 1 }],
      },
      {
        type: "metrics",
        role: "vrrp",
        samples: [{ name: "x", help: "", type: "gauge", labels: { __a: "1" }, value: 1 }],
      },
      {
        type: "metrics",
        role: "vrrp",
        samples: [{ name: "x", help: "", type: "gauge", labels: { a: 1 }, value: 1 }],
      },
      {
        type: "metrics",
        role: "vrrp",
        samples: [{ name: "x", help: "", type: "gauge", labels: {}, value: null }],
      },
      { type: "metrics", role: "parent", samples: [] },
    ];
    for (const m of bad) expect(() => decode({ v: 1, msg: m })).toThrow();
  });
});

describe("metrics server", () => {
  test("GET /metrics answers the exposition text; other paths and methods do not", async () => {
    let scrapes = 0;
    const srv = startMetricsServer({ host: "127.0.0.1", port: 20100 }, () => {
      scrapes++;
      return renderExposition([[gauge("up_now", "h", {}, 1)]]);
    }, nullLogger);
    try {
      const r = await fetch("http://127.0.0.1:20100/metrics");
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(valueOf(parseExposition(await r.text()), "up_now")).toBe(1);
      expect((await fetch("http://127.0.0.1:20100/")).status).toBe(404);
      expect((await fetch("http://127.0.0.1:20100/metrics", { method: "POST" })).status).toBe(405);
      expect(scrapes).toBe(1);
      // An HTTP/1.0 scraper that sends no Host header (busybox nc, old tools) is answered too.
      const raw = await new Promise<string>((resolve, reject) => {
        let got = "";
        Bun.connect({
          hostname: "127.0.0.1",
          port: 20100,
          socket: {
            open: (s) => void s.write("GET /metrics HTTP/1.0\r\n\r\n"),
            data: (_s, d) => void (got += d.toString()),
            close: () => resolve(got),
            error: (_s, e) => reject(e),
          },
        }).catch(reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.[01] 200/);
      expect(raw).toContain("up_now 1");
      expect(() => startMetricsServer({ host: "127.0.0.1", port: 20100 }, () => "", nullLogger)).toThrow(
        /metrics_listen 127.0.0.1:20100/,
      );
    } finally {
      srv.stop();
    }
  });
});
