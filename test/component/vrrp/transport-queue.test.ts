/**
 * VrrpTransport.queue on real raw sockets over loopback (root): queued adverts leave together when the
 * running callback returns (one sendmmsg), in order, and close() sends what is still queued. Other test
 * files send VRRP on loopback at the same time: only this test's VRIDs (201-204) are looked at.
 */
import { expect, test } from "bun:test";
import { encodeVrrp } from "../../../src/proto/vrrp.ts";
import { type RxPacket, VrrpTransport } from "../../../src/vrrp/transport.ts";

const advert = (vrid: number) => {
  const b = encodeVrrp({
    version: 3,
    family: "ipv4",
    vrid,
    priority: 150,
    advertIntervalCs: 100,
    addresses: ["192.0.2.100"],
    src: "127.0.0.1",
    dst: "127.0.0.1",
  });
  const own = new Uint8Array(new ArrayBuffer(b.length));
  own.set(b);
  return own;
};

test("queued adverts go out after the callback, in order, and close() flushes", async () => {
  const rx = new VrrpTransport({ family: "ipv4", ifname: "lo", ifindex: 1, src: "127.0.0.1", ah: false });
  const tx = new VrrpTransport({ family: "ipv4", ifname: "lo", ifindex: 1, src: "127.0.0.1", ah: false });
  try {
    const got: RxPacket[] = [];
    const ours = (p: RxPacket) => p.payload[1]! >= 201 && p.payload[1]! <= 204;
    const drain = () => rx.drain((p) => void (ours(p) && got.push(p)), () => {});
    const fail = (e: Error) => {
      throw e;
    };
    for (const vrid of [201, 202, 203]) tx.queue(advert(vrid), "127.0.0.1", fail);
    drain();
    expect(got.length).toBe(0); // still queued while this callback runs
    await Bun.sleep(30);
    drain();
    expect(got.map((p) => p.payload[1])).toEqual([201, 202, 203]);
    tx.queue(advert(204), "127.0.0.1", fail);
    tx.close();
    await Bun.sleep(30);
    drain();
    expect(got.map((p) => p.payload[1])).toEqual([201, 202, 203, 204]);
  } finally {
    rx.close();
    tx.close();
  }
});
