/**
 * The D-Bus interface side by side (prefix ksn-db): a private dbus-daemon with keepalived's policy file;
 * keepalived 2.2.7 and then our daemon run the same configuration (a VRRPv2 sync group on veth0/veth1,
 * a VRRPv3 IPv6 instance tracking veth1) with enable_dbus. For each: the object tree, the introspected
 * members, the Name / State properties, the methods (ReloadConfig emits VrrpReloaded, SendGarp
 * answers), the VrrpStatusChange signals while veth1 goes down and up, and VrrpStopped must be the
 * same. PrintData is called on ours only (keepalived 2.2.7 would write the machine-wide
 * /tmp/keepalived.data; it does not know state_dump_file). Then a bus that is not there: a warning, and the daemon runs on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";
import { PrivateBus } from "../support/dbus.ts";

const SVC = "org.keepalived.Vrrp1";
const PATHS = ["/org/keepalived/Vrrp1/Instance/veth0/51/IPv4", "/org/keepalived/Vrrp1/Instance/veth1/52/IPv4", "/org/keepalived/Vrrp1/Instance/veth0/61/IPv6"];
let bin = "", dir = "";
let a: Netns, b: Netns, bus: PrivateBus;

function conf(kind: string): string {
  return `global_defs {
  router_id ksn_db
  enable_dbus
  state_dump_file ${dir}/${kind}.data
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/32
  }
}
vrrp_instance VI_2 {
  state MASTER
  interface veth1
  virtual_router_id 52
  priority 120
  advert_int 1
  virtual_ipaddress {
    192.0.2.102
  }
}
vrrp_instance VI_6 {
  state BACKUP
  version 3
  interface veth0
  virtual_router_id 61
  priority 100
  advert_int 0.5
  track_interface {
    veth1
  }
  virtual_ipaddress {
    fe80::61
    2001:db8::100
  }
}
`;
}

const state = (path: string) => bus.busctl("get-property", SVC, path, `${SVC}.Instance`, "State").out.trim();
const allStates = () => PATHS.map(state).join(",");
const introspect = (path: string) => bus.busctl("introspect", SVC, path).out.split("\n").filter(Boolean).map((l) => l.split(/\s+/).slice(0, 3).join(" "));

interface Run {
  tree: string;
  members: string[][];
  props: string[];
  faultStates: string;
  methods: string[];
  /** Signals up to the reload (keepalived 2.2.7 may re-announce a state while it reloads). */
  signals: string[];
  /** Signals from the reload on. */
  later: string[];
}

async function runDaemon(kind: "ka" | "ours"): Promise<Run> {
  const f = join(dir, `${kind}.conf`);
  writeFileSync(f, conf(kind));
  const pids = ["p", "r", "c", "b"].flatMap((o) => [`-${o}`, join(dir, `${kind}-${o}.pid`)]);
  const mon = bus.monitor("/org/keepalived/Vrrp1");
  await Bun.sleep(300);
  const p: Subprocess = a.spawn([...(kind === "ka" ? ["keepalived"] : [bin]), "-n", "-l", "-f", f, ...pids], {
    stdout: "pipe",
    stderr: "pipe",
    env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address },
  });
  let log = "";
  for (const s of [p.stdout, p.stderr]) {
    void (async () => {
      for await (const c of s as ReadableStream<Uint8Array>) log += new TextDecoder().decode(c);
    })();
  }
  try {
    const master = PATHS.map(() => '(us) 2 "Master"').join(",");
    await waitFor(`${kind}: all Master on D-Bus`, () => allStates() === master, 40_000, 300);
    const tree = bus.busctl("tree", SVC).out;
    const members = [`/org/keepalived/Vrrp1/Vrrp`, ...PATHS].map(introspect);
    const props = PATHS.map((x) => bus.busctl("get-property", SVC, x, `${SVC}.Instance`, "Name").out.trim());
    a.ip("link", "set", "veth1", "down");
    const fault = PATHS.map(() => '(us) 3 "Fault"').join(",");
    await waitFor(`${kind}: all Fault`, () => allStates() === fault, 30_000, 300);
    const faultStates = allStates();
    a.ip("link", "set", "veth1", "up");
    await waitFor(`${kind}: Master again`, () => allStates() === master, 40_000, 300);
    const call = (path: string, iface: string, m: string) => `${m}: ${bus.busctl("call", SVC, path, iface, m).ok ? "ok" : "failed"}`;
    const methods = [call(PATHS[0]!, `${SVC}.Instance`, "SendGarp")];
    await Bun.sleep(500);
    const before = mon.signals();
    methods.push(call("/org/keepalived/Vrrp1/Vrrp", `${SVC}.Vrrp`, "ReloadConfig"));
    if (kind === "ours") {
      // keepalived 2.2.7 has no state_dump_file: its PrintData writes the machine-wide /tmp/keepalived.data.
      methods.push(call("/org/keepalived/Vrrp1/Vrrp", `${SVC}.Vrrp`, "PrintData"));
      await waitFor("ours: PrintData wrote the state dump", () => existsSync(join(dir, `${kind}.data`)), 10_000, 200);
    }
    await waitFor(`${kind}: VrrpReloaded`, () => mon.signals().some((s) => s.includes("VrrpReloaded")), 20_000, 200);
    p.kill("SIGTERM");
    await p.exited;
    await waitFor(`${kind}: VrrpStopped`, () => mon.signals().some((s) => s.includes("VrrpStopped")), 5_000, 100).catch(() => undefined);
    await mon.stop();
    const signals = transitions(before);
    return { tree, members, props, faultStates, methods, signals, later: mon.signals().slice(before.length) };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- ${kind} log ---\n${log.slice(-3000)}`);
  } finally {
    if (p.exitCode === null) p.kill("SIGKILL");
  }
}

/**
 * Per object, its signals in order with repeats collapsed: keepalived 2.2.7 signals INIT (0) only when
 * its bus connection happens to beat an instance's start, and sometimes repeats VrrpStatusChange for
 * the state it is already in (a sync group re-setting it); the transitions themselves must agree.
 */
function transitions(signals: readonly string[]): string[] {
  const byPath = new Map<string, string[]>();
  for (const s of signals) {
    if (s.endsWith("VrrpStatusChange uint32 0")) continue;
    const [path, ...rest] = s.split(" ");
    const seq = byPath.get(path!) ?? [];
    const what = rest.join(" ");
    if (seq.at(-1) !== what || !what.startsWith("VrrpStatusChange")) seq.push(what);
    byPath.set(path!, seq);
  }
  return [...byPath].sort(([a], [b]) => a.localeCompare(b)).map(([p, seq]) => `${p}: ${seq.join(", ")}`);
}

let ka: Run, ours: Run;

beforeAll(async () => {
  bin = await ensureBinary();
  dir = mkdtempSync("/tmp/ksn-db-");
  a = new Netns("ksn-db-a");
  b = new Netns("ksn-db-b");
  vethPair(a, "veth0", b, "veth0");
  vethPair(a, "veth1", b, "veth1");
  a.ip("addr", "add", "10.9.0.1/24", "dev", "veth0");
  a.ip("addr", "add", "10.9.1.1/24", "dev", "veth1");
  bus = new PrivateBus(dir);
  await bus.start();
  ka = await runDaemon("ka");
  ours = await runDaemon("ours");
}, 240_000);

afterAll(async () => {
  await bus?.stop();
  await a?.destroy();
  await b?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("D-Bus beside keepalived 2.2.7", () => {
  test("the same objects, members and properties", () => {
    expect(ka.tree).toContain("/org/keepalived/Vrrp1/Vrrp");
    expect(ours.tree).toEqual(ka.tree);
    expect(ours.members).toEqual(ka.members);
    // keepalived 2.2.7 sends Name as a one-field struct "(s)", against its own introspection data ("s").
    expect(ka.props).toEqual(['(s) "VI_1"', '(s) "VI_2"', '(s) "VI_6"']);
    expect(ours.props).toEqual(['s "VI_1"', 's "VI_2"', 's "VI_6"']);
    expect(ours.faultStates).toEqual(ka.faultStates);
  });

  test("the methods answer and act", () => {
    expect(ka.methods).toEqual(["SendGarp: ok", "ReloadConfig: ok"]);
    expect(ours.methods).toEqual([...ka.methods, "PrintData: ok"]);
  });

  test("the same signals across a FAULT and back, a reload and the stop", () => {
    expect(
      ka.signals.filter((s) =>
        s.includes("VrrpStatusChange uint32 1, VrrpStatusChange uint32 2, VrrpStatusChange uint32 3, VrrpStatusChange uint32 1, VrrpStatusChange uint32 2")
      ).length,
    ).toBe(3);
    expect(ours.signals).toEqual(ka.signals);
    const tail = (r: Run) =>
      ["VrrpReloaded", "VrrpStopped", ...PATHS.map((p) => `${p} VrrpStatusChange uint32 98`)].map((x) => r.later.some((s) => s.includes(x)));
    expect(tail(ka)).toEqual(tail(ka).map(() => true));
    expect(tail(ours)).toEqual(tail(ka));
  });

  test("dbus_service_name: ours under another bus name, same objects; PrintStats, PrintStatsClear", async () => {
    const f = join(dir, "named.conf");
    writeFileSync(
      f,
      conf("named").replace("  enable_dbus\n", `  enable_dbus\n  dbus_service_name org.keepalived.Vrrp1.ksn\n  stats_dump_file ${dir}/named.stats\n`),
    );
    const pids = ["p", "r", "c", "b"].flatMap((o) => [`-${o}`, join(dir, `named-${o}.pid`)]);
    const p = a.spawn([bin, "-n", "-l", "-f", f, ...pids], { stdout: "ignore", stderr: "ignore", env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    try {
      const name = () => bus.busctl("get-property", `${SVC}.ksn`, PATHS[2]!, `${SVC}.Instance`, "Name").out.trim();
      await waitFor("VI_6 under org.keepalived.Vrrp1.ksn", () => name() === 's "VI_6"', 30_000, 300);
      expect(bus.busctl("tree", `${SVC}.ksn`).out).toEqual(ka.tree);
      expect(bus.busctl("status", SVC).ok).toBe(false);
      expect(bus.busctl("call", `${SVC}.ksn`, "/org/keepalived/Vrrp1/Vrrp", `${SVC}.Vrrp`, "PrintStats").ok).toBe(true);
      await waitFor("PrintStats wrote the stats dump", () => existsSync(join(dir, "named.stats")), 10_000, 200);
      rmSync(join(dir, "named.stats"));
      expect(bus.busctl("call", `${SVC}.ksn`, "/org/keepalived/Vrrp1/Vrrp", `${SVC}.Vrrp`, "PrintStatsClear").ok).toBe(true);
      await waitFor("PrintStatsClear wrote it again", () => existsSync(join(dir, "named.stats")), 10_000, 200);
    } finally {
      p.kill("SIGTERM");
      await p.exited;
    }
  }, 60_000);

  test("no bus: a warning, and VRRP runs", async () => {
    const f = join(dir, "nobus.conf");
    writeFileSync(f, conf("nobus"));
    const pids = ["p", "r", "c", "b"].flatMap((o) => [`-${o}`, join(dir, `nobus-${o}.pid`)]);
    const p = a.spawn([bin, "-n", "-l", "-f", f, ...pids], { stdout: "pipe", stderr: "pipe", env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${dir}/absent` } });
    let log = "";
    for (const s of [p.stdout, p.stderr]) {
      void (async () => {
        for await (const c of s as ReadableStream<Uint8Array>) log += new TextDecoder().decode(c);
      })();
    }
    try {
      await waitFor("a D-Bus warning", () => /D-Bus: .*running without D-Bus/.test(log), 20_000, 200);
      await waitFor("VI_1 MASTER without a bus", () => /\(VI_1\) Entering MASTER STATE/.test(log), 40_000, 200);
      expect(p.exitCode).toBeNull();
    } finally {
      p.kill("SIGTERM");
      await p.exited;
    }
  }, 90_000);
});
