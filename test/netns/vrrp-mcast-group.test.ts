/**
 * `vrrp_mcast_group4` / `vrrp_mcast_group6` (keepalived.conf(5) global_defs) against Debian's
 * keepalived 2.2.7 configured the same way (prefix kcd-): adverts go to the configured group, none to
 * RFC 5798's 224.0.0.18 / ff02::12, and the two implementations see each other (ours at the higher
 * priority is MASTER, keepalived BACKUP; when ours stops, keepalived takes over).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { Netns, vethPair, waitFor } from "../support/netns.ts";

const KEEPALIVED = "/usr/sbin/keepalived";
const id = process.pid % 10000;
const dir = mkdtempSync("/tmp/kcd-mc-");
const spaces: Netns[] = [];
afterAll(async () => {
  for (const ns of spaces.reverse()) await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

interface Variant {
  readonly name: string;
  readonly v6: boolean;
  readonly group: string;
  readonly vip: string;
}
const VARIANTS: Variant[] = [
  { name: "IPv4 vrrp_mcast_group4 239.255.0.18", v6: false, group: "239.255.0.18", vip: "192.0.2.100/24" },
  { name: "IPv6 vrrp_mcast_group6 ff02::1:18", v6: true, group: "ff02::1:18", vip: "2001:db8::100/64" },
];

function conf(v: Variant, prio: number): string {
  return `global_defs {
  router_id kcd_mc
  ${v.v6 ? "vrrp_mcast_group6" : "vrrp_mcast_group4"} ${v.group}
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 71
  priority ${prio}
  advert_int ${v.v6 ? "0.5" : "1"}
  virtual_ipaddress {
    ${v.vip}
  }
}
`;
}

function start(ns: Netns, bin: string, tag: string, text: string): Subprocess {
  const f = (s: string) => join(dir, `${tag}-${s}`);
  writeFileSync(f("conf"), text);
  const p = ns.spawn(
    [bin, "-n", "-l", "-D", "-f", f("conf"), "-p", f("k.pid"), "-r", f("v.pid"), "-c", f("c.pid"), "-b", f("b.pid")],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = Bun.file(f("log")).writer();
  for (const s of [p.stdout, p.stderr] as ReadableStream<Uint8Array>[]) {
    const r = s.getReader();
    void (async () => {
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        out.write(value);
        out.flush();
      }
    })();
  }
  return p;
}

const logOf = (tag: string): string => {
  try {
    return readFileSync(join(dir, `${tag}-log`), "utf8");
  } catch {
    return "";
  }
};

/** Destinations of the next few VRRP packets seen on `ifname` in `ns`. */
function advertDestinations(ns: Netns, ifname: string, v6: boolean): string[] {
  const filter = v6 ? "ip6 proto 112" : "ip proto 112";
  const p = Bun.spawnSync(["ip", "netns", "exec", ns.name, "tcpdump", "-i", ifname, "-nn", "-l", "-c", "4", filter], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 15_000,
  });
  return [...p.stdout.toString().matchAll(/ > ([0-9a-f:.]+?):? (?:VRRP|ip-proto-112)/g)].map((m) => m[1]!);
}

describe("vrrp_mcast_group4/6 interoperate with keepalived 2.2.7", () => {
  VARIANTS.forEach((v, n) => {
    test(v.name, async () => {
      const bin = await ensureBinary();
      const a = new Netns(`kcd-mca${id}-${n}`), b = new Netns(`kcd-mcb${id}-${n}`);
      spaces.push(a, b);
      vethPair(a, "veth0", b, "veth0");
      const fam = v.v6 ? "-6" : "-4";
      for (const [ns, ip] of [[a, v.v6 ? "2001:db8::1/64" : "192.0.2.1/24"], [b, v.v6 ? "2001:db8::2/64" : "192.0.2.2/24"]] as const) {
        if (v.v6) ns.exec(["sysctl", "-qw", "net.ipv6.conf.veth0.accept_dad=0"]);
        ns.ip(fam, "addr", "add", ip, "dev", "veth0", ...(v.v6 ? ["nodad"] : []));
      }
      if (v.v6) {
        for (const ns of [a, b]) {
          await waitFor("IPv6 link-local", () => {
            const s = ns.ip("-6", "addr", "show", "dev", "veth0");
            return /fe80::\S+ scope link/.test(s) && !s.includes("tentative");
          });
        }
      }
      const vipOn = (ns: Netns) => ns.ip(fam, "addr", "show", "dev", "veth0").includes(v.vip);
      const kaTag = `ka${n}`, usTag = `us${n}`;
      const ka = start(a, KEEPALIVED, kaTag, conf(v, 100));
      await waitFor("keepalived BACKUP", () => /Entering BACKUP STATE/.test(logOf(kaTag)), 30_000);
      const ours = start(b, bin, usTag, conf(v, 150));
      await waitFor("ours MASTER", () => vipOn(b) && /Entering MASTER STATE/.test(logOf(usTag)), 30_000);
      const dsts = advertDestinations(a, "veth0", v.v6);
      expect(dsts.length).toBeGreaterThan(0);
      expect([...new Set(dsts)]).toEqual([v.group]);
      // keepalived, alone at first, may have gone MASTER: our higher-priority adverts on the group win.
      await waitFor("keepalived BACKUP under ours", () => !vipOn(a), 20_000);
      const states = logOf(kaTag).match(/Entering (MASTER|BACKUP) STATE/g) ?? [];
      expect(states.at(-1)).toBe("Entering BACKUP STATE");
      ours.kill("SIGTERM");
      await ours.exited;
      await waitFor("keepalived MASTER after ours stops", () => vipOn(a), 20_000);
      expect([...new Set(advertDestinations(b, "veth0", v.v6))]).toEqual([v.group]);
      ka.kill("SIGTERM");
      await ka.exited;
    }, 120_000);
  });
});
