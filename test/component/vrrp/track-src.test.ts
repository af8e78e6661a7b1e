/** track_src_ip (src/vrrp/track-src.ts) on the harness: FAULT while the configured source address is gone. */
import { describe, expect, test } from "bun:test";
import { Harness } from "../../support/vrrp/harness.ts";

const conf = (extra: string) =>
  `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n  mcast_src_ip 192.0.2.1\n${extra}` +
  `  virtual_ipaddress {\n    203.0.113.100/24\n  }\n}\n`;
const src = { index: 2, family: "ipv4" as const, address: "192.0.2.1", prefixLen: 24, scope: 0, flags: 0 };

describe("track_src_ip", () => {
  test("the configured source address deleted: FAULT; added back: BACKUP", () => {
    const h = new Harness();
    h.start(conf("  track_src_ip\n"));
    h.sched.advance(4000);
    expect(h.states().VI_1).toBe("MASTER");
    h.kernel.addrs = h.kernel.addrs.filter((a) => a.address !== "192.0.2.1");
    h.kernel.emit({ kind: "addr", op: "del", addr: src });
    expect(h.states().VI_1).toBe("FAULT");
    h.kernel.addrs.push(src);
    h.kernel.emit({ kind: "addr", op: "new", addr: src });
    expect(h.states().VI_1).toBe("BACKUP");
  });

  test("without it the deletion changes nothing", () => {
    const h = new Harness();
    h.start(conf(""));
    h.sched.advance(4000);
    h.kernel.emit({ kind: "addr", op: "del", addr: src });
    expect(h.states().VI_1).toBe("MASTER");
  });
});
