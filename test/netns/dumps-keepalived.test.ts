/**
 * Dumps beside keepalived 2.2.7 (namespaces hdmp-*): the same configurations (upstream samples from
 * ../shared/conformance and one of ours with every VRRP section and a BFD instance) run under Debian's
 * keepalived and ours, each with a private /tmp; `-d` output and the USR1 (keepalived.data,
 * keepalived_parent.data, keepalived_bfd.data), USR2 (keepalived.stats) and JSON (keepalived.json)
 * files compare line by line after the allowed differences of docs/dumps.md (dump-normalize.ts). Then
 * the fields mehdy/keepalived-exporter reads from the text files parse to the same values from both.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sh } from "../support/netns.ts";
import { type Capture, capture, confDumpOf, KEEPALIVED, OURS } from "../support/dump/dump-capture.ts";
import { normalizeJson, normalizeOurs, normalizeTheirs } from "../support/dump/dump-normalize.ts";
import { parseScripts, parseStats, parseVrrpData } from "../support/dump/mehdy-parser.ts";

const SAMPLES = join(import.meta.dir, "../../../shared/conformance/upstream-samples");
const dir = mkdtempSync("/tmp/hdmp-dumps-");
const ns = `hdmp-d${process.pid % 10000}`;
afterAll(() => {
  sh(["ip", "netns", "del", ns], { allowFail: true });
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
});

function lab(): void {
  sh(["ip", "netns", "del", ns], { allowFail: true });
  sh(["ip", "netns", "add", ns]);
  const ip = (...a: string[]) => sh(["ip", "-n", ns, ...a]);
  ip("link", "set", "lo", "up");
  // No dummy module on every kernel: veth pairs (eth0-eth1, eth2-eth3); the samples' VRIDs differ per interface.
  ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
  ip("link", "add", "eth2", "type", "veth", "peer", "name", "eth3");
  ["eth0", "eth1", "eth2", "eth3"].forEach((n, i) => {
    ip("addr", "add", `192.168.${200 + i}.2/24`, "dev", n);
    ip("link", "set", n, "up");
  });
  ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
  ip("addr", "add", "10.99.0.1/24", "dev", "veth0");
  ip("link", "set", "veth0", "up");
  ip("link", "set", "veth1", "up");
}

const OWN = `global_defs {
  router_id DUMPS
  notification_email {
    ops@example.com
  }
  notification_email_from ka@example.com
  smtp_server 127.0.0.1 25
  vrrp_garp_master_delay 3
  script_user root
  enable_script_security
}
vrrp_script chk_ok {
  script "/bin/true"
  interval 1
  weight -20
  fall 2
  rise 1
}
track_file tf1 {
  file ${dir}/track1
  weight 5
}
vrrp_track_process tp1 {
  process hdmp-no-such
  weight 10
}
garp_group {
  gna_interval 1
}
garp_group {
  garp_interval 0.5
  gna_interval 0.25
  interface eth2
}
static_ipaddress {
  10.98.0.5/32 dev veth1
}
static_routes {
  10.97.0.0/24 via 10.99.0.254 dev veth0
}
static_rules {
  from 10.99.0.0/24 table 100 priority 200
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify_master "/bin/true master"
}
vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 52
  priority 120
  nopreempt
  unicast_src_ip 10.99.0.1
  unicast_peer {
    10.99.0.2
  }
  virtual_ipaddress {
    10.99.0.101/24 dev veth0 label veth0:1
    10.99.0.102
  }
  virtual_ipaddress_excluded {
    10.99.0.103/32
  }
  virtual_routes {
    10.96.0.0/24 via 10.99.0.254 dev veth0
  }
  notify "/bin/true"
}
vrrp_instance VI_2 {
  interface veth0
  virtual_router_id 53
  priority 200
  version 3
  advert_int 0.5
  virtual_ipaddress {
    fd00::53/64
  }
}
vrrp_instance VI_3 {
  state MASTER
  interface eth0
  virtual_router_id 54
  priority 100
  debug 3
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    192.168.200.110/24
  }
  track_script {
    chk_ok
  }
  track_file {
    tf1 weight 3
  }
  track_process {
    tp1
  }
  track_interface {
    eth1 weight 4
  }
}
bfd_instance B1 {
  neighbor_ip 10.99.0.2
  source_ip 10.99.0.1
  min_rx 300
  min_tx 400
  idle_tx 1000
  multiplier 4
}
`;

interface Case {
  name: string;
  conf: string;
  masters: number;
  files: string[];
}

const CASES: Case[] = [
  { name: "upstream keepalived.conf.vrrp", conf: join(SAMPLES, "keepalived.conf.vrrp"), masters: 4, files: ["keepalived.data", "keepalived_parent.data"] },
  {
    name: "upstream keepalived.conf.vrrp.static_ipaddress",
    conf: join(SAMPLES, "keepalived.conf.vrrp.static_ipaddress"),
    masters: 1,
    files: ["keepalived.data", "keepalived_parent.data"],
  },
  { name: "every section", conf: join(dir, "own.conf"), masters: 3, files: ["keepalived.data", "keepalived_parent.data", "keepalived_bfd.data"] },
];

const runs = new Map<string, { theirs: Capture; ours: Capture }>();
function run(c: Case): { theirs: Capture; ours: Capture } {
  let r = runs.get(c.name);
  if (!r) {
    const slug = c.name.replace(/\W+/g, "-");
    r = {
      theirs: capture(ns, KEEPALIVED, c.conf, join(dir, `${slug}-ka`), c.masters, c.files),
      ours: capture(ns, OURS, c.conf, join(dir, `${slug}-ours`), c.masters, c.files),
    };
    runs.set(c.name, r);
  }
  return r;
}

describe("dumps beside keepalived 2.2.7", () => {
  test("lab", () => {
    // Root and Debian's keepalived 2.2.7 are required (npm test installs it): no silent skip.
    expect(process.getuid?.()).toBe(0);
    expect(existsSync(KEEPALIVED)).toBe(true);
    lab();
    writeFileSync(join(dir, "own.conf"), OWN);
    writeFileSync(join(dir, "track1"), "0\n");
    expect(sh(["ip", "-n", ns, "-br", "link"])).toContain("veth0");
  });

  for (const c of CASES) {
    test(`${c.name}: -d, USR1, USR2 and JSON files line by line`, () => {
      const { theirs, ours } = run(c);
      expect(Object.keys(ours.files).sort()).toEqual(Object.keys(theirs.files).sort());
      for (const f of c.files) expect({ f, lines: normalizeOurs(ours.files[f]!) }).toEqual({ f, lines: normalizeTheirs(theirs.files[f]!) });
      expect(normalizeOurs(ours.files["keepalived.stats"]!, true)).toEqual(normalizeTheirs(theirs.files["keepalived.stats"]!, true));
      expect(normalizeJson(ours.files["keepalived.json"]!)).toEqual(normalizeJson(theirs.files["keepalived.json"]!));
      // keepalived's children log their -d dumps at the same time, interleaved: with more than one
      // child the lines are compared as a multiset.
      const d = (l: string[]) => (c.files.length > 2 ? [...l].sort() : l);
      expect(d(normalizeOurs(confDumpOf(ours.log)))).toEqual(d(normalizeTheirs(confDumpOf(theirs.log))));
    }, 120_000);

    test(`${c.name}: what mehdy/keepalived-exporter reads from the text files is the same`, () => {
      const { theirs, ours } = run(c);
      const data = (x: Capture) => parseVrrpData(x.files["keepalived.data"]!);
      expect(data(ours)).toEqual(data(theirs));
      expect(Object.keys(data(ours)).length).toBeGreaterThan(0);
      expect(parseScripts(ours.files["keepalived.data"]!)).toEqual(parseScripts(theirs.files["keepalived.data"]!));
      if (c.name === "every section") expect(parseScripts(ours.files["keepalived.data"]!)).toEqual([{ name: "chk_ok", status: "GOOD", state: "idle" }]);
      const stats = (x: Capture) => Object.keys(parseStats(x.files["keepalived.stats"]!)).sort();
      expect(stats(ours)).toEqual(stats(theirs));
    }, 120_000);
  }
});
