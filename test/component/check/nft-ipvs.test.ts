/**
 * nftables_ipvs through the check runtime, over the fake IPVS kernel and an in-memory nf_tables
 * (test/support/vrrp/fake-nft.ts): the maps and the fwmark services appear together at start, a reload
 * removes and adds only the elements that changed and keeps the marks, a restarted child takes the
 * marks from the maps it finds and replaces the tables in one transaction, a failed transaction is
 * logged once and retried on a timer until it goes in (or with the next change), and stop deletes the tables.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeIpvsKernel } from "../../../src/check/ipvs/fake-kernel.ts";
import { IpvsReconciler } from "../../../src/check/ipvs/reconciler.ts";
import { IpvsLvsSink } from "../../../src/check/ipvs/sink.ts";
import { IpvsNft, RETRY_FIRST_MS, RETRY_MAX_MS } from "../../../src/check/nft-ipvs.ts";
import { CheckRuntime } from "../../../src/check/runtime.ts";
import { loadConfig, sliceFor } from "../../../src/config/index.ts";
import { Logger, nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { Reactor } from "../../../src/ffi/reactor.ts";
import { NFT_MSG } from "../../../src/proto/nftables.ts";
import { tempDir } from "../../support/check/servers.ts";
import { FakeNft } from "../../support/vrrp/fake-nft.ts";
import { SeededRandom } from "../../support/random.ts";

const dir = tempDir("nfi-nft");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const V4 = 2, V6 = 10;
const names = new SeededRandom(process.pid);

const conf = (globals: string, g4: string[], extra = "") =>
  `global_defs {\n  nftables_ipvs\n${globals}\n}
virtual_server_group g4 {\n${g4.map((l) => `  ${l}`).join("\n")}\n}
virtual_server_group g6 {\n  2001:db8::10 80\n}
virtual_server group g4 {\n  protocol TCP\n  lb_kind DR\n  real_server 192.0.2.2 80 {\n  }\n}
virtual_server group g6 {\n  protocol TCP\n  lb_kind NAT\n  real_server 2001:db8::2 8080 {\n  }\n}
${extra}`;

/** A check runtime over `nft` and an IPVS kernel, on a config file it can rewrite. */
function runtime(nft: FakeNft, kernel = new FakeIpvsKernel(), log: Logger = nullLogger) {
  const f = join(dir, `${names.token()}.conf`);
  const reactor = new Reactor();
  const sched = new FakeScheduler();
  const rt = new CheckRuntime({
    log,
    sched,
    watcher: reactor,
    lvs: new IpvsLvsSink(new IpvsReconciler(kernel, nullLogger), nullLogger),
    keepIpvsOnStop: false,
    nft: new IpvsNft(log, () => nft),
  });
  const apply = (text: string, reload = false) => {
    writeFileSync(f, text);
    rt.apply(sliceFor(loadConfig(f, { configId: "t" }).config, "check"), reload);
  };
  return { rt, kernel, apply, sched, done: () => reactor.close() };
}

/** "first-last port" of each element of `table`'s tcp_map, from the keys the fake kernel holds. */
function intervals(nft: FakeNft, family: number, table = "keepalived_ipvs"): string[] {
  return (nft.keys(family, table, "tcp_map") ?? []).map((h) => {
    const b = Buffer.from(h, "hex");
    const n = family === V4 ? 4 : 16;
    return `${family === V4 ? [...b.subarray(0, 4)].join(".") : b.subarray(0, n).toString("hex")}:${b.readUInt16BE(n)}`;
  });
}

const fwmarks = (k: FakeIpvsKernel) => k.getServices().map((s) => (s.fwmark ? `FWM ${s.fwmark}/${s.af}` : `${s.addr}:${s.port}`)).sort();

describe("nftables_ipvs in the check runtime", () => {
  test("start: tables, maps and fwmark services together; reload changes only the elements that changed; stop deletes", () => {
    const nft = new FakeNft();
    const t = runtime(nft);
    t.apply(conf("", ["192.0.2.20-22 80", "192.0.2.30 8080"]));
    expect(fwmarks(t.kernel)).toEqual(["FWM 1000/2", "FWM 1001/10"]);
    expect(t.kernel.getDests({ af: 2, fwmark: 1000 }).map((d) => `${d.addr}:${d.port}`)).toEqual(["192.0.2.2:0"]);
    expect(t.kernel.getDests({ af: 10, fwmark: 1001 }).map((d) => `${d.addr}:${d.port}`)).toEqual(["2001:db8::2:8080"]);
    expect(intervals(nft, V4)).toEqual(["192.0.2.20:80", "192.0.2.30:8080"]);
    expect(intervals(nft, V6)).toEqual(["20010db8000000000000000000000010:80"]);
    expect(nft.batches).toHaveLength(1); // one transaction for both families
    // Reload: .30 goes, .31 comes, a new group takes the next mark; g4 and g6 keep theirs.
    nft.batches.length = 0;
    const g7 = `virtual_server_group g7 {\n  192.0.2.60 80\n}\nvirtual_server group g7 {\n  protocol UDP\n  lb_kind DR\n  real_server 192.0.2.6 80 {\n  }\n}\n`;
    t.apply(conf("", ["192.0.2.20-22 80", "192.0.2.31 8080"], g7), true);
    expect(fwmarks(t.kernel)).toEqual(["FWM 1000/2", "FWM 1001/10", "FWM 1002/2"]);
    expect(intervals(nft, V4)).toEqual(["192.0.2.20:80", "192.0.2.31:8080"]);
    expect(nft.keys(V4, "keepalived_ipvs", "udp_map")).toHaveLength(1);
    expect(nft.batches).toEqual([[NFT_MSG.DELSETELEM, NFT_MSG.NEWSET, NFT_MSG.NEWRULE, NFT_MSG.NEWSETELEM, NFT_MSG.NEWSETELEM]]);
    t.rt.stop();
    expect(nft.tables.size).toBe(0);
    expect(t.kernel.getServices()).toEqual([]);
    t.done();
  });

  test("a restarted child keeps the marks it finds and replaces the tables in one transaction", () => {
    const nft = new FakeNft();
    const kernel = new FakeIpvsKernel();
    const a = runtime(nft, kernel);
    a.apply(conf("", ["192.0.2.20 80"]));
    expect(fwmarks(kernel)).toEqual(["FWM 1000/2", "FWM 1001/10"]);
    a.apply(conf("", ["192.0.2.19 80", "192.0.2.20 80"]), true);
    a.done(); // killed: nothing removed
    nft.batches.length = 0;
    // The same groups in the other order would take the other marks from scratch; the maps say otherwise.
    const b = runtime(nft, kernel);
    const swapped = conf("", ["192.0.2.20 80"]).replace(/virtual_server group g4 \{[\s\S]*?\n\}\n(virtual_server group g6 \{[\s\S]*?\n\}\n)/, "$1") +
      `virtual_server group g4 {\n  protocol TCP\n  lb_kind DR\n  real_server 192.0.2.2 80 {\n  }\n}\n`;
    b.apply(swapped.replace("  192.0.2.20 80\n", "  192.0.2.19 80\n  192.0.2.20 80\n"));
    expect(b.rt.fwmarks).toEqual(new Map([["g6|TCP", 1001], ["g4|TCP", 1000]]));
    expect(fwmarks(kernel)).toEqual(["FWM 1000/2", "FWM 1001/10"]);
    expect(nft.batches).toHaveLength(1);
    expect(nft.batches[0]!.slice(0, 4)).toEqual([NFT_MSG.NEWTABLE, NFT_MSG.DELTABLE, NFT_MSG.NEWTABLE, NFT_MSG.DELTABLE]);
    // Rebuilt in the order the kernel listed them (.19 joined on reload, after .20), then what is new.
    const order = [...nft.tables.get(`${V4}/keepalived_ipvs`)!.sets.get("tcp_map")!].map((h) => h.slice(0, 8));
    expect(order).toEqual(["c0000214", "c0000213"]);
    b.rt.stop();
    expect(nft.tables.size).toBe(0);
    b.done();
  });

  test("counters, a table name and priority change: the tables are replaced; a failed transaction is logged and retried", () => {
    const nft = new FakeNft();
    const lines: string[] = [];
    const log = new Logger({ ident: "t", console: false, syslog: true, facility: 3, detail: false, syslogSend: (l) => void lines.push(l) });
    const t = runtime(nft, new FakeIpvsKernel(), log);
    t.apply(conf("", ["192.0.2.20 80"]));
    nft.failNext = 1;
    t.apply(conf("  nftables_ipvs_priority -50\n  nftables_counters", ["192.0.2.20 80", "192.0.2.21 80"]), true);
    expect(lines.some((l) => l.includes("nftables: cannot"))).toBe(true);
    expect(intervals(nft, V4)).toEqual(["192.0.2.20:80"]);
    t.apply(
      conf("  nftables_ipvs_priority -50\n  nftables_counters", ["192.0.2.20 80", "192.0.2.21 80"]).replace("nftables_ipvs\n", "nftables_ipvs other\n"),
      true,
    );
    expect(nft.tables.has(`${V4}/keepalived_ipvs`)).toBe(false);
    expect(intervals(nft, V4, "other")).toEqual(["192.0.2.20:80", "192.0.2.21:80"]);
    t.rt.stop();
    expect(nft.tables.size).toBe(0);
    t.done();
  });

  test("a failed transaction is retried on a timer with a growing delay, logged once, until the tables converge", () => {
    const nft = new FakeNft();
    const lines: string[] = [];
    const log = new Logger({ ident: "t", console: false, syslog: true, facility: 3, detail: false, syslogSend: (l) => void lines.push(l) });
    const t = runtime(nft, new FakeIpvsKernel(), log);
    nft.failNext = 1;
    t.apply(conf("", ["192.0.2.20 80"]));
    expect(nft.tables.size).toBe(0);
    expect(lines.filter((l) => l.includes("nftables: cannot"))).toHaveLength(1);
    expect(t.rt.dumpText()).toContain("nftables_ipvs: 1 failed transaction(s), 0 retries, retry pending");
    nft.failNext = 1; // the first retry fails too: not logged again, the next one comes later
    t.sched.advance(RETRY_FIRST_MS);
    expect(nft.tables.size).toBe(0);
    t.sched.advance(RETRY_FIRST_MS);
    expect(nft.tables.size).toBe(0);
    t.sched.advance(RETRY_FIRST_MS);
    expect(intervals(nft, V4)).toEqual(["192.0.2.20:80"]);
    expect(intervals(nft, V6)).toEqual(["20010db8000000000000000000000010:80"]);
    expect(lines.filter((l) => l.includes("nftables: cannot"))).toHaveLength(1);
    expect(lines.some((l) => l.includes("in place after 2 failed attempt(s)"))).toBe(true);
    expect(t.rt.dumpText()).toContain("nftables_ipvs: 2 failed transaction(s), 2 retries\n");
    // Converged: nothing more is sent; a new failure episode is logged again.
    nft.batches.length = 0;
    t.sched.advance(RETRY_MAX_MS * 2);
    expect(nft.batches).toHaveLength(0);
    nft.failNext = 1;
    t.apply(conf("", ["192.0.2.20 80", "192.0.2.21 80"]), true);
    expect(lines.filter((l) => l.includes("nftables: cannot"))).toHaveLength(2);
    t.sched.advance(RETRY_FIRST_MS);
    expect(intervals(nft, V4)).toEqual(["192.0.2.20:80", "192.0.2.21:80"]);
    t.rt.stop();
    expect(nft.tables.size).toBe(0);
    t.done();
  });

  test("thousands of entries go in several transactions; one failing halfway makes the next change rebuild the tables", () => {
    const many = Array.from({ length: 3000 }, (_, i) => `10.1.${i >> 8}.${i & 255} 80`);
    const nft = new FakeNft();
    const t = runtime(nft);
    t.apply(conf("", many));
    expect(nft.batches.length).toBeGreaterThan(1);
    expect(nft.keys(V4, "keepalived_ipvs", "tcp_map")).toHaveLength(3000);
    t.rt.stop();
    t.done();
    const nft2 = new FakeNft();
    const lines: string[] = [];
    const log = new Logger({ ident: "t", console: false, syslog: true, facility: 3, detail: false, syslogSend: (l) => void lines.push(l) });
    const u = runtime(nft2, new FakeIpvsKernel(), log);
    nft2.failNext = 1, nft2.failAfter = 1;
    u.apply(conf("", many));
    expect(lines.filter((l) => l.includes("nftables: cannot"))).toHaveLength(1);
    const partly = nft2.keys(V4, "keepalived_ipvs", "tcp_map")!.length;
    expect(partly).toBeGreaterThan(0);
    expect(partly).toBeLessThan(3000);
    nft2.batches.length = 0;
    u.apply(conf("", many), true);
    expect(nft2.batches[0]!.slice(0, 4)).toEqual([NFT_MSG.NEWTABLE, NFT_MSG.DELTABLE, NFT_MSG.NEWTABLE, NFT_MSG.DELTABLE]);
    expect(nft2.batches.flat().filter((c) => c === NFT_MSG.NEWRULE)).toHaveLength(2); // one rule per map, not a second
    expect(nft2.keys(V4, "keepalived_ipvs", "tcp_map")).toHaveLength(3000);
    u.rt.stop();
    expect(nft2.tables.size).toBe(0);
    u.done();
  });

  test("without nftables_ipvs no netfilter socket is opened and each group entry is its own service", () => {
    let opened = 0;
    const reactor = new Reactor();
    const kernel = new FakeIpvsKernel();
    const rt = new CheckRuntime({
      log: nullLogger,
      sched: new FakeScheduler(),
      watcher: reactor,
      lvs: new IpvsLvsSink(new IpvsReconciler(kernel, nullLogger), nullLogger),
      keepIpvsOnStop: false,
      nft: new IpvsNft(nullLogger, () => (opened++, new FakeNft())),
    });
    const f = join(dir, "plain.conf");
    writeFileSync(f, conf("", ["192.0.2.20-21 80"]).replace("  nftables_ipvs\n", ""));
    rt.apply(sliceFor(loadConfig(f, { configId: "t" }).config, "check"), false);
    expect(fwmarks(kernel)).toEqual(["192.0.2.20:80", "192.0.2.21:80", "2001:db8::10:80"]);
    rt.stop();
    expect(opened).toBe(0);
    reactor.close();
  });
});
