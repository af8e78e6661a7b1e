/**
 * The receive path's verdicts (src/vrrp/receive.ts): every drop reason reached from a crafted packet,
 * each counted under the keepalived counter RX_COUNTER names (and no other), accepted adverts counted
 * as received, ignored packets not counted at all.
 */
import { describe, expect, test } from "bun:test";
import type { VrrpInstance } from "../../../src/config/model.ts";
import { encodeAhPacket } from "../../../src/proto/ah.ts";
import { encodeVrrp, vrrpChecksum, type VrrpEncodeInput } from "../../../src/proto/vrrp.ts";
import { countVerdict, judgeAdvert, newStats, receiveContext, RX_COUNTER, type RxVerdict, type VrrpRxReason } from "../../../src/vrrp/receive.ts";
import type { RxPacket } from "../../../src/vrrp/transport.ts";
import { loadText } from "../../support/config/helpers.ts";

const OWN = "192.0.2.1";
const PEER = "192.0.2.9";
const MCAST = "224.0.0.18";
const VIPS = ["192.0.2.100", "192.0.2.101"];

function instance(extra: string, version: 2 | 3 = 2): VrrpInstance {
  const r = loadText(
    `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n priority 100\n advert_int 1\n version ${version}\n${extra}\n virtual_ipaddress {\n  192.0.2.100/24\n  192.0.2.101/24\n }\n}\n`,
    {},
    {},
    ["eth0"],
  );
  const cfg = r.config.vrrp.instances[0];
  if (!cfg) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return cfg;
}

const msg = (o: Partial<VrrpEncodeInput> = {}) =>
  encodeVrrp({
    version: 2,
    family: "ipv4",
    vrid: 7,
    priority: 150,
    advertIntervalCs: 100,
    addresses: VIPS,
    src: PEER,
    dst: MCAST,
    ...o,
  });
const pkt = (payload: Uint8Array, o: Partial<RxPacket> = {}): RxPacket => ({
  family: "ipv4",
  payload,
  src: PEER,
  dst: MCAST,
  ttl: 255,
  ifindex: 2,
  ...o,
});
/** Sets byte `i` and fixes the v2 checksum, so only the intended check fails. */
function mutate(m: Uint8Array, i: number, val: number): Uint8Array {
  const out = m.slice();
  out[i] = val;
  const s = vrrpChecksum(out, { version: 2, family: "ipv4" })!;
  out[6] = s >> 8;
  out[7] = s & 0xff;
  return out;
}
const judge = (cfg: VrrpInstance, p: RxPacket) => judgeAdvert(receiveContext(cfg, "ipv4"), p, OWN);
const reasonOf = (v: RxVerdict) => (v.kind === "dropped" ? v.reason : v.kind);

const plain = instance("");
const pass = instance(" authentication {\n  auth_type PASS\n  auth_pass secret1\n }");
const ah = instance(" authentication {\n  auth_type AH\n  auth_pass secret1\n }");
const strictPeer = instance(
  " unicast_src_ip 192.0.2.1\n check_unicast_src\n unicast_peer {\n  192.0.2.8\n }",
);
const ttlPeer = instance(
  " unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.9 min_ttl 64 max_ttl 255\n }",
);
const v3 = instance("", 3);
const v3msg = () => msg({ version: 3 });

/** One crafted packet per reason, with the instance that judges it. */
const CASES: Record<VrrpRxReason, () => [VrrpInstance, RxPacket]> = {
  "bad-ttl": () => [plain, pkt(msg(), { ttl: 254 })],
  "truncated": () => [plain, pkt(msg().subarray(0, 6))],
  "bad-length": () => [plain, pkt(msg().subarray(0, 20))],
  "bad-version": () => [plain, pkt(v3msg())],
  "bad-type": () => [plain, pkt(mutate(msg(), 0, 0x22))],
  "bad-pseudo-header": () => [v3, pkt(v3msg(), { src: "not-an-address" })],
  "bad-checksum": () => [plain, pkt(mutate(msg(), 2, 150).map((b, i) => (i === 7 ? b ^ 1 : b)))],
  "invalid-auth-type": () => [plain, pkt(mutate(msg(), 4, 5))],
  "auth-type-mismatch": () => [pass, pkt(msg())],
  "auth-failure": () => [pass, pkt(msg({ auth: { type: "pass", password: "wrong" } }))],
  "ah-failure": () => {
    const vrrp = msg({ auth: { type: "ah" } });
    const datagram = encodeAhPacket({ src: PEER, dst: MCAST, id: 1, seq: 1, password: "wrong", vrrp });
    return [ah, pkt(new Uint8Array(), { ahDatagram: datagram })];
  },
  "not-unicast-peer": () => [strictPeer, pkt(msg({ dst: OWN }), { dst: OWN })],
  "advert-interval": () => [plain, pkt(msg({ advertIntervalCs: 200 }))],
};

describe("every drop reason from a crafted packet", () => {
  for (const [reason, make] of Object.entries(CASES) as [VrrpRxReason, () => [VrrpInstance, RxPacket]][]) {
    test(`${reason} -> ${RX_COUNTER[reason]}`, () => {
      const [cfg, p] = make();
      const v = judge(cfg, p);
      expect(reasonOf(v)).toBe(reason);
      const stats = newStats();
      countVerdict(stats, v);
      const counted = Object.entries(stats).filter(([, n]) => n > 0).map(([k]) => k).sort();
      // A well-formed advert for our VRID (the v2 interval check) still counts as received, as keepalived counts it.
      const received = reason === "advert-interval" ? ["advertRcvd"] : [];
      expect(counted).toEqual([RX_COUNTER[reason], ...received].sort());
      expect(Object.values(stats).reduce((a, b) => a + b, 0)).toBe(1 + received.length);
    });
  }

  test("a unicast peer's min_ttl is checked by the parser (bad-ttl)", () => {
    expect(reasonOf(judge(ttlPeer, pkt(msg({ dst: OWN }), { dst: OWN, ttl: 10 })))).toBe("bad-ttl");
    expect(reasonOf(judge(ttlPeer, pkt(msg({ dst: OWN }), { dst: OWN, ttl: 64 })))).toBe("accepted");
  });
});

describe("accepted and ignored packets", () => {
  test("a good advert is accepted and counted as received", () => {
    const v = judge(plain, pkt(msg()));
    expect(v).toMatchObject({
      kind: "accepted",
      event: {
        type: "advertReceived",
        priority: 150,
        advertIntervalCs: 100,
        srcAddress: PEER,
        addressListMatches: true,
      },
    });
    const stats = newStats();
    countVerdict(stats, v);
    expect(stats).toEqual({ ...newStats(), advertRcvd: 1 });
  });

  test("priority 0 counts pri0Rcvd; another address list counts addrListErr and is left to the machine", () => {
    const stats = newStats();
    countVerdict(stats, judge(plain, pkt(msg({ priority: 0 }))));
    const other = judge(plain, pkt(msg({ addresses: ["192.0.2.100", "192.0.2.102"] })));
    expect(other).toMatchObject({ kind: "accepted", event: { addressListMatches: false } });
    countVerdict(stats, other);
    expect(stats).toEqual({ ...newStats(), advertRcvd: 2, pri0Rcvd: 1, addrListErr: 1 });
  });

  test("the address list is compared as a set, in any order; skip_check_adv_addr skips it", () => {
    const reordered = judge(plain, pkt(msg({ addresses: [...VIPS].reverse() })));
    expect(reordered).toMatchObject({ event: { addressListMatches: true } });
    const twice = judge(plain, pkt(msg({ addresses: [VIPS[0]!, VIPS[0]!] })));
    expect(twice).toMatchObject({ event: { addressListMatches: false } });
    const skip = instance(" skip_check_adv_addr");
    expect(judge(skip, pkt(msg({ addresses: [] })))).toMatchObject({ event: { addressListMatches: true } });
  });

  test("our own advert and another VRID's are ignored and not counted", () => {
    const stats = newStats();
    const own = judge(plain, pkt(msg(), { src: OWN }));
    const otherVrid = judge(plain, pkt(msg({ vrid: 8 })));
    expect([own.kind, otherVrid.kind]).toEqual(["ignored", "ignored"]);
    countVerdict(stats, own);
    countVerdict(stats, otherVrid);
    expect(stats).toEqual(newStats());
  });

  test("an AH advert with the right ICV is accepted", () => {
    const vrrp = msg({ auth: { type: "ah" } });
    const datagram = encodeAhPacket({ src: PEER, dst: MCAST, id: 1, seq: 1, password: "secret1", vrrp });
    expect(judge(ah, pkt(new Uint8Array(), { ahDatagram: datagram })).kind).toBe("accepted");
  });
});
