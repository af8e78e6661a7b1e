import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { collectDump, NLM_F, splitMessages } from "../../../src/proto/netlink.ts";
import { nla, nlaNested, nlaU16 } from "../../../src/proto/netlink-attr.ts";
import {
  encodeIpvsDelDaemon,
  encodeIpvsDelDest,
  encodeIpvsDelService,
  encodeIpvsFlush,
  encodeIpvsGetConfig,
  encodeIpvsGetDaemon,
  encodeIpvsGetDests,
  encodeIpvsGetInfo,
  encodeIpvsGetService,
  encodeIpvsNewDaemon,
  encodeIpvsNewDest,
  encodeIpvsNewService,
  encodeIpvsSetConfig,
  encodeIpvsSetDest,
  encodeIpvsSetService,
  encodeIpvsZero,
  fwdMethodName,
  IP_VS_STATE,
  IP_VS_SVC_F,
  IP_VS_TUNNEL_TYPE,
  IPVS_CMD,
  IPVS_CMD_ATTR,
  type IpvsDest,
  ipvsMsg,
  type IpvsService,
  type IpvsServiceKey,
} from "../../../src/proto/ipvs.ts";
import { parseIpvsConfig, parseIpvsDaemon, parseIpvsDest, parseIpvsInfo, parseIpvsService } from "../../../src/proto/ipvs-parse.ts";
import { fromHex, toHex } from "../../support/proto/netlink-fixture.ts";

const FIX = JSON.parse(readFileSync(join(import.meta.dir, "../../fixtures/netlink/ipvs-constructed.json"), "utf8")) as {
  family: number;
  seq: number;
  vectors: { name: string; command: string; hex: string }[];
};
const FAM = FIX.family;
const SEQ = FIX.seq;
const vec = (name: string): string => {
  const v = FIX.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v.hex;
};
const msgs = (hex: string) => {
  const r = splitMessages(fromHex(hex));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

const TCP80: IpvsServiceKey = { af: 2, protocol: 6, addr: "192.0.2.1", port: 80 };
const RR: IpvsService = { ...TCP80, sched: "rr", flags: 0, timeout: 0, netmask: 0xffffffff };
const MASQ: IpvsDest = { addr: "198.51.100.10", port: 8080, fwd: "masq", weight: 5, uThresh: 100, lThresh: 10 };

describe("encoders match the constructed ip_vs.h vectors", () => {
  const cases: [string, Uint8Array][] = [
    ["new-service-tcp", encodeIpvsNewService(FAM, SEQ, RR)],
    [
      "new-service-fwmark-persistent",
      encodeIpvsNewService(FAM, SEQ, {
        af: 2,
        fwmark: 10,
        sched: "wlc",
        flags: IP_VS_SVC_F.PERSISTENT,
        timeout: 300,
        netmask: 0xffffff00,
      }),
    ],
    [
      "new-service-udp6-sh-port",
      encodeIpvsNewService(FAM, SEQ, {
        af: 10,
        protocol: 17,
        addr: "2001:db8::1",
        port: 53,
        sched: "sh",
        flags: IP_VS_SVC_F.SCHED2,
        timeout: 0,
        netmask: 128,
      }),
    ],
    [
      "new-service-sip-pe",
      encodeIpvsNewService(FAM, SEQ, {
        af: 2,
        protocol: 17,
        addr: "192.0.2.1",
        port: 5060,
        sched: "rr",
        peName: "sip",
        flags: IP_VS_SVC_F.PERSISTENT,
        timeout: 60,
        netmask: 0xffffffff,
      }),
    ],
    ["set-service", encodeIpvsSetService(FAM, SEQ, { ...RR, sched: "wrr" })],
    ["del-service", encodeIpvsDelService(FAM, SEQ, TCP80)],
    ["get-service-one", encodeIpvsGetService(FAM, SEQ, TCP80)],
    ["get-services", encodeIpvsGetService(FAM, SEQ)],
    ["new-dest-masq", encodeIpvsNewDest(FAM, SEQ, TCP80, MASQ)],
    [
      "new-dest-gue",
      encodeIpvsNewDest(FAM, SEQ, TCP80, {
        addr: "198.51.100.11",
        port: 80,
        fwd: "tunnel",
        weight: 1,
        uThresh: 0,
        lThresh: 0,
        tunType: IP_VS_TUNNEL_TYPE.GUE,
        tunPort: 6080,
        tunFlags: 1,
      }),
    ],
    ["set-dest-route", encodeIpvsSetDest(FAM, SEQ, TCP80, { addr: "198.51.100.10", port: 80, fwd: "route", weight: 0, uThresh: 0, lThresh: 0 })],
    [
      "new-dest-v6-over-v4",
      encodeIpvsNewDest(FAM, SEQ, TCP80, {
        addr: "2001:db8::20",
        port: 80,
        fwd: "tunnel",
        weight: 1,
        uThresh: 0,
        lThresh: 0,
        addrFamily: 10,
      }),
    ],
    ["del-dest", encodeIpvsDelDest(FAM, SEQ, TCP80, { addr: "198.51.100.10", port: 8080 })],
    ["get-dests", encodeIpvsGetDests(FAM, SEQ, TCP80)],
    [
      "new-daemon",
      encodeIpvsNewDaemon(FAM, SEQ, {
        state: IP_VS_STATE.MASTER,
        mcastIfn: "veth0",
        syncId: 5,
        syncMaxLen: 1472,
        mcastGroup: "224.0.0.81",
        mcastPort: 8848,
        mcastTtl: 1,
      }),
    ],
    ["new-daemon-v6", encodeIpvsNewDaemon(FAM, SEQ, { state: IP_VS_STATE.BACKUP, mcastIfn: "veth0", syncId: 0, mcastGroup: "ff02::8:51" })],
    ["del-daemon", encodeIpvsDelDaemon(FAM, SEQ, IP_VS_STATE.BACKUP)],
    ["get-daemon", encodeIpvsGetDaemon(FAM, SEQ)],
    ["set-config", encodeIpvsSetConfig(FAM, SEQ, { tcp: 900, tcpFin: 120, udp: 300 })],
    ["get-config", encodeIpvsGetConfig(FAM, SEQ)],
    ["get-info", encodeIpvsGetInfo(FAM, SEQ)],
    ["zero-all", encodeIpvsZero(FAM, SEQ)],
    ["zero-one", encodeIpvsZero(FAM, SEQ, TCP80)],
    ["flush", encodeIpvsFlush(FAM, SEQ)],
  ];
  for (const [name, ours] of cases) {
    test(name, () => expect(toHex(ours)).toBe(vec(name)));
  }
});

describe("requests parse back into the same typed values", () => {
  test("service", () => {
    const s = { af: 2, protocol: 17, addr: "192.0.2.1", port: 5060, sched: "rr", peName: "sip", flags: 1, timeout: 60, netmask: 0xffffff00 };
    expect(parseIpvsService(msgs(toHex(encodeIpvsNewService(FAM, 1, s)))[0]!)).toEqual({ ok: true, value: s });
  });
  test("IPv6 service keeps the prefix-length netmask", () => {
    const s = { af: 10, protocol: 6, addr: "2001:db8::1", port: 443, sched: "mh", flags: 0x18, timeout: 0, netmask: 64 };
    expect(parseIpvsService(msgs(toHex(encodeIpvsSetService(FAM, 1, s)))[0]!)).toEqual({ ok: true, value: s });
  });
  test("destination with its service key", () => {
    const r = parseIpvsDest(msgs(vec("new-dest-gue"))[0]!);
    expect(r).toEqual({
      ok: true,
      value: {
        service: { ...TCP80, sched: "", flags: 0, timeout: 0, netmask: 0 },
        dest: { addr: "198.51.100.11", port: 80, fwd: "tunnel", weight: 1, uThresh: 0, lThresh: 0, tunType: 1, tunPort: 6080, tunFlags: 1 },
      },
    });
  });
  test("IPv6 real server behind an IPv4 service", () => {
    const r = parseIpvsDest(msgs(vec("new-dest-v6-over-v4"))[0]!);
    expect(r.ok && r.value.dest).toMatchObject({ addr: "2001:db8::20", addrFamily: 10, fwd: "tunnel" });
  });
  test("daemon, config", () => {
    expect(parseIpvsDaemon(msgs(vec("new-daemon-v6"))[0]!)).toEqual({
      ok: true,
      value: { state: 2, mcastIfn: "veth0", syncId: 0, mcastGroup: "ff02::8:51" },
    });
    expect(parseIpvsConfig(msgs(vec("set-config"))[0]!)).toEqual({ ok: true, value: { tcp: 900, tcpFin: 120, udp: 300 } });
  });
  test("dump requests carry NLM_F_DUMP, commands NLM_F_ACK", () => {
    expect(msgs(vec("get-services"))[0]!.header.flags).toBe(NLM_F.REQUEST | NLM_F.DUMP);
    expect(msgs(vec("flush"))[0]!.header.flags).toBe(NLM_F.REQUEST | NLM_F.ACK);
  });
});

describe("constructed kernel replies", () => {
  test("service dump: stats64 preferred, fwmark service, PAD attribute tolerated", () => {
    const d = collectDump(fromHex(vec("reply-services-dump")));
    if (!d.ok) throw new Error(d.reason);
    expect(d.value.done).toBe(true);
    const svcs = d.value.messages.map((m) => parseIpvsService(m));
    expect(svcs[0]).toEqual({
      ok: true,
      value: {
        ...TCP80,
        sched: "wlc",
        flags: IP_VS_SVC_F.HASHED,
        timeout: 0,
        netmask: 0xffffffff,
        stats: { conns: 12, inPkts: 340, outPkts: 300, inBytes: 45000, outBytes: 380000, cps: 1, inPps: 2, outPps: 3, inBps: 400, outBps: 5000 },
      },
    });
    expect(svcs[1]).toEqual({
      ok: true,
      value: {
        af: 2,
        fwmark: 10,
        sched: "wlc",
        flags: 3,
        timeout: 300,
        netmask: 0xffffff00,
        stats: { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 },
      },
    });
  });
  test("dest dump", () => {
    const d = collectDump(fromHex(vec("reply-dests-dump")));
    if (!d.ok) throw new Error(d.reason);
    const r = parseIpvsDest(d.value.messages[0]!);
    expect(r).toEqual({
      ok: true,
      value: {
        dest: {
          addr: "198.51.100.10",
          port: 8080,
          fwd: "masq",
          weight: 5,
          uThresh: 100,
          lThresh: 10,
          addrFamily: 2,
          tunType: 0,
          tunPort: 0,
          tunFlags: 0,
          activeConns: 3,
          inactConns: 7,
          persistConns: 0,
          stats: { conns: 9, inPkts: 90, outPkts: 80, inBytes: 9000, outBytes: 80000, cps: 0, inPps: 1, outPps: 1, inBps: 100, outBps: 800 },
        },
      },
    });
  });
  test("daemon, config and info replies", () => {
    const d = collectDump(fromHex(vec("reply-daemon")));
    if (!d.ok) throw new Error(d.reason);
    expect(parseIpvsDaemon(d.value.messages[0]!)).toEqual({
      ok: true,
      value: { state: 1, mcastIfn: "veth0", syncId: 5, syncMaxLen: 1472, mcastGroup: "224.0.0.81", mcastPort: 8848, mcastTtl: 1 },
    });
    expect(parseIpvsConfig(msgs(vec("reply-config"))[0]!)).toEqual({ ok: true, value: { tcp: 900, tcpFin: 120, udp: 300 } });
    expect(parseIpvsInfo(msgs(vec("reply-info"))[0]!)).toEqual({ ok: true, value: { version: 0x010201, connTabSize: 4096 } });
  });
});

describe("malformed IPVS messages", () => {
  const one = (b: Uint8Array) => msgs(toHex(b))[0]!;
  test("wrong command", () => {
    expect(parseIpvsService(one(encodeIpvsFlush(FAM, 1)))).toEqual({ ok: false, reason: "IPVS command 17 is not a service message" });
  });
  test("service nest missing", () => {
    expect(parseIpvsService(one(ipvsMsg(FAM, IPVS_CMD.NEW_SERVICE, 0, 1)))).toEqual({
      ok: false,
      reason: "IPVS service message without IPVS_CMD_ATTR_SERVICE",
    });
  });
  test("service without AF", () => {
    const b = ipvsMsg(FAM, IPVS_CMD.NEW_SERVICE, 0, 1, nlaNested(IPVS_CMD_ATTR.SERVICE, [nlaU16(2, 6)]));
    expect(parseIpvsService(one(b))).toEqual({ ok: false, reason: "IPVS service without IPVS_SVC_ATTR_AF" });
  });
  test("IPv6 service address of 4 bytes", () => {
    const b = ipvsMsg(FAM, IPVS_CMD.NEW_SERVICE, 0, 1, nlaNested(IPVS_CMD_ATTR.SERVICE, [nlaU16(1, 10), nlaU16(2, 6), nla(3, Uint8Array.of(1, 2, 3, 4))]));
    expect(parseIpvsService(one(b))).toEqual({
      ok: false,
      reason: "IPVS_CMD_ATTR/SERVICE: attribute 3: address of 4 bytes for family 10",
    });
  });
  test("unknown forwarding method", () => {
    const b = ipvsMsg(FAM, IPVS_CMD.NEW_DEST, 0, 1, nlaNested(IPVS_CMD_ATTR.DEST, [nla(1, new Uint8Array(16)), nla(3, Uint8Array.of(7, 0, 0, 0))]));
    expect(parseIpvsDest(one(b))).toEqual({ ok: false, reason: "IPVS dest: unknown forwarding method 7" });
  });
  test("nested stats overflow", () => {
    const b = ipvsMsg(FAM, IPVS_CMD.NEW_SERVICE, 0, 1, nlaNested(IPVS_CMD_ATTR.SERVICE, [nlaU16(1, 2), nla(10, Uint8Array.of(20, 0, 1, 0, 0, 0, 0, 0))]));
    const r = parseIpvsService(one(b));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain("STATS");
  });
  test("forwarding method names", () => {
    expect([0, 1, 2, 3, 4, 5].map(fwdMethodName)).toEqual(["masq", "local", "tunnel", "route", "bypass", undefined]);
  });
});
