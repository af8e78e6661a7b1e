/**
 * use_vmac next to keepalived 2.2.7 (prefix kvf-v): our MASTER in A creates the private macvlan
 * vrrp.51 with MAC 00:00:5e:00:01:33 on veth0, sets keepalived's sysctls, puts the VIP on it; the
 * keepalived BACKUP in B sees our adverts coming from the VMAC MAC (tcpdump -e) and stays BACKUP, and
 * B's ARP entry for the VIP is the VMAC. With vmac_xmit_base the adverts leave from veth0's own MAC
 * while gratuitous ARPs still come from the VMAC. On SIGTERM the VMAC goes and the sysctls are restored.
 * IPv6: the VMAC (00:00:5e:00:02:VRID) has no generated link-local, carries a copy of the base's one,
 * and the adverts come from it with that source address; keepalived's IPv6 backup stays BACKUP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { VrrpLab } from "../support/vrrp-lab.ts";

let bin = "", dir = "";
let lab: VrrpLab | undefined, a: Netns, b: Netns;
let ka: Subprocess;
const VMAC = "00:00:5e:00:01:33";

const conf = (prio: number, extra: string) =>
  `global_defs {
  router_id kvf_v${prio}
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 51
  priority ${prio}
  advert_int 0.1
${extra}  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

beforeAll(async () => {
  bin = await ensureBinary();
  lab = new VrrpLab("kvf-v");
  ({ a, b, dir } = lab);
  writeFileSync(join(dir, "b.conf"), conf(100, ""));
  ka = b.spawn(["sh", "-c", `exec /usr/sbin/keepalived -n -l -D -f ${dir}/b.conf -p ${dir}/b.pid -r ${dir}/bv.pid -c ${dir}/bc.pid > ${dir}/b.log 2>&1`]);
});

afterAll(async () => {
  ka?.kill("SIGTERM");
  await ka?.exited;
  await lab?.destroy();
});

const sysctl = (ns: Netns, path: string) => ns.exec(["cat", `/proc/sys/${path}`], { allowFail: true }).trim();
const hasVip = (ns: Netns, dev: string) => ns.ip("-4", "addr", "show", "dev", dev).includes("192.0.2.100/24");
const linkExists = (ns: Netns, dev: string) => ns.exec(["ip", "link", "show", dev], { allowFail: true }).includes(`${dev}@`);

/** Starts ours in A with `extra` instance lines; returns the process. */
async function startOurs(name: string, extra: string): Promise<Subprocess> {
  writeFileSync(join(dir, `${name}.conf`), conf(150, extra));
  const p = a.spawn([
    bin,
    "-n",
    "-l",
    "-D",
    "-f",
    join(dir, `${name}.conf`),
    "-p",
    join(dir, `${name}.pid`),
    "-r",
    join(dir, `${name}v.pid`),
    "-c",
    join(dir, `${name}c.pid`),
    "-b",
    join(dir, `${name}b.pid`),
  ]);
  await waitFor("ours MASTER with the VIP on vrrp.51", () => linkExists(a, "vrrp.51") && hasVip(a, "vrrp.51"));
  return p;
}

/** Source MACs of VRRP adverts and ARP frames B sees for `ms`. */
async function capture(ms: number): Promise<{ vrrp: Set<string>; arp: Set<string> }> {
  const p = b.spawn(["sh", "-c", `exec timeout ${ms / 1000} tcpdump -l -n -e -i veth0 'ip proto 112 or arp' > ${dir}/cap.txt 2>/dev/null`]);
  await p.exited;
  const text = await Bun.file(join(dir, "cap.txt")).text();
  const vrrp = new Set<string>(), arp = new Set<string>();
  for (const line of text.split("\n")) {
    const mac = /^\S+ ([0-9a-f:]{17}) >/.exec(line)?.[1];
    if (!mac) continue;
    if (/VRRP/.test(line)) vrrp.add(mac);
    else if (/ARP/.test(line)) arp.add(mac);
  }
  return { vrrp, arp };
}

describe("use_vmac next to keepalived 2.2.7", () => {
  test("VMAC interface, sysctls, adverts from the VMAC MAC; keepalived stays BACKUP; cleanup on stop", async () => {
    const before = { ignore: sysctl(a, "net/ipv4/conf/veth0/arp_ignore"), filter: sysctl(a, "net/ipv4/conf/veth0/arp_filter") };
    const ours = await startOurs("ours", "  use_vmac\n");
    try {
      const d = a.ip("-d", "link", "show", "vrrp.51");
      expect(d).toContain(`link/ether ${VMAC}`);
      expect(d).toContain("macvlan mode private");
      expect(d).toMatch(/vrrp\.51@veth0: <[^>]*\bUP\b/);
      expect(sysctl(a, "net/ipv4/conf/vrrp.51/arp_ignore")).toBe("1");
      expect(sysctl(a, "net/ipv4/conf/vrrp.51/accept_local")).toBe("1");
      expect(sysctl(a, "net/ipv4/conf/vrrp.51/rp_filter")).toBe("0");
      expect(sysctl(a, "net/ipv6/conf/vrrp.51/disable_ipv6")).toBe("1");
      expect(sysctl(a, "net/ipv4/conf/veth0/arp_ignore")).toBe("1");
      expect(sysctl(a, "net/ipv4/conf/veth0/arp_filter")).toBe("1");
      expect(hasVip(a, "veth0")).toBe(false);

      const cap = await capture(1500);
      expect([...cap.vrrp]).toEqual([VMAC]);
      await waitFor("keepalived BACKUP", async () => /\(VI_1\) Entering BACKUP STATE/.test(await Bun.file(join(dir, "b.log")).text()));
      const last = () => [...(readFileSync(join(dir, "b.log"), "utf8")).matchAll(/\(VI_1\) Entering (\w+) STATE/g)].at(-1)?.[1];
      expect(last()).toBe("BACKUP");
      expect(hasVip(b, "veth0")).toBe(false);
      // Any datagram to the VIP makes B resolve it: the answer must come from the VMAC.
      await waitFor("B resolves the VIP to the VMAC", () => {
        b.exec(["bash", "-c", "echo x > /dev/udp/192.0.2.100/9"], { allowFail: true });
        return b.ip("neigh", "show", "192.0.2.100").includes(VMAC);
      });
    } finally {
      ours.kill("SIGTERM");
      await ours.exited;
    }
    expect(linkExists(a, "vrrp.51")).toBe(false);
    expect(sysctl(a, "net/ipv4/conf/veth0/arp_ignore")).toBe(before.ignore);
    expect(sysctl(a, "net/ipv4/conf/veth0/arp_filter")).toBe(before.filter);
    await waitFor("keepalived takes over", () => hasVip(b, "veth0"));
  }, 60_000);

  test("vmac_xmit_base: adverts from veth0's MAC, gratuitous ARPs from the VMAC", async () => {
    const baseMac = /link\/ether ([0-9a-f:]{17})/.exec(a.ip("link", "show", "veth0"))![1]!;
    const ours = await startOurs("xb", "  use_vmac\n  vmac_xmit_base\n  garp_master_delay 1\n  garp_master_refresh 1\n");
    try {
      const cap = await capture(2500);
      expect([...cap.vrrp]).toEqual([baseMac]);
      expect(cap.arp.has(VMAC)).toBe(true);
    } finally {
      ours.kill("SIGTERM");
      await ours.exited;
    }
    expect(linkExists(a, "vrrp.51")).toBe(false);
  }, 60_000);
});

describe("use_vmac with IPv6 next to keepalived 2.2.7", () => {
  test("adverts from 00:00:5e:00:02:34 with the base's link-local source", async () => {
    a.ip("addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad");
    b.ip("addr", "add", "2001:db8::2/64", "dev", "veth0", "nodad");
    const v6 = (prio: number, extra: string) =>
      `global_defs {
  router_id kvf_v6_${prio}
}
vrrp_instance VI_6 {
  state BACKUP
  interface veth0
  virtual_router_id 52
  priority ${prio}
  advert_int 0.1
  version 3
${extra}  virtual_ipaddress {
    2001:db8::100/64
  }
}
`;
    writeFileSync(join(dir, "b6.conf"), v6(100, ""));
    writeFileSync(join(dir, "a6.conf"), v6(150, "  use_vmac\n"));
    const ka6 = b.spawn([
      "sh",
      "-c",
      `exec /usr/sbin/keepalived -n -l -D -f ${dir}/b6.conf -p ${dir}/b6.pid -r ${dir}/b6v.pid -c ${dir}/b6c.pid > ${dir}/b6.log 2>&1`,
    ]);
    const ours = a.spawn([
      bin,
      "-n",
      "-l",
      "-D",
      "-f",
      join(dir, "a6.conf"),
      "-p",
      join(dir, "a6.pid"),
      "-r",
      join(dir, "a6v.pid"),
      "-c",
      join(dir, "a6c.pid"),
      "-b",
      join(dir, "a6b.pid"),
    ]);
    try {
      await waitFor(
        "ours MASTER with the VIP on vrrp.52",
        () => linkExists(a, "vrrp.52") && a.ip("-6", "addr", "show", "dev", "vrrp.52").includes("2001:db8::100/64"),
      );
      const d = a.ip("-d", "link", "show", "vrrp.52");
      expect(d).toContain("link/ether 00:00:5e:00:02:34");
      expect(d).toContain("addrgenmode none");
      const ll = /inet6 (fe80::[0-9a-f:]+)\/64/.exec(a.ip("-6", "addr", "show", "dev", "veth0"))![1]!;
      expect(a.ip("-6", "addr", "show", "dev", "vrrp.52")).toContain(`${ll}/64`);
      const p = b.spawn(["sh", "-c", `exec timeout 1.5 tcpdump -l -n -e -i veth0 'ip6 and proto 112' > ${dir}/cap6.txt 2>/dev/null`]);
      await p.exited;
      const lines = readFileSync(join(dir, "cap6.txt"), "utf8").split("\n").filter((l) => /VRRP/.test(l));
      expect(lines.length).toBeGreaterThan(3);
      for (const l of lines) {
        expect(l).toMatch(new RegExp(`^\\S+ 00:00:5e:00:02:34 > 33:33:00:00:00:12, .*: ${ll} > ff02::12: VRRPv3, Advertisement, vrid 52, prio 150`));
      }
      await waitFor("keepalived BACKUP", () => /\(VI_6\) Entering BACKUP STATE/.test(readFileSync(join(dir, "b6.log"), "utf8")));
      const last = [...readFileSync(join(dir, "b6.log"), "utf8").matchAll(/\(VI_6\) Entering (\w+) STATE/g)].at(-1)?.[1];
      expect(last).toBe("BACKUP");
    } finally {
      ours.kill("SIGTERM");
      await ours.exited;
      ka6.kill("SIGTERM");
      await ka6.exited;
    }
    expect(linkExists(a, "vrrp.52")).toBe(false);
  }, 60_000);
});
