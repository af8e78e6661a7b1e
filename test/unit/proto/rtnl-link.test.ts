import { describe, expect, test } from "bun:test";
import { collectDump, nlmsg, NLMSG_ERROR, parseNlError, splitMessages } from "../../../src/proto/netlink.ts";
import { concatBytes, nla, nlaNested, nlaString } from "../../../src/proto/netlink-attr.ts";
import {
  encodeLinkDel,
  encodeLinkDump,
  encodeLinkGet,
  encodeLinkSet,
  encodeMacvlanAdd,
  IF_OPER,
  IFF,
  IFLA,
  linkIsUp,
  MACVLAN_MODE,
  macvlanMode,
  parseLinkMessage,
  RTM,
  vmacAddress,
  vmacName,
} from "../../../src/proto/rtnetlink.ts";
import { findDatagram, loadFixture, normalise, replyTo, toHex } from "../../support/proto/netlink-fixture.ts";

const VETH0 = 3;
const SEQ = 11;

function expectSame(name: string, type: number, ours: Uint8Array, nth: number): void {
  const f = loadFixture(name);
  expect(toHex(ours)).toBe(toHex(normalise(findDatagram(f, "send", type, nth), SEQ)));
}

describe("VMAC helpers", () => {
  test("RFC 5798 7.3 virtual router MAC and keepalived interface name", () => {
    expect(vmacAddress(51)).toBe("00:00:5e:00:01:33");
    expect(vmacAddress(255, 10)).toBe("00:00:5e:00:02:ff");
    expect(vmacName(51)).toBe("vrrp.51");
    expect(macvlanMode("bridge")).toBe(MACVLAN_MODE.BRIDGE);
    expect(macvlanMode("private")).toBe(1);
    expect(macvlanMode("vepa")).toBe(2);
  });
});

describe("link encoders match iproute2 captures (message #0 of each is iproute2's empty probe)", () => {
  test("ip link add link veth0 name vrrp.51 address 00:00:5e:00:01:33 type macvlan mode private", () => {
    expectSame(
      "link-add-macvlan-private",
      RTM.NEWLINK,
      encodeMacvlanAdd({
        name: vmacName(51),
        parentIndex: VETH0,
        mac: vmacAddress(51),
        mode: macvlanMode("private"),
      }, SEQ),
      1,
    );
  });
  test("... mode bridge", () => {
    expectSame(
      "link-add-macvlan-bridge",
      RTM.NEWLINK,
      encodeMacvlanAdd({
        name: "vrrp.52",
        parentIndex: VETH0,
        mac: "00:00:5e:00:01:34",
        mode: MACVLAN_MODE.BRIDGE,
      }, SEQ),
      1,
    );
  });
  test("... mode vepa, no address", () => {
    expectSame("link-add-macvlan-vepa", RTM.NEWLINK, encodeMacvlanAdd({ name: "vrrp.53", parentIndex: VETH0, mode: MACVLAN_MODE.VEPA }, SEQ), 1);
  });
  test("ip link set vrrp.51 up / down", () => {
    expectSame("link-set-up", RTM.NEWLINK, encodeLinkSet({ index: 4, up: true }, SEQ), 1);
    expectSame("link-set-down", RTM.NEWLINK, encodeLinkSet({ index: 4, up: false }, SEQ), 1);
  });
  test("ip link set veth1 mtu 1400", () => {
    expectSame("link-set-mtu", RTM.NEWLINK, encodeLinkSet({ index: 2, mtu: 1400 }, SEQ), 1);
  });
  test("ip link del vrrp.53", () => {
    expectSame("link-del", RTM.DELLINK, encodeLinkDel(6, SEQ), 0);
  });
  test("name lookup and index lookup GETLINK", () => {
    expectSame("link-get", RTM.GETLINK, encodeLinkGet({ name: "vrrp.51" }, SEQ), 0);
    expectSame("link-get", RTM.GETLINK, encodeLinkGet({ index: VETH0 }, SEQ), 2);
  });
  test("ip link show dump request", () => {
    expectSame("link-dump", RTM.GETLINK, encodeLinkDump(SEQ), 0);
  });
});

describe("kernel replies", () => {
  test("macvlan GETLINK reply decodes kind, mode, parent and MAC", () => {
    const reply = replyTo(loadFixture("link-get"), RTM.GETLINK, 0);
    const m = splitMessages(reply[0]!);
    if (!m.ok) throw new Error(m.reason);
    const l = parseLinkMessage(m.value[0]!);
    expect(l.ok).toBe(true);
    if (!l.ok) return;
    expect(l.value).toMatchObject({
      index: 4,
      name: "vrrp.51",
      address: "00:00:5e:00:01:33",
      kind: "macvlan",
      macvlanMode: MACVLAN_MODE.PRIVATE,
      link: VETH0,
      mtu: 1500,
      type: 1,
    });
    expect(l.value.flags & IFF.UP).toBe(0); // set down by the previous capture
  });
  test("link dump: every interface of the namespace, ended by NLMSG_DONE", () => {
    const d = collectDump(replyTo(loadFixture("link-dump"), RTM.GETLINK, 0));
    if (!d.ok) throw new Error(d.reason);
    expect(d.value.done).toBe(true);
    const links = d.value.messages.map((m) => parseLinkMessage(m)).map((r) => (r.ok ? r.value : r.reason));
    const names = links.map((l) => (typeof l === "string" ? l : l.name));
    expect(names).toEqual(expect.arrayContaining(["lo", "veth1", "veth0", "vrrp.51", "vrrp.52", "vrrp.53"]));
    const lo = links.find((l) => typeof l !== "string" && l.name === "lo");
    expect(lo).toMatchObject({ index: 1, type: 772, operstate: IF_OPER.UNKNOWN });
    const veth0 = links.find((l) => typeof l !== "string" && l.name === "veth0");
    expect(typeof veth0 !== "string" && veth0 && linkIsUp(veth0)).toBe(true);
    expect(veth0).toMatchObject({ kind: "veth", operstate: IF_OPER.UP, carrier: true });
    const veth1 = links.find((l) => typeof l !== "string" && l.name === "veth1");
    expect(veth1).toMatchObject({ mtu: 1400 });
  });
  test("iproute2's empty probe is answered ENODEV", () => {
    const r = splitMessages(replyTo(loadFixture("link-del"), RTM.NEWLINK, 0)[0]!);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value[0]!.header.type).toBe(NLMSG_ERROR);
    const e = parseNlError(r.value[0]!);
    expect(e.ok && e.value.errno).toBe(19);
  });
});

describe("round trip and malformed input", () => {
  const parse = (b: Uint8Array) => {
    const m = splitMessages(b);
    return m.ok ? parseLinkMessage(m.value[0]!) : m;
  };
  test("macvlan request parses back", () => {
    const r = parse(encodeMacvlanAdd({ name: "vrrp.7", parentIndex: 2, mac: vmacAddress(7), mode: MACVLAN_MODE.BRIDGE }, 1));
    expect(r).toEqual({
      ok: true,
      value: {
        family: 0,
        type: 0,
        index: 0,
        flags: 0,
        change: 0,
        name: "vrrp.7",
        address: "00:00:5e:00:01:07",
        link: 2,
        kind: "macvlan",
        macvlanMode: MACVLAN_MODE.BRIDGE,
      },
    });
  });
  test("set request with every field parses back", () => {
    const r = parse(encodeLinkSet({ index: 5, up: true, mtu: 9000, mac: "02:00:00:00:00:01", name: "x", master: 9 }, 1));
    expect(r.ok && r.value).toMatchObject({ index: 5, flags: IFF.UP, change: IFF.UP, mtu: 9000, address: "02:00:00:00:00:01", name: "x", master: 9 });
  });
  test("truncated ifinfomsg", () => {
    expect(parse(nlmsg(RTM.NEWLINK, 0, 1, new Uint8Array(10)))).toEqual({ ok: false, reason: "ifinfomsg truncated: 10 bytes, need 16" });
  });
  test("IFLA_MTU of 2 bytes", () => {
    const r = parse(nlmsg(RTM.NEWLINK, 0, 1, concatBytes(new Uint8Array(16), nla(IFLA.MTU, new Uint8Array(2)))));
    expect(r).toEqual({ ok: false, reason: "IFLA: attribute 4 has 2 bytes, need 4" });
  });
  test("IFLA_LINKINFO whose nested attribute overflows it", () => {
    const bad = nla(IFLA.LINKINFO, Uint8Array.of(40, 0, 1, 0, 0x6d, 0x61));
    const r = parse(nlmsg(RTM.NEWLINK, 0, 1, concatBytes(new Uint8Array(16), bad)));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain("IFLA/IFLA_LINKINFO: nla_len 40 (type 1) at offset 0 runs past the 6-byte buffer");
  });
  test("macvlan IFLA_INFO_DATA malformed", () => {
    const info = nlaNested(IFLA.LINKINFO, [nlaString(1, "macvlan"), nla(2, Uint8Array.of(8, 0, 1, 0, 1))]);
    const r = parse(nlmsg(RTM.NEWLINK, 0, 1, concatBytes(new Uint8Array(16), info)));
    expect(r.ok).toBe(false);
  });
});
