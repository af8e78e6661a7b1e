import { describe, expect, test } from "bun:test";
import { collectDump, nlmsg, NLMSG_ERROR, parseNlError, splitMessages } from "../../../src/proto/netlink.ts";
import { concatBytes, nla, nlaNested, nlaString, nlaU16, nlaU32 } from "../../../src/proto/netlink-attr.ts";
import {
  CTRL_ATTR,
  CTRL_CMD,
  encodeFamilyDump,
  encodeGetFamily,
  encodeGetFamilyById,
  GENL_ID_CTRL,
  genlmsg,
  parseFamily,
  parseGenl,
} from "../../../src/proto/genl.ts";
import { IPVS_GENL_NAME } from "../../../src/proto/ipvs.ts";
import { findDatagram, loadFixture, normalise, replyTo, toHex } from "../../support/proto/netlink-fixture.ts";

const SEQ = 41;

describe("CTRL_CMD_GETFAMILY requests match captures", () => {
  test("genl ctrl get name nlctrl (version 0)", () => {
    const captured = normalise(findDatagram(loadFixture("genl-get-nlctrl"), "send", GENL_ID_CTRL), SEQ);
    expect(toHex(encodeGetFamily("nlctrl", SEQ, { version: 0 }))).toBe(toHex(captured));
  });
  test("ipvsadm's IPVS lookup (libnl: version 1, its port id in nlmsg_pid)", () => {
    const raw = findDatagram(loadFixture("ipvsadm-add-service"), "send", GENL_ID_CTRL);
    const pid = new DataView(raw.buffer).getUint32(12, true);
    expect(toHex(encodeGetFamily(IPVS_GENL_NAME, SEQ, { pid }))).toBe(toHex(normalise(raw, SEQ, pid)));
    const list = findDatagram(loadFixture("ipvsadm-list"), "send", GENL_ID_CTRL);
    expect(toHex(encodeGetFamily(IPVS_GENL_NAME, SEQ))).toBe(toHex(normalise(list, SEQ)));
  });
  test("genl ctrl list (dump)", () => {
    const captured = normalise(findDatagram(loadFixture("genl-dump"), "send", GENL_ID_CTRL), SEQ);
    expect(toHex(encodeFamilyDump(SEQ, 0))).toBe(toHex(captured));
  });
});

describe("controller replies", () => {
  test("nlctrl describes itself: id 0x10, ops, multicast group notify", () => {
    const m = splitMessages(replyTo(loadFixture("genl-get-nlctrl"), GENL_ID_CTRL)[0]!);
    if (!m.ok) throw new Error(m.reason);
    const f = parseFamily(m.value[0]!);
    expect(f).toEqual({
      ok: true,
      value: {
        id: 0x10,
        name: "nlctrl",
        version: 2,
        hdrSize: 0,
        maxAttr: expect.any(Number),
        ops: [{ id: CTRL_CMD.GETFAMILY, flags: expect.any(Number) }, { id: 10, flags: expect.any(Number) }],
        mcastGroups: [{ name: "notify", id: 0x10 }],
      },
    });
  });
  test("family dump: every family parses, nlctrl among them", () => {
    const d = collectDump(replyTo(loadFixture("genl-dump"), GENL_ID_CTRL));
    if (!d.ok) throw new Error(d.reason);
    const fams = d.value.messages.map((m) => parseFamily(m)).map((r) => (r.ok ? r.value : r.reason));
    expect(fams.every((f) => typeof f !== "string")).toBe(true);
    expect(fams.map((f) => (typeof f === "string" ? f : f.name))).toContain("nlctrl");
    expect(fams.length).toBeGreaterThan(3);
  });
  test("IPVS is not registered on this kernel: ENOENT with the request echoed", () => {
    const r = splitMessages(replyTo(loadFixture("ipvsadm-add-service"), GENL_ID_CTRL)[0]!);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value[0]!.header.type).toBe(NLMSG_ERROR);
    const e = parseNlError(r.value[0]!);
    expect(e.ok && e.value.errno).toBe(2);
    const echoed = e.ok ? parseGenl({ header: e.value.request, payload: e.value.requestPayload }) : undefined;
    expect(echoed?.ok && echoed.value.cmd).toBe(CTRL_CMD.GETFAMILY);
  });
});

describe("round trip and malformed input", () => {
  const fam = (attrs: Uint8Array) => {
    const m = splitMessages(genlmsg(GENL_ID_CTRL, CTRL_CMD.NEWFAMILY, 2, 0, 1, attrs));
    return m.ok ? parseFamily(m.value[0]!) : m;
  };
  test("a constructed IPVS family reply", () => {
    const attrs = concatBytes(
      nlaString(CTRL_ATTR.FAMILY_NAME, "IPVS"),
      nlaU16(CTRL_ATTR.FAMILY_ID, 0x1d),
      nlaU32(CTRL_ATTR.VERSION, 1),
      nlaU32(CTRL_ATTR.HDRSIZE, 0),
      nlaU32(CTRL_ATTR.MAXATTR, 6),
      nlaNested(CTRL_ATTR.OPS, [nlaNested(1, [nlaU32(1, 1), nlaU32(2, 0xa)]), nlaNested(2, [nlaU32(1, 4), nlaU32(2, 0xe)])]),
    );
    expect(fam(attrs)).toEqual({
      ok: true,
      value: { id: 0x1d, name: "IPVS", version: 1, hdrSize: 0, maxAttr: 6, ops: [{ id: 1, flags: 0xa }, { id: 4, flags: 0xe }], mcastGroups: [] },
    });
  });
  test("request by id", () => {
    const m = splitMessages(encodeGetFamilyById(0x1d, 3));
    const g = m.ok ? parseGenl(m.value[0]!) : m;
    expect(g.ok && g.value.cmd).toBe(CTRL_CMD.GETFAMILY);
    expect(g.ok && toHex(g.value.attrs)).toBe("060001001d000000");
  });
  test("missing family id", () => {
    expect(fam(nlaString(CTRL_ATTR.FAMILY_NAME, "x"))).toEqual({
      ok: false,
      reason: "CTRL_ATTR: family reply without CTRL_ATTR_FAMILY_ID or CTRL_ATTR_FAMILY_NAME",
    });
  });
  test("truncated genl header", () => {
    const m = splitMessages(nlmsg(GENL_ID_CTRL, 0, 1, Uint8Array.of(1, 2)));
    expect(m.ok && parseFamily(m.value[0]!)).toEqual({ ok: false, reason: "genlmsghdr truncated: 2 bytes, need 4" });
  });
  test("multicast group entry overflowing its nest", () => {
    const bad = nlaNested(CTRL_ATTR.MCAST_GROUPS, [nla(1, Uint8Array.of(30, 0, 1, 0))]);
    const r = fam(concatBytes(nlaString(CTRL_ATTR.FAMILY_NAME, "x"), nlaU16(CTRL_ATTR.FAMILY_ID, 1), bad));
    expect(r.ok).toBe(false);
  });
  test("not a NEWFAMILY", () => {
    const m = splitMessages(genlmsg(GENL_ID_CTRL, CTRL_CMD.GETFAMILY, 1, 0, 1, new Uint8Array(0)));
    expect(m.ok && parseFamily(m.value[0]!).ok).toBe(false);
  });
});
