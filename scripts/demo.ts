/**
 * `npm run demo` (as root): builds dist/keepalived, makes a two-router lab in network namespaces
 * (kdemo-a, kdemo-b joined by a veth pair on 192.0.2.0/24), runs our keepalived in both with an embedded
 * VRRPv3 config, shows the virtual IP on the master, SIGKILLs the master's whole process tree, and shows
 * the backup taking over with the measured time. Stops the surviving router, then cleans up everything
 * it made.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBinary } from "../test/support/binary.ts";
import { Netns, vethPair, waitFor } from "../test/support/netns.ts";

const VIP = "192.0.2.100";
const conf = (prio: number) =>
  `global_defs {
  router_id demo_${prio}
  vrrp_version 3
}
vrrp_instance VI_DEMO {
  state BACKUP
  interface veth0
  virtual_router_id 42
  priority ${prio}
  advert_int 0.1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

if (process.getuid?.() !== 0) {
  console.error("demo: run as root (it creates network namespaces and raw sockets)");
  process.exit(1);
}
console.log("building dist/keepalived …");
const bin = await ensureBinary();
const dir = mkdtempSync("/tmp/kdemo-");
const a = new Netns("kdemo-a"), b = new Netns("kdemo-b");
const hasVip = (ns: Netns) => ns.ip("-4", "addr", "show", "dev", "veth0").includes(`${VIP}/24`);
let status = 0;
let pb: ReturnType<Netns["spawn"]> | undefined;
try {
  vethPair(a, "veth0", b, "veth0");
  a.ip("addr", "add", "192.0.2.1/24", "dev", "veth0");
  b.ip("addr", "add", "192.0.2.2/24", "dev", "veth0");
  writeFileSync(join(dir, "a.conf"), conf(150));
  writeFileSync(join(dir, "b.conf"), conf(100));
  const args = (
    n: string,
  ) => [
    "-n",
    "-l",
    "-G",
    "-f",
    join(dir, `${n}.conf`),
    "-p",
    join(dir, `${n}.pid`),
    "-r",
    join(dir, `${n}-vrrp.pid`),
    "-c",
    join(dir, `${n}-check.pid`),
    "-b",
    join(dir, `${n}-bfd.pid`),
  ];
  const pa = a.spawn([bin, ...args("a")], { stderr: "inherit" });
  await waitFor("router A to become master", () => hasVip(a), 15_000);
  pb = b.spawn([bin, ...args("b")], { stderr: "inherit" });
  await Bun.sleep(1000);
  console.log(`\n== router A (priority 150) is MASTER:\n${a.ip("-4", "-br", "addr", "show", "dev", "veth0")}`);
  console.log(`== router B (priority 100) is BACKUP:\n${b.ip("-4", "-br", "addr", "show", "dev", "veth0")}`);
  const vrrpPid = Number(await Bun.file(join(dir, "a-vrrp.pid")).text());
  console.log(`== SIGKILL router A (parent ${pa.pid}, VRRP child ${vrrpPid}) …`);
  const t0 = performance.now();
  // The VRRP child first: killing the parent first would let the child see its parent die (PDEATHSIG)
  // and leave gracefully with a priority-0 advert, which is not the failure this demo shows.
  process.kill(vrrpPid, "SIGKILL");
  pa.kill("SIGKILL");
  await waitFor("router B to take over", () => hasVip(b), 10_000, 2);
  const ms = performance.now() - t0;
  console.log(
    `== router B took over in ${ms.toFixed(0)} ms (Master_Down_Interval for priority 100 at 0.1 s: ${(3 * 100 + (256 - 100) * 100 / 256).toFixed(0)} ms):`,
  );
  console.log(b.ip("-4", "-br", "addr", "show", "dev", "veth0"));
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
  status = 1;
} finally {
  // Stop router B (TERM: it leaves as keepalived does) before its namespace goes, so nothing of ours is
  // still running, and logging, while the lab is torn down.
  if (pb && pb.exitCode === null) {
    pb.kill("SIGTERM");
    await Promise.race([pb.exited, Bun.sleep(5000)]);
  }
  await a.destroy();
  await b.destroy();
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
