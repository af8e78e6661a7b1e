/** AdvertBuilder: an unchanged advert is not encoded again; a new priority or source rebuilds it; AH datagrams are new each time. */
import { expect, test } from "bun:test";
import { loadText } from "../../support/config/helpers.ts";
import { AdvertBuilder } from "../../../src/vrrp/advert.ts";
import { encodeVrrp } from "../../../src/proto/vrrp.ts";
import { parseAhPacket } from "../../../src/proto/ah.ts";

function instance(extra: string, version = 3) {
  const r = loadText(
    `global_defs {\n vrrp_version ${version}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n priority 150\n advert_int 1\n${extra}\n virtual_ipaddress {\n  192.0.2.100/24\n  192.0.2.101/24\n }\n}\n`,
    {},
    {},
    ["eth0"],
  );
  return r.config!.vrrp.instances[0]!;
}

test("the kept bytes equal a fresh encoding and are rebuilt on a priority or source change", () => {
  const cfg = instance("");
  const b = new AdvertBuilder(cfg, "ipv4", ["192.0.2.100", "192.0.2.101"]);
  expect(b.dsts).toEqual(["224.0.0.18"]);
  const fresh = (priority: number, src: string) =>
    encodeVrrp({
      version: 3,
      family: "ipv4",
      vrid: 7,
      priority,
      advertIntervalCs: 100,
      addresses: ["192.0.2.100", "192.0.2.101"],
      src,
      dst: "224.0.0.18",
    });
  const a1 = b.datagram(150, "192.0.2.1", "224.0.0.18");
  expect(Array.from(a1)).toEqual(Array.from(fresh(150, "192.0.2.1")));
  expect(b.datagram(150, "192.0.2.1", "224.0.0.18")).toBe(a1);
  const a2 = b.datagram(90, "192.0.2.1", "224.0.0.18");
  expect(Array.from(a2)).toEqual(Array.from(fresh(90, "192.0.2.1")));
  const a3 = b.datagram(90, "192.0.2.2", "224.0.0.18");
  expect(Array.from(a3)).toEqual(Array.from(fresh(90, "192.0.2.2"))); // the v3 checksum covers the source
  expect(a3[7]).not.toBe(a2[7]);
  expect(Array.from(a1)).toEqual(Array.from(fresh(150, "192.0.2.1"))); // kept bytes never change
});

test("unicast peers are the destinations, each with its own checksum", () => {
  const cfg = instance(" unicast_peer {\n  192.0.2.2\n  192.0.2.3\n }");
  const b = new AdvertBuilder(cfg, "ipv4", ["192.0.2.100", "192.0.2.101"]);
  expect(b.dsts).toEqual(["192.0.2.2", "192.0.2.3"]);
  const x = b.datagram(150, "192.0.2.1", "192.0.2.2"), y = b.datagram(150, "192.0.2.1", "192.0.2.3");
  expect(x).not.toBe(y);
  expect(b.datagram(150, "192.0.2.1", "192.0.2.3")).toBe(y);
});

test("AH datagrams are built every time with a growing sequence number", () => {
  const cfg = instance(" authentication {\n  auth_type AH\n  auth_pass secret\n }", 2);
  const b = new AdvertBuilder(cfg, "ipv4", ["192.0.2.100", "192.0.2.101"]);
  const p1 = parseAhPacket(b.datagram(150, "192.0.2.1", "224.0.0.18"), "secret");
  const p2 = parseAhPacket(b.datagram(150, "192.0.2.1", "224.0.0.18"), "secret");
  if (!p1.ok || !p2.ok) throw new Error("AH datagram does not parse");
  expect(p2.value.ah.seq).toBe(p1.value.ah.seq + 1);
});
