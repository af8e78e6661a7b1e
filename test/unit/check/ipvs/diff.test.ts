import { describe, expect, test } from "bun:test";
import { describeOp, diffIpvs, ownedKeys } from "../../../../src/check/ipvs/diff.ts";
import { canonAddr, serviceKey } from "../../../../src/check/ipvs/kernel.ts";
import { IP_VS_SVC_F } from "../../../../src/proto/ipvs.ts";
import { entry, fwm, rs, tcp } from "../../../support/check/ipvs/helpers.ts";

const lines = (ops: ReturnType<typeof diffIpvs>) => ops.map(describeOp);

describe("diffIpvs", () => {
  test("an empty kernel gets every service, then its destinations", () => {
    const want = [
      entry(tcp("192.0.2.10", 80, "rr"), rs("127.0.0.2", 8080, 3)),
      entry(fwm(7, "wrr"), rs("127.0.0.3", 0, 2, "route")),
    ];
    expect(lines(diffIpvs(want, []))).toEqual([
      "addService tcp 192.0.2.10:80 rr",
      "addService fwmark 7 af2 wrr",
      "addDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w3",
      "addDest fwmark 7 af2 127.0.0.3:0 route w2",
    ]);
  });

  test("a matching table is adopted with no operation (HASHED and unused persistence fields ignored)", () => {
    const want = [entry(tcp("192.0.2.10", 80, "rr"), rs("127.0.0.2", 8080, 3))];
    const have = [
      entry(tcp("192.0.2.10", 80, "rr", { flags: IP_VS_SVC_F.HASHED, timeout: 0, netmask: 0xffffffff }), {
        ...rs("127.0.0.2", 8080, 3),
        activeConns: 5,
      }),
    ];
    expect(diffIpvs(want, have)).toEqual([]);
  });

  test("a weight change is one edit in place", () => {
    const want = [entry(tcp("192.0.2.10", 80), rs("127.0.0.2", 8080, 5), rs("127.0.0.3", 8080, 1))];
    const have = [entry(tcp("192.0.2.10", 80), rs("127.0.0.2", 8080, 1), rs("127.0.0.3", 8080, 1))];
    const ops = diffIpvs(want, have);
    expect(lines(ops)).toEqual(["editDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w5"]);
    expect(ops[0]!.why).toContain("weight 1 -> 5");
  });

  test("scheduler and persistence changes edit the service; forwarding edits the destination", () => {
    const want = [
      entry(
        tcp("192.0.2.10", 80, "wrr", { flags: IP_VS_SVC_F.PERSISTENT, timeout: 300 }),
        rs("127.0.0.2", 8080, 1, "route"),
      ),
    ];
    const have = [entry(tcp("192.0.2.10", 80, "rr"), rs("127.0.0.2", 8080, 1))];
    const ops = diffIpvs(want, have);
    expect(lines(ops)).toEqual([
      "editService tcp 192.0.2.10:80 wrr",
      "editDest tcp 192.0.2.10:80 127.0.0.2:8080 route w1",
    ]);
    expect(ops[0]!.why).toContain("scheduler rr -> wrr");
    expect(ops[0]!.why).toContain("timeout 0 -> 300 s");
  });

  test("new destinations are added before unwanted ones are removed", () => {
    const want = [entry(tcp("192.0.2.10", 80), rs("127.0.0.4", 8080))];
    const have = [entry(tcp("192.0.2.10", 80), rs("127.0.0.2", 8080))];
    expect(lines(diffIpvs(want, have))).toEqual([
      "addDest tcp 192.0.2.10:80 127.0.0.4:8080 masq w1",
      "delDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w1",
    ]);
  });

  test("services it does not own are never touched", () => {
    const foreign = entry(tcp("198.51.100.1", 443, "sh"), rs("127.0.0.9", 443));
    expect(diffIpvs([], [foreign])).toEqual([]);
    expect(diffIpvs([entry(tcp("192.0.2.10", 80))], [foreign]).map((o) => o.op)).toEqual(["addService"]);
  });

  test("a service owned before and no longer desired is removed, last", () => {
    const old = entry(tcp("192.0.2.11", 80), rs("127.0.0.2", 8080));
    const kept = entry(tcp("192.0.2.10", 80), rs("127.0.0.2", 8080, 2));
    const ops = diffIpvs(
      [entry(tcp("192.0.2.10", 80), rs("127.0.0.2", 8080, 3))],
      [old, kept],
      ownedKeys([old, kept]),
    );
    expect(lines(ops)).toEqual([
      "editDest tcp 192.0.2.10:80 127.0.0.2:8080 masq w3",
      "delService tcp 192.0.2.11:80",
    ]);
  });

  test("IPv6 addresses compare in canonical form", () => {
    const want = [entry(tcp("2001:0DB8::0010", 80), rs("2001:db8:0:0::2", 8080))];
    const have = [entry(tcp("2001:db8::10", 80), rs("2001:db8::2", 8080))];
    want[0]!.service.af = 10;
    have[0]!.service.af = 10;
    expect(diffIpvs(want, have)).toEqual([]);
    expect(serviceKey(have[0]!.service)).toBe("tcp [2001:db8::10]:80");
  });

  test("UDP and TCP on the same address and port are different services", () => {
    const want = [entry(tcp("192.0.2.10", 53, "rr", { protocol: 17 }))];
    const have = [entry(tcp("192.0.2.10", 53, "rr"))];
    expect(lines(diffIpvs(want, have))).toEqual(["addService udp 192.0.2.10:53 rr"]);
  });

  test("tunnel settings matter only for tunnel destinations", () => {
    const want = [
      entry(tcp("192.0.2.10", 80), { ...rs("127.0.0.2", 80, 1, "tunnel"), tunType: 1, tunPort: 6080 }),
    ];
    const have = [entry(tcp("192.0.2.10", 80), { ...rs("127.0.0.2", 80, 1, "tunnel"), tunType: 0 })];
    expect(diffIpvs(want, have)[0]!.why).toContain("tunnel type 0 -> 1");
    const masq = [entry(tcp("192.0.2.10", 80), { ...rs("127.0.0.2", 80), tunType: 1 })];
    expect(diffIpvs(masq, [entry(tcp("192.0.2.10", 80), rs("127.0.0.2", 80))])).toEqual([]);
  });
});

describe("canonAddr", () => {
  test("a canonical dotted quad is returned as it is; others are parsed and formatted", () => {
    for (const a of ["0.0.0.0", "127.1.39.14", "255.255.255.255", "10.0.0.1", "192.0.2.199"]) expect(canonAddr(a)).toBe(a);
    expect(canonAddr("127.001.002.003")).toBe(canonAddr(canonAddr("127.001.002.003")));
    expect(canonAddr("2001:DB8:0:0::1")).toBe("2001:db8::1");
    expect(canonAddr("::FFFF:192.0.2.1")).toBe(canonAddr("::ffff:192.0.2.1"));
    expect(canonAddr("not an address")).toBe("not an address");
    expect(canonAddr("256.1.1.1")).toBe("256.1.1.1");
  });
});
