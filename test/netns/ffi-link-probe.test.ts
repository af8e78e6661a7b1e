/**
 * LinkProbe (src/ffi/link-probe.ts) against the kernel: loopback reads as up by ETHTOOL (no MII PHY)
 * and by SIOCGIFFLAGS; a veth in a namespace of ours (prefix hk15-p) reads down once its peer is down;
 * an interface that does not exist reads as undefined.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { LinkProbe } from "../../src/ffi/link-probe.ts";
import { Netns } from "../support/netns.ts";

const ns = new Netns(`hk15-p${process.pid % 10000}`);
afterAll(async () => await ns.destroy());

describe("LinkProbe", () => {
  test("loopback and a missing interface in this namespace", () => {
    const p = new LinkProbe();
    expect(p.read("lo")).toEqual({ up: true, kind: "ETHTOOL" });
    expect(p.read("lo", "IOCTL")).toEqual({ up: true, kind: "IOCTL" });
    expect(p.read("hk15-none0")).toBeUndefined();
    // One kind exactly (linkbeat_interfaces types): no MII PHY on lo; ETHTOOL and IOCTL answer.
    expect(["MII", "ETHTOOL", "IOCTL"].map((k) => p.probe("lo", k as "MII"))).toEqual([undefined, true, true]);
    expect(p.probe("hk15-none0", "IOCTL")).toBeUndefined();
    p.close();
    expect(p.read("lo")).toBeUndefined();
  });

  test("a veth whose peer goes down reads down (run inside the namespace)", () => {
    ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
    ns.ip("link", "set", "veth0", "up");
    ns.ip("link", "set", "veth1", "up");
    const script = `import { LinkProbe } from "${import.meta.dir}/../../src/ffi/link-probe.ts";` +
      `const p = new LinkProbe(); console.log(JSON.stringify([p.read("veth0"), p.read("veth0", "IOCTL")]));`;
    const read = () => JSON.parse(ns.exec([process.execPath, "-e", script]).trim());
    expect(read()).toEqual([{ up: true, kind: "ETHTOOL" }, { up: true, kind: "IOCTL" }]);
    ns.ip("link", "set", "veth1", "down");
    expect(read()).toEqual([{ up: false, kind: "ETHTOOL" }, { up: false, kind: "IOCTL" }]);
  });
});
