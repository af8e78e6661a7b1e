/** promote_secondaries (src/vrrp/promote-secondaries.ts): set, restored on reload and at stop. */
import { describe, expect, test } from "bun:test";
import type { VrrpInstance } from "../../../src/config/model.ts";
import { nullLogger } from "../../../src/core/log.ts";
import { PromoteSecondaries } from "../../../src/vrrp/promote-secondaries.ts";

const inst = (name: string, iface: string, promoteSecondaries: boolean): Pick<VrrpInstance, "name" | "interface" | "promoteSecondaries"> => ({
  name,
  interface: iface,
  promoteSecondaries,
});

describe("promote_secondaries", () => {
  test("set while an instance asks for it, put back when none does and at stop", () => {
    const sys = new Map([["net/ipv4/conf/eth0/promote_secondaries", "0"], ["net/ipv4/conf/eth1/promote_secondaries", "0"]]);
    const p = new PromoteSecondaries({ read: (k) => sys.get(k), write: (k, v) => void sys.set(k, v) }, nullLogger);
    p.apply([inst("A", "eth0", true), inst("B", "eth1", false)]);
    expect(sys.get("net/ipv4/conf/eth0/promote_secondaries")).toBe("1");
    expect(sys.get("net/ipv4/conf/eth1/promote_secondaries")).toBe("0");
    p.apply([inst("B", "eth1", true)]); // a reload: eth0 no longer wanted
    expect(sys.get("net/ipv4/conf/eth0/promote_secondaries")).toBe("0");
    expect(sys.get("net/ipv4/conf/eth1/promote_secondaries")).toBe("1");
    p.stop();
    expect(sys.get("net/ipv4/conf/eth1/promote_secondaries")).toBe("0");
  });
});
