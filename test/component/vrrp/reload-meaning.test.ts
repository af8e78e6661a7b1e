/**
 * Tests for reload by meaning (src/config/meaning.ts used by src/vrrp/runtime.ts, tracker-set.ts,
 * static.ts): the same configuration rewritten (comments, moved blocks, reordered keywords, an include)
 * keeps every instance, tracker and static address; a real change restarts only what changed.
 */
import { describe, expect, test } from "bun:test";
import { loadText } from "../../support/config/helpers.ts";
import { Harness } from "../../support/vrrp/harness.ts";

const GLOBAL = `global_defs {\n  router_id r1\n  vrrp_version 3\n}\n`;
const SCRIPT = `vrrp_script chk {\n  script "/bin/true"\n  interval 1\n  weight -20\n}\n`;
const STATIC = `static_ipaddress {\n  203.0.113.9/32 dev eth1\n}\n`;
const inst = (name: string, vrid: number, vip: string, prio = 150) =>
  `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority ${prio}
  advert_int 1
  track_script {
    chk
  }
  virtual_ipaddress {
    ${vip}/24 dev eth0 label eth0:v
  }
  virtual_routes {
    198.18.0.0/16 via 192.0.2.254 dev eth0
  }
}
`;
const reordered = (name: string, vrid: number, vip: string) =>
  `# ${name}, keywords in another order
vrrp_instance ${name} {
  virtual_routes {
    198.18.0.0/16 via 192.0.2.254 dev eth0
  }
  virtual_ipaddress {

    ${vip}/24 dev eth0 label eth0:v   # same address
  }
  track_script {
    chk
  }
  advert_int 1
  priority 150
  virtual_router_id ${vrid}
  interface eth0
  state BACKUP
}
`;
const GROUP = `vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n`;
const BASE = GLOBAL + SCRIPT + STATIC + inst("VI_1", 51, "192.0.2.100") + inst("VI_2", 52, "192.0.2.101") + GROUP;

function masterHarness(): Harness {
  const h = new Harness();
  h.start(BASE);
  h.sched.advance(5000);
  expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
  h.kernel.ops.length = 0;
  return h;
}

function reload(h: Harness, text: string, more: Record<string, string> = {}): void {
  const r = loadText(text, more, {}, ["eth0", "eth1"]);
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  h.rt.apply(r.config, true);
  h.sched.advance(3000);
}

describe("reload by meaning", () => {
  test("comments, moved blocks, reordered keywords and an include change nothing", () => {
    const h = masterHarness();
    const sent = h.sent.length;
    reload(
      h,
      `\n# moved around\n! and commented\n${GROUP}include /etc/keepalived/vi2.conf\n${reordered("VI_1", 51, "192.0.2.100")}${STATIC}${SCRIPT}\n${GLOBAL}`,
      {
        "/etc/keepalived/vi2.conf": `\n\n${reordered("VI_2", 52, "192.0.2.101")}`,
      },
    );
    expect(h.kernel.ops).toEqual([]);
    expect(h.states()).toEqual({ VI_1: "MASTER", VI_2: "MASTER" });
    // Still advertising at priority 150 (no priority-0 advert of a stopped instance).
    expect(h.sent.slice(sent).every((a) => a.priority === 150)).toBe(true);
  });

  test("a real change restarts only the changed instance", () => {
    const h = masterHarness();
    reload(h, BASE.replace("virtual_router_id 52\n  priority 150", "virtual_router_id 52\n  priority 140"));
    const ops = h.kernel.ops.join("\n");
    expect(ops).toContain("addr del 192.0.2.101/24");
    expect(ops).not.toContain("192.0.2.100");
    expect(ops).not.toContain("203.0.113.9");
  });
});
