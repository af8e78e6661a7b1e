/**
 * metrics_compat in the daemon (prefix kmc-): ours as BACKUP beside a keepalived 2.2.7 MASTER, then
 * MASTER when keepalived stops. /metrics (strictly parsed) speaks mehdy/keepalived-exporter's and
 * gen2brain/keepalived_exporter's names with values that agree with the live state (addresses on the
 * interface, keepalived's log), the received-advert counter agrees with a capture of the master's
 * adverts, and process_* metrics are there per role.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, sh, waitFor } from "../support/netns.ts";
import { KEEPALIVED, type LabDaemon, VrrpLab } from "../support/vrrp-lab.ts";
import { type ParsedFamily, parseExposition, valueOf } from "../support/metrics/prom-strict.ts";

const lab = new VrrpLab("kmc-");
const { a, b, dir } = lab;
afterAll(() => lab.destroy());

const conf = (prio: number, extra: string) =>
  `global_defs {\n  router_id R${prio}\n${extra}}\n` +
  `vrrp_script chk {\n  script "/bin/true"\n  interval 1\n}\n` +
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 61\n  priority ${prio}\n  advert_int 1\n` +
  `  track_script {\n    chk\n  }\n  virtual_ipaddress {\n    192.0.2.100/24\n    192.0.2.101 dev veth0\n  }\n` +
  `  virtual_ipaddress_excluded {\n    198.51.100.9/32\n  }\n}\n`;

const daemons = new Map<string, LabDaemon>();
const log = (name: string) => daemons.get(name)?.log() ?? "";

describe("metrics_compat mehdy gen2brain", () => {
  test("names, labels, types and values follow a failover; counters agree with a capture", async () => {
    const bin = await ensureBinary();
    const run = (n: Netns, exe: string, name: string, text: string) => {
      const d = lab.daemon(n, exe, name, text, { args: ["-D"] });
      daemons.set(name, d);
      return d.proc;
    };
    const ka = run(b, KEEPALIVED, "ka", conf(200, ""));
    await waitFor("keepalived MASTER", () => log("ka").includes("Entering MASTER STATE"), 30_000);
    const ours = run(a, bin, "ours", conf(100, "  metrics_listen 127.0.0.1:18790\n  metrics_compat mehdy\n  metrics_compat gen2brain\n"));
    const scrape = (): ParsedFamily[] => parseExposition(a.exec(["curl", "-sf", "http://127.0.0.1:18790/metrics"]));
    const mehdyL = { iname: "VI_1", intf: "veth0", vrid: "61" };
    await waitFor("ours BACKUP on /metrics", () => {
      try {
        return valueOf(scrape(), "keepalived_vrrp_state", { ...mehdyL, ip_address: "192.0.2.100/24" }) === 1;
      } catch {
        return false;
      }
    }, 30_000);

    let f = scrape();
    expect(valueOf(f, "keepalived_up")).toBe(1);
    expect(valueOf(f, "keepalived_vrrp_state", { ...mehdyL, ip_address: "192.0.2.101" })).toBe(1);
    expect(valueOf(f, "keepalived_vrrp_excluded_state", { ...mehdyL, ip_address: "198.51.100.9" })).toBe(1);
    // mehdy's keepalived_vrrp_state replaces our per-state series of the same name.
    expect(f.find((x) => x.name === "keepalived_vrrp_state")!.samples.every((s) => s.labels.iname !== undefined)).toBe(true);
    expect(valueOf(f, "keepalived_script_status", { name: "chk" })).toBe(1);
    expect(valueOf(f, "keepalived_gratuitous_arp_delay_total", mehdyL)).toBe(5);
    await waitFor(
      "adverts received counted",
      () => (valueOf(scrape(), "keepalived_vrrp_advert_rcvd", { name: "VI_1", intf: "veth0", vrid: "61", state: "BACKUP" }) ?? 0) > 0,
      15_000,
    );
    for (const role of ["parent", "vrrp"]) {
      expect(valueOf(f, "process_resident_memory_bytes", { role })).toBeGreaterThan(1 << 20);
      expect(valueOf(f, "process_open_fds", { role })).toBeGreaterThan(2);
    }
    expect(valueOf(f, "process_cpu_seconds_total", { role: "vrrp" })).toBeGreaterThanOrEqual(0);
    expect(a.ip("-4", "addr", "show", "dev", "veth0")).not.toContain("192.0.2.100/24");

    // The received-advert counter against a capture of keepalived's adverts (one a second). The child
    // reports every few seconds; keepalived_child_last_report_timestamp_seconds says when each value was
    // true, so the capture is counted between two reports.
    const pcap = join(dir, "adverts.pcap");
    const cap = a.spawn(["tcpdump", "-i", "veth0", "-U", "-w", pcap, "src host 192.0.2.2 and ip proto 112"]);
    await waitFor("capture running", () => {
      try {
        return readFileSync(pcap).length > 0;
      } catch {
        return false;
      }
    }, 10_000);
    const report = () => {
      const x = scrape();
      return {
        at: valueOf(x, "keepalived_child_last_report_timestamp_seconds", { role: "vrrp" })!,
        n: valueOf(x, "keepalived_advertisements_received_total", mehdyL)!,
      };
    };
    const first = report();
    const r0 = await waitFor(
      "a report after the capture started",
      () => {
        const r = report();
        return r.at > first.at ? r : undefined;
      },
      15_000,
      100,
    );
    const r1 = await waitFor(
      "a report 5 s later",
      () => {
        const r = report();
        return r.at > r0.at + 5 ? r : undefined;
      },
      20_000,
      100,
    );
    await Bun.sleep(300);
    cap.kill("SIGINT");
    await cap.exited;
    const stamps = sh(["tcpdump", "-r", pcap, "-nn", "-tt"], { allowFail: true }).split("\n")
      .filter((l) => l.includes("VRRP")).map((l) => Number(l.split(" ")[0]));
    const captured = stamps.filter((t) => t > r0.at && t <= r1.at).length;
    expect(r1.n - r0.n).toBeGreaterThanOrEqual(4);
    expect(Math.abs(captured - (r1.n - r0.n))).toBeLessThanOrEqual(1);

    // keepalived stops (priority 0): ours becomes MASTER, and every family follows.
    ka.kill("SIGTERM");
    await ka.exited;
    await waitFor("ours MASTER with the VIPs", () => a.ip("-4", "addr", "show", "dev", "veth0").includes("192.0.2.100/24"), 20_000);
    await waitFor("MASTER on /metrics", () => valueOf(scrape(), "keepalived_vrrp_state", { ...mehdyL, ip_address: "192.0.2.100/24" }) === 2, 20_000);
    f = scrape();
    expect(valueOf(f, "keepalived_become_master_total", mehdyL)).toBe(1);
    expect(valueOf(f, "keepalived_priority_zero_received_total", mehdyL)).toBeGreaterThanOrEqual(1);
    const g = { name: "VI_1", intf: "veth0", vrid: "61", state: "MASTER" };
    expect(valueOf(f, "keepalived_vrrp_become_master", g)).toBe(1);
    expect(valueOf(f, "keepalived_vrrp_pri_zero_rcvd", g)).toBeGreaterThanOrEqual(1);
    await waitFor("adverts sent counted", () => (valueOf(scrape(), "keepalived_vrrp_advert_sent", g) ?? 0) >= 2, 10_000);
    expect(f.find((x) => x.name === "keepalived_vrrp_advert_sent")!.type).toBe("counter");
    expect(f.find((x) => x.name === "keepalived_up")!.type).toBe("gauge");
    ours.kill("SIGTERM");
    await ours.exited;
  }, 120_000);
});
