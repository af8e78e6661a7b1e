/**
 * Runs inside the test VM (compiled to test/vm/work/guest-ipvs by compile.ts): drives src/check/ipvs
 * against the real kernel and prints "PASS name" / "FAIL name: why" lines; exits 1 if anything failed.
 * The shell tests in test/vm/tests/ call one subcommand each and then check the table with ipvsadm.
 *   guest-ipvs create | adopt | reload | errors | extras
 */
import { IP_VS_STATE, IP_VS_SVC_F, IP_VS_TUNNEL_TYPE } from "../../src/proto/ipvs.ts";
import { describeOp, diffIpvs, type IpvsEntry } from "../../src/check/ipvs/diff.ts";
import { type IpvsDest, IpvsError, type IpvsService } from "../../src/check/ipvs/kernel.ts";
import { NetlinkIpvsKernel } from "../../src/check/ipvs/netlink-kernel.ts";
import { IpvsReconciler, readIpvsTable } from "../../src/check/ipvs/reconciler.ts";

let failures = 0;
function check(name: string, ok: boolean, why = ""): void {
  if (!ok) failures++;
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
}

const svc = (s: Partial<IpvsService> & { sched: string }): IpvsService => ({
  af: 2,
  protocol: 6,
  flags: 0,
  timeout: 0,
  netmask: 0xffffffff,
  ...s,
});
const dest = (
  addr: string,
  port: number,
  fwd: IpvsDest["fwd"],
  weight: number,
  extra: Partial<IpvsDest> = {},
): IpvsDest => ({ addr, port, fwd, weight, uThresh: 0, lThresh: 0, ...extra });

/** NAT/rr, DR/wrr persistent, TUN/wlc (ipip and GUE), fwmark/sh, UDP/lc one-packet, IPv6 NAT. */
export const FULL_TABLE: IpvsEntry[] = [
  {
    service: svc({ addr: "192.0.2.10", port: 80, sched: "rr" }),
    dests: [dest("127.0.0.2", 8080, "masq", 3), dest("127.0.0.3", 8080, "masq", 1)],
  },
  {
    service: svc({
      addr: "192.0.2.11",
      port: 80,
      sched: "wrr",
      flags: IP_VS_SVC_F.PERSISTENT,
      timeout: 300,
      netmask: 0xffffff00,
    }),
    dests: [dest("192.0.2.101", 80, "route", 2), dest("192.0.2.102", 80, "route", 5)],
  },
  {
    service: svc({ addr: "192.0.2.12", port: 80, sched: "wlc" }),
    dests: [
      dest("198.51.100.5", 80, "tunnel", 1),
      dest("198.51.100.6", 80, "tunnel", 4, { tunType: IP_VS_TUNNEL_TYPE.GUE, tunPort: 6080 }),
    ],
  },
  { service: svc({ fwmark: 7, sched: "sh" }), dests: [dest("127.0.0.4", 0, "route", 1)] },
  {
    service: svc({ protocol: 17, addr: "192.0.2.13", port: 53, sched: "lc", flags: IP_VS_SVC_F.ONEPACKET }),
    dests: [dest("127.0.0.5", 53, "masq", 1)],
  },
  {
    service: svc({ af: 10, addr: "2001:db8::10", port: 80, sched: "rr", netmask: 128 }),
    dests: [dest("2001:db8::2", 8080, "masq", 1)],
  },
];

/** The table the adopt and reload tests start from (ipvsadm builds the same one in the shell test). */
export const SMALL_TABLE = (w: number): IpvsEntry[] => [
  {
    service: svc({ addr: "192.0.2.10", port: 80, sched: "rr" }),
    dests: [dest("127.0.0.2", 8080, "masq", w), dest("127.0.0.3", 8080, "masq", 1)],
  },
  { service: svc({ fwmark: 7, sched: "wrr" }), dests: [dest("127.0.0.4", 0, "route", 2)] },
];

function create(k: NetlinkIpvsKernel): void {
  const r = new IpvsReconciler(k);
  const res = r.sync(FULL_TABLE);
  check(
    "create: every operation accepted",
    res.failed.length === 0,
    res.failed.map((f) => f.error).join("; "),
  );
  check(
    "create: 6 services and 9 real servers added",
    res.applied.length === 15,
    `${res.applied.length} operations`,
  );
  const back = readIpvsTable(k);
  const again = diffIpvs(FULL_TABLE, back);
  check(
    "create: the table read back equals the one written",
    again.length === 0,
    again.map((o) => o.why).join("; "),
  );
  const gue = back.find((e) => e.service.addr === "192.0.2.12")?.dests.find((d) => d.addr === "198.51.100.6");
  check(
    "create: GUE tunnel type and port read back",
    gue?.tunType === IP_VS_TUNNEL_TYPE.GUE && gue.tunPort === 6080,
    JSON.stringify(gue),
  );
}

function adopt(k: NetlinkIpvsKernel): void {
  const r = new IpvsReconciler(k);
  const first = r.sync(SMALL_TABLE(3));
  check(
    "adopt: a table made by ipvsadm is adopted without writes",
    first.applied.length === 0 && first.failed.length === 0,
    [...first.applied.map(describeOp), ...first.failed.map((f) => f.error)].join("; "),
  );
  check("adopt: both services owned", r.owned.size === 2, [...r.owned].join(", "));
  const second = r.sync(SMALL_TABLE(7));
  const ops = second.applied.map(describeOp);
  check(
    "adopt: a weight change is exactly one editDest",
    ops.length === 1 && ops[0] === "editDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w7",
    ops.join("; "),
  );
}

function reload(k: NetlinkIpvsKernel): void {
  const r = new IpvsReconciler(k);
  r.sync(SMALL_TABLE(3));
  const next: IpvsEntry[] = [
    SMALL_TABLE(3)[0]!,
    {
      service: svc({ addr: "192.0.2.20", port: 25, sched: "lc" }),
      dests: [dest("127.0.0.6", 25, "masq", 1)],
    },
  ];
  const res = r.sync(next);
  const ops = res.applied.map(describeOp);
  const want = [
    "addService tcp 192.0.2.20:25 lc",
    "addDest tcp 192.0.2.20:25 127.0.0.6:25 masq w1",
    "delService fwmark 7 af2",
  ];
  check(
    "reload: only the changed services are written",
    JSON.stringify(ops) === JSON.stringify(want),
    ops.join("; "),
  );
  const down = r.update([
    { service: next[0]!.service, dests: [dest("127.0.0.3", 8080, "masq", 1)] },
    next[1]!,
  ]);
  check(
    "reload: a real server going down is one delDest",
    down.applied.map(describeOp).join() === "delDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w3",
    down.applied.map(describeOp).join("; "),
  );
}

function errno(f: () => void): number {
  try {
    f();
    return 0;
  } catch (e) {
    return e instanceof IpvsError ? e.errno : -1;
  }
}

function errors(k: NetlinkIpvsKernel): void {
  const s = svc({ addr: "192.0.2.30", port: 80, sched: "rr" });
  k.addService(s);
  check("errors: adding a service twice is EEXIST", errno(() => k.addService(s)) === 17);
  check(
    "errors: deleting a missing service is ESRCH",
    errno(() => k.delService(svc({ addr: "192.0.2.31", port: 80, sched: "rr" }))) === 3,
  );
  check(
    "errors: an unknown scheduler is ENOENT",
    errno(() => k.addService(svc({ addr: "192.0.2.32", port: 80, sched: "nosuch" }))) === 2,
  );
  check(
    "errors: editing a missing real server is ENOENT",
    errno(() => k.editDest(s, dest("127.0.0.9", 80, "masq", 1))) === 2,
  );
  k.addDest(s, dest("127.0.0.9", 80, "masq", 1));
  check(
    "errors: adding a real server twice is EEXIST",
    errno(() => k.addDest(s, dest("127.0.0.9", 80, "masq", 1))) === 17,
  );
  k.delService(s);
}

function extras(k: NetlinkIpvsKernel): void {
  k.setTimeouts({ tcp: 3600, tcpFin: 60, udp: 200 });
  const t = k.getTimeouts();
  check(
    "extras: timeouts set and read back",
    t.tcp === 3600 && t.tcpFin === 60 && t.udp === 200,
    JSON.stringify(t),
  );
  k.startSyncDaemon({ state: IP_VS_STATE.MASTER, mcastIfn: "lo", syncId: 5, mcastPort: 8850, mcastTtl: 3 });
  const d = k.getSyncDaemons();
  check(
    "extras: master sync daemon on lo with syncid 5, port 8850, ttl 3 (read back)",
    d.length === 1 && d[0]!.mcastIfn === "lo" && d[0]!.syncId === 5 && d[0]!.mcastPort === 8850 &&
      d[0]!.mcastTtl === 3,
    JSON.stringify(d),
  );
  k.addService(svc({ addr: "192.0.2.40", port: 80, sched: "rr" }));
  k.flush();
  check("extras: flush empties the table", k.getServices().length === 0);
}

const commands: Record<string, (k: NetlinkIpvsKernel) => void> = { create, adopt, reload, errors, extras };
const cmd = process.argv[2] ?? "";
const run = commands[cmd];
if (!run) {
  console.log(`FAIL usage: guest-ipvs ${Object.keys(commands).join(" | ")} (got "${cmd}")`);
  process.exit(2);
}
let kernel: NetlinkIpvsKernel | undefined;
try {
  kernel = NetlinkIpvsKernel.open({ modprobe: false });
  run(kernel);
} catch (e) {
  check(`${cmd}: no exception`, false, e instanceof Error ? e.stack ?? e.message : String(e));
} finally {
  kernel?.close();
}
process.exit(failures ? 1 : 0);
