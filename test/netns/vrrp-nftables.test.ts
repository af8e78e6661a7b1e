/**
 * nftables for no_accept / vrrp_strict next to Debian's keepalived 2.2.7 (prefix knf-):
 *  - for the same configurations (vrrp_strict with IPv4 and IPv6; no_accept and accept instances with a
 *    custom table name, priority and counters, link-local IPv6; use_vmac, whose IGMP/MLD reports are moved
 *    to the base interface; vrrp_iptables, which Debian's build turns into nftables), `nft -j list ruleset` under ours equals
 *    keepalived's while every instance is MASTER, modulo handles and counter values; both remove their
 *    tables on TERM;
 *  - a ping from the peer to a no_accept VIP fails and to an accept VIP answers;
 *  - the set follows BACKUP and reload, and a kill -9 of our VRRP child never leaves a VIP on the
 *    interface without its drop rule.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";
import { type Netns, waitFor } from "../support/netns.ts";
import { KEEPALIVED, type LabDaemon, VrrpLab } from "../support/vrrp-lab.ts";

const KA = KEEPALIVED;
const labs: VrrpLab[] = [];
afterAll(async () => {
  for (const l of labs) await l.destroy();
});

/** One case's lab: veth0 pair with IPv4 and IPv6 addresses; daemons by name, their files in the lab's dir. */
function lab(label: string) {
  const l = new VrrpLab(`knf-${label}`);
  labs.push(l);
  const { a, b } = l;
  a.ip("addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad");
  b.ip("addr", "add", "2001:db8::2/64", "dev", "veth0", "nodad");
  const daemons = new Map<string, LabDaemon>();
  const f = (name: string, x: string) => join(l.dir, `${name}${x}`);
  const start = (n: Netns, bin: string, name: string, text: string): Subprocess => {
    const d = l.daemon(n, bin, name, text, { args: ["-D", "-P"] });
    daemons.set(name, d);
    return d.proc;
  };
  const log = (name: string) => daemons.get(name)?.log() ?? "";
  const ruleset = (n: Netns) => JSON.parse(n.exec(["nft", "-j", "list", "ruleset"])).nftables as Record<string, unknown>[];
  return { a, b, f, start, log, ruleset };
}

/** The ruleset without what differs between two runs: handles, counter values, nft's metainfo. */
function normalize(rs: Record<string, unknown>[]): unknown[] {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === "object") {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "handle") continue;
        o[k] = k === "counter" ? "counter" : strip(x);
      }
      return o;
    }
    return v;
  };
  return rs.filter((o) => !("metainfo" in o)).map(strip);
}

const masters = (text: string) => (text.match(/Entering MASTER STATE/g) ?? []).length;

async function stopped(p: Subprocess): Promise<void> {
  p.kill("SIGTERM");
  await p.exited;
}

const instance = (name: string, vrid: number, body: string, vips: string[]) =>
  `vrrp_instance ${name} {
  state BACKUP
  interface veth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 0.5
${body}  virtual_ipaddress {
${vips.map((v) => `    ${v}\n`).join("")}  }
}
`;

const CONFIGS: Record<string, { text: string; instances: number }> = {
  strict: {
    text: `global_defs {\n  router_id S\n  vrrp_version 3\n  vrrp_strict\n}\n` +
      instance("VI_4", 51, "", ["192.0.2.100/24", "192.0.2.102/32"]) +
      instance("VI_6", 52, "", ["fe80::100/64", "2001:db8::100/64"]),
    instances: 2,
  },
  custom: {
    text: `global_defs {\n  router_id C\n  vrrp_version 3\n  nftables mytab\n  nftables_priority -5\n  nftables_counters\n}\n` +
      instance("VI_N", 51, "  no_accept\n", ["192.0.2.100/24"]) +
      instance("VI_A", 52, "  accept\n", ["192.0.2.101/24"]) +
      instance("VI_6", 53, "  no_accept\n", ["2001:db8::100/64", "fe80::100/64"]),
    instances: 3,
  },
  // Debian's 2.2.7 has no iptables: vrrp_iptables (its chain names dropped) is a config error that selects
  // nftables' default table, so no "no firewall configured" fallback; vrrp_ipsets is an unknown keyword.
  iptables: {
    text: `global_defs {\n  router_id I\n  vrrp_version 3\n  vrrp_iptables IN OUT\n  vrrp_ipsets s4 s6\n}\n` +
      instance("VI_4", 51, "  no_accept\n", ["192.0.2.100/24"]) +
      instance("VI_6", 52, "  no_accept\n", ["2001:db8::100/64"]),
    instances: 2,
  },
  vmac: {
    text: `global_defs {\n  router_id V\n  vrrp_version 3\n  nftables_counters\n}\n` +
      instance("VI_4", 51, "  use_vmac\n  no_accept\n", ["192.0.2.100/24"]) +
      instance("VI_6", 52, "  use_vmac\n", ["2001:db8::100/64"]),
    instances: 2,
  },
};

describe("nftables ruleset as keepalived 2.2.7's", () => {
  for (const [label, c] of Object.entries(CONFIGS)) {
    test(`${label}: the same ruleset while MASTER, and none after TERM`, async () => {
      const bin = await ensureBinary();
      const l = lab(label);
      const run = async (b: string, name: string) => {
        const p = l.start(l.a, b, name, c.text);
        await waitFor(`${name}: ${c.instances} instances MASTER`, () => masters(l.log(name)) >= c.instances, 30_000);
        // The drop rules are set before the VIPs, so once the VIPs are there the sets are complete.
        // Both families: an instance logs MASTER before its VIPs (and their sets) are in place.
        await waitFor(`${name}: VIPs`, () => ["192.0.2.100/", "2001:db8::100/"].every((v) => l.a.ip("addr", "show").includes(v)), 10_000);
        const rs = normalize(l.ruleset(l.a));
        await stopped(p);
        await waitFor(`${name}: tables removed`, () => normalize(l.ruleset(l.a)).length === 0, 10_000);
        return rs;
      };
      const theirs = await run(KA, "ka");
      const ours = await run(bin, "ours");
      expect(theirs.length).toBeGreaterThan(4);
      expect(ours).toEqual(theirs);
      if (label === "iptables") {
        for (const name of ["ka", "ours"]) {
          expect(l.log(name)).toContain("iptables not supported, using nftables instead");
          expect(l.log(name)).not.toContain("no firewall configured");
        }
      }
    }, 120_000);
  }
});

/** One echo request from `n`; true when answered (a missing ping is a failure, never a "no answer"). */
function pings(n: Netns, addr: string): boolean {
  if (!Bun.which("ping")) throw new Error("ping is missing (iputils-ping, scripts/install-test-deps.sh)");
  return Bun.spawnSync(["ip", "netns", "exec", n.name, "ping", "-c", "1", "-W", "1", addr]).exitCode === 0;
}

describe("no_accept at run time, beside a keepalived 2.2.7 peer", () => {
  test("drops for no_accept, answers for accept; follows BACKUP and reload; kill -9 of the child never opens a VIP", async () => {
    const bin = await ensureBinary();
    const l = lab("rt");
    const conf = (prio: number, vipN: string) =>
      `global_defs {\n  router_id R${prio}\n  vrrp_version 3\n}\n` +
      instance("VI_N", 51, "  no_accept\n", [`${vipN}/24`]).replace("priority 100", `priority ${prio}`) +
      instance("VI_A", 52, "  accept\n", ["192.0.2.101/24"]).replace("priority 100", `priority ${prio}`);
    let ka = l.start(l.b, KA, "ka", conf(100, "192.0.2.100"));
    await waitFor("keepalived MASTER", () => masters(l.log("ka")) >= 2, 30_000);
    const ours = l.start(l.a, bin, "ours", conf(200, "192.0.2.100"));
    const has = (n: Netns, a: string) => n.ip("-4", "addr", "show", "dev", "veth0").includes(`inet ${a}/`);
    const elements = () => {
      const set = l.ruleset(l.a).find((o) =>
        (o.set as { name?: string; family?: string } | undefined)?.name === "vips" &&
        (o.set as { family: string }).family === "ip"
      )?.set as { elem?: string[] } | undefined;
      return set === undefined ? undefined : set.elem ?? [];
    };
    await waitFor("ours MASTER with both VIPs", () => has(l.a, "192.0.2.100") && has(l.a, "192.0.2.101") && !has(l.b, "192.0.2.100"), 20_000);
    expect(elements()).toEqual(["192.0.2.100"]);
    expect(await waitFor("accept VIP answers", () => pings(l.b, "192.0.2.101"), 10_000)).toBe(true);
    // The no_accept VIP must not answer. A sample only counts while the peer does not hold the VIP
    // itself before and after the ping (on a loaded machine it may flap back for a moment).
    let clean = 0;
    for (let i = 0; i < 20 && clean < 3; i++) {
      const before = has(l.b, "192.0.2.100");
      const answered = pings(l.b, "192.0.2.100");
      if (before || has(l.b, "192.0.2.100")) continue;
      expect(answered).toBe(false);
      clean++;
    }
    expect(clean).toBe(3);

    // kill -9 of the VRRP child: whenever the VIP is on the interface, its drop rule is in the set.
    const child = Number(readFileSync(l.f("ours", "v.pid"), "utf8"));
    process.kill(child, "SIGKILL");
    const t0 = performance.now();
    let samples = 0;
    while (performance.now() - t0 < 3000) {
      // The VIP read before and after the set: the two reads are not one instant, and a VIP that is
      // being added (set first) or removed (set last) must not count as "up without its rule".
      const before = has(l.a, "192.0.2.100");
      const el = elements();
      if (before && has(l.a, "192.0.2.100")) expect(el).toContain("192.0.2.100");
      samples++;
      await Bun.sleep(10);
    }
    expect(samples).toBeGreaterThan(20);
    await waitFor("child restarted, MASTER again", () => has(l.a, "192.0.2.100") && elements()?.includes("192.0.2.100"), 20_000);

    // Reload with VI_N's VIP changed: the set follows.
    writeFileSync(l.f("ours", ".conf"), conf(200, "192.0.2.110"));
    process.kill(Number(readFileSync(l.f("ours", ".pid"), "utf8")), "SIGHUP");
    await waitFor("reloaded VIP in the set", () => JSON.stringify(elements()) === JSON.stringify(["192.0.2.110"]) && has(l.a, "192.0.2.110"), 20_000);

    // A higher-priority keepalived takes over: our set empties, the table stays.
    await stopped(ka);
    ka = l.start(l.b, KA, "ka2", conf(250, "192.0.2.110"));
    await waitFor("ours BACKUP, set empty", () => !has(l.a, "192.0.2.110") && JSON.stringify(elements()) === "[]", 20_000);

    await stopped(ours);
    await waitFor("our tables removed on TERM", () => normalize(l.ruleset(l.a)).length === 0, 10_000);
    await stopped(ka);
  }, 180_000);
});
