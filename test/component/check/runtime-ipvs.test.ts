/**
 * The check runtime feeding the IPVS reconciler (src/check/ipvs/) over the fake kernel: the desired table
 * of src/check/table.ts is accepted as is, RS DOWN / quorum loss swap in the sorry server with minimal
 * operations, an unrelated service in the kernel is left alone, and stop removes only our services.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeIpvsKernel } from "../../../src/check/ipvs/fake-kernel.ts";
import { IpvsReconciler } from "../../../src/check/ipvs/reconciler.ts";
import { IpvsLvsSink } from "../../../src/check/ipvs/sink.ts";
import { CheckRuntime } from "../../../src/check/runtime.ts";
import { loadConfig, sliceFor } from "../../../src/config/index.ts";
import { nullLogger } from "../../../src/core/log.ts";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { Reactor } from "../../../src/ffi/reactor.ts";
import { tempDir } from "../../support/check/servers.ts";
import { SeededRandom } from "../../support/random.ts";

/** Config file names in this file's temp dir. */
const names = new SeededRandom(process.pid);

const dir = tempDir("kcr-ipvs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("runtime -> reconciler -> fake kernel", () => {
  const f = join(dir, "k.conf");
  writeFileSync(
    f,
    `
bfd_instance b1 {
  neighbor_ip 127.0.0.2
}
bfd_instance b2 {
  neighbor_ip 127.0.0.3
}
virtual_server 203.0.113.10 80 {
  protocol TCP
  lb_algo wrr
  lb_kind DR
  persistence_timeout 300
  quorum 2
  sorry_server 198.51.100.9 8080
  real_server 192.0.2.2 80 {
    weight 2
    BFD_CHECK {
      name b1
    }
  }
  real_server 192.0.2.3 80 {
    inhibit_on_failure
    BFD_CHECK {
      name b2
    }
  }
}
`,
  );
  const kernel = new FakeIpvsKernel();
  kernel.addService({
    af: 2,
    protocol: 6,
    addr: "203.0.113.99",
    port: 443,
    sched: "rr",
    flags: 0,
    timeout: 0,
    netmask: 0xffffffff,
  });
  const { sched, reactor, rt } = runtimeOver(kernel);
  rt.apply(sliceFor(loadConfig(f, { configId: "t" }).config, "check"), false);
  const key = { af: 2, protocol: 6, addr: "203.0.113.10", port: 80 };
  const dests = () => kernel.getDests(key).map((d) => `${d.addr}:${d.port}/${d.fwd}/${d.weight}`).sort();
  expect(kernel.getServices().find((s) => s.addr === "203.0.113.10")).toMatchObject({
    sched: "wrr",
    timeout: 300,
  });
  expect(dests()).toEqual(["192.0.2.2:80/route/2", "192.0.2.3:80/route/1"]);
  // b2 down: inhibited -> weight 0; live weight 2 keeps quorum 2
  rt.onEvent({ type: "bfdState", name: "b2", state: "Down", at: 0 });
  sched.advance(0);
  expect(dests()).toEqual(["192.0.2.2:80/route/2", "192.0.2.3:80/route/0"]);
  kernel.calls.length = 0;
  // b1 down too: quorum lost -> sorry server in, 192.0.2.2 out, 192.0.2.3 stays at 0
  rt.onEvent({ type: "bfdState", name: "b1", state: "Down", at: 0 });
  sched.advance(0);
  expect(dests()).toEqual(["192.0.2.3:80/route/0", "198.51.100.9:8080/route/1"]);
  expect(kernel.calls.length).toBe(2); // one add, one delete: nothing flushed or re-created
  // stop: our service goes, the unrelated one stays
  rt.stop();
  expect(kernel.getServices().map((s) => s.addr)).toEqual(["203.0.113.99"]);
  reactor.close();
});

/** A check runtime whose IPVS sink drives `kernel`, on a fake clock. */
function runtimeOver(kernel: FakeIpvsKernel, keepIpvsOnStop = false) {
  const sched = new FakeScheduler();
  const reactor = new Reactor();
  const rt = new CheckRuntime({
    log: nullLogger,
    sched,
    watcher: reactor,
    lvs: new IpvsLvsSink(new IpvsReconciler(kernel, nullLogger), nullLogger),
    keepIpvsOnStop,
  });
  return { sched, reactor, rt };
}

/** A check runtime over a fake kernel for `conf` (global_defs text plus one small service). */
function lvsRuntime(globals: string, kernel = new FakeIpvsKernel(), keepIpvsOnStop = false) {
  const f = join(dir, `g${names.token()}.conf`);
  writeFileSync(
    f,
    `global_defs {\n${globals}\n}\nvirtual_server 203.0.113.10 80 {\n  protocol TCP\n  real_server 192.0.2.2 80 {\n  }\n}\n`,
  );
  const { reactor, rt } = runtimeOver(kernel, keepIpvsOnStop);
  const apply = (reload = false) => rt.apply(sliceFor(loadConfig(f, { configId: "t" }).config, "check"), reload);
  const rewrite = (g: string) => writeFileSync(f, readFileSync(f, "utf8").replace(/global_defs \{\n[\s\S]*?\n\}/, `global_defs {\n${g}\n}`));
  return { rt, kernel, apply, rewrite, done: () => reactor.close() };
}

test("lvs_flush flushes once before the first sync; lvs_timeouts set at start and when changed", () => {
  const kernel = new FakeIpvsKernel();
  kernel.addService({ af: 2, protocol: 6, addr: "203.0.113.99", port: 443, sched: "rr", flags: 0, timeout: 0, netmask: 0xffffffff });
  kernel.calls.length = 0;
  const t = lvsRuntime("  lvs_flush\n  lvs_timeouts tcp 7200 udp 50", kernel);
  t.apply();
  expect(kernel.calls.slice(0, 2)).toEqual(["flush", "setTimeouts 7200 0 50"]);
  expect(kernel.getServices().map((s) => s.addr)).toEqual(["203.0.113.10"]);
  expect(kernel.getTimeouts()).toMatchObject({ tcp: 7200, udp: 50 });
  kernel.calls.length = 0;
  t.apply(true); // same settings: no flush, no --set
  expect(kernel.calls.filter((c) => /flush|setTimeouts/.test(c))).toEqual([]);
  t.rewrite("  lvs_flush\n  lvs_timeouts tcpfin 30");
  t.apply(true);
  expect(kernel.calls.filter((c) => /flush|setTimeouts/.test(c))).toEqual(["setTimeouts 0 30 0"]);
  t.rt.stop();
  t.done();
});

test("lvs_sync_daemon follows its VRRP instance: backup, master on MASTER, back, stopped on stop", () => {
  const t = lvsRuntime("  lvs_sync_daemon eth1 VI_1 id 7 port 8848 ttl 2");
  // The instance's state may arrive before the configuration (replayed by the parent after a restart).
  t.rt.onEvent({ type: "vrrpState", instance: "VI_2", state: "MASTER", priority: 100, effectivePriority: 100 });
  t.apply();
  expect(t.kernel.getSyncDaemons()).toEqual([
    { state: 2, mcastIfn: "eth1", syncId: 7, mcastPort: 8848, mcastTtl: 2 },
  ]);
  t.rt.onEvent({ type: "vrrpState", instance: "VI_1", state: "MASTER", priority: 100, effectivePriority: 100 });
  expect(t.kernel.getSyncDaemons().map((d) => d.state)).toEqual([1]);
  t.rt.onEvent({ type: "vrrpState", instance: "VI_1", state: "FAULT", priority: 100, effectivePriority: 100 });
  expect(t.kernel.getSyncDaemons().map((d) => d.state)).toEqual([2]);
  // reload with another sync id restarts the daemon with it; removing the keyword stops it
  t.rewrite("  lvs_sync_daemon eth1 VI_1 id 9");
  t.apply(true);
  expect(t.kernel.getSyncDaemons()).toEqual([{ state: 2, mcastIfn: "eth1", syncId: 9 }]);
  t.rewrite("  router_id x");
  t.apply(true);
  expect(t.kernel.getSyncDaemons()).toEqual([]);
  t.rewrite("  lvs_sync_daemon eth1 VI_2");
  t.apply(true);
  expect(t.kernel.getSyncDaemons().map((d) => d.state)).toEqual([1]); // VI_2 is MASTER already
  t.rt.stop();
  expect(t.kernel.getSyncDaemons()).toEqual([]);
  t.done();
});

test("lvs_flush_on_stop: all flushes even with -I; VS removes only ours even with -I", () => {
  for (
    const [opt, left] of [["lvs_flush_on_stop", []], ["lvs_flush_on_stop VS", ["203.0.113.99"]], ["router_id x", ["203.0.113.10", "203.0.113.99"]]] as const
  ) {
    const kernel = new FakeIpvsKernel();
    kernel.addService({ af: 2, protocol: 6, addr: "203.0.113.99", port: 443, sched: "rr", flags: 0, timeout: 0, netmask: 0xffffffff });
    const t = lvsRuntime(`  ${opt}`, kernel, true);
    t.apply();
    t.rt.stop();
    expect(kernel.getServices().map((s) => s.addr).sort()).toEqual([...left]);
    t.done();
  }
});
