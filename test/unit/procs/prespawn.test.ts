import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HANDED_ENV, mayWantVrrp, prespawnVrrp, takeMainRead } from "../../../src/procs/prespawn.ts";
import { parseArgs } from "../../../src/cli.ts";

const dir = mkdtempSync("/tmp/kt-prescan-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe("mayWantVrrp (the pre-scan before the early VRRP child)", () => {
  test("no keyword that can ask for a VRRP child: no", () => {
    expect(mayWantVrrp(file("vs", "global_defs {\n  router_id x\n}\nvirtual_server 192.0.2.10 80 {\n  lb_kind NAT\n}\nbfd_instance b {\n}\n"))).toBe(false);
  });
  test("an instance, a static address, route or rule, or an include (which may hold them): yes", () => {
    for (
      const t of [
        "vrrp_instance VI_1 {\n}\n",
        "static_ipaddress {\n 192.0.2.1/24 dev lo\n}\n",
        "static_routes {\n}\n",
        "static_rules {\n}\n",
        "include /etc/k/*.conf\n",
      ]
    ) {
      expect(mayWantVrrp(file("y", `global_defs {\n}\n${t}`))).toBe(true);
    }
  });
  test("a keyword in a comment counts (a wrong yes only costs a killed child); a huge file: yes", () => {
    expect(mayWantVrrp(file("c", "# vrrp_instance later\nvirtual_server 192.0.2.10 80 {\n}\n"))).toBe(true);
    expect(mayWantVrrp(file("big", "#".repeat((1 << 20) + 1)))).toBe(true);
  });
  test("a missing or refused file (a directory; a FIFO is refused unopened too, as the parse refuses it): no, the start fails on it", () => {
    expect(mayWantVrrp(join(dir, "missing"))).toBe(false);
    expect(mayWantVrrp(dir)).toBe(false);
  });
  test("what the scan read is the parse's first read of that file, taken once", () => {
    const f = file("taken", "vrrp_instance VI_1 {\n}\n");
    expect(mayWantVrrp(f)).toBe(true);
    writeFileSync(f, "changed\n"); // not read again
    expect(takeMainRead(join(dir, "other"))).toBeUndefined(); // another path: nothing, and the scan is dropped
    expect(mayWantVrrp(f)).toBe(false);
    expect(takeMainRead(f)).toBe("changed\n");
    expect(takeMainRead(f)).toBeUndefined();
  });
});

describe("a handed VRRP child (KA_HANDED_VRRP) that is not ours", () => {
  test("is ignored and the variable removed, so that no child inherits it", () => {
    const saved = { ...process.env };
    try {
      process.env.KA_HANDED_VRRP = "1:5"; // pid 1 is not our child
      process.env.KA_NO_PRESPAWN = "1";
      expect(prespawnVrrp(parseArgs(["-n", "-f", file("h", "vrrp_instance VI_1 {\n}\n")]))).toBeUndefined();
      expect(process.env.KA_HANDED_VRRP).toBeUndefined();
      process.env.KA_HANDED_VRRP = "garbage";
      expect(prespawnVrrp(parseArgs(["-n", "-f", file("h", "vrrp_instance VI_1 {\n}\n")]))).toBeUndefined();
      expect(HANDED_ENV in process.env).toBe(false);
    } finally {
      process.env = saved;
    }
  });
});
