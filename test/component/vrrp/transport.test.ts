/**
 * VrrpTransport on real raw sockets over loopback (root): the repeat detection sees through the IPv4 id
 * and header checksum the kernel changes on every datagram, not through a changed advert, and every
 * datagram carries the kernel's receive time.
 */
import { describe, expect, test } from "bun:test";
import { encodeVrrp } from "../../../src/proto/vrrp.ts";
import { type RxPacket, VrrpTransport } from "../../../src/vrrp/transport.ts";

const advert = (vrid: number, priority: number) =>
  encodeVrrp({
    version: 3,
    family: "ipv4",
    vrid,
    priority,
    advertIntervalCs: 100,
    addresses: ["192.0.2.100"],
    src: "127.0.0.1",
    dst: "127.0.0.1",
  });

describe("VrrpTransport", () => {
  test("repeats are offered to onRepeat with their receive time; changes and refusals are decoded", async () => {
    const t = new VrrpTransport({ family: "ipv4", ifname: "lo", ifindex: 1, src: "127.0.0.1", ah: false });
    // The kernel turns receive timestamping on for the host in a deferred work item when the first
    // socket asks (net_enable_timestamp); until it has run, datagrams are stamped when read. When other
    // sockets that asked have just closed, that can be now: give it a moment.
    await Bun.sleep(50);
    try {
      const decoded: RxPacket[] = [];
      const repeats: { vrid: number; at: number }[] = [];
      let accept = true;
      // Other test files send VRRP on loopback too: only VRIDs 7 and 8 are this test's.
      const mine = (vrid: number | undefined) => vrid === 7 || vrid === 8;
      const drain = () =>
        t.drain((p) => void (mine(p.payload[1]) && decoded.push(p)), () => {}, (vrid, at) => {
          if (mine(vrid)) repeats.push({ vrid, at });
          return mine(vrid) ? accept : false;
        });
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) t.send(advert(7, 150), "127.0.0.1");
      t.send(advert(8, 150), "127.0.0.1"); // another VRID: its first datagram
      t.send(advert(7, 0), "127.0.0.1"); // the same VRID, changed
      await Bun.sleep(60);
      drain();
      expect(decoded.map((p) => [p.payload[1], p.payload[2]])).toEqual([[7, 150], [8, 150], [7, 0]]);
      expect(repeats.map((r) => r.vrid)).toEqual([7, 7]);
      for (const r of repeats) {
        expect(r.at).toBeGreaterThanOrEqual(t0 - 1);
        expect(r.at).toBeLessThanOrEqual(performance.now());
      }
      expect(decoded[0]!.at! - t0).toBeLessThan(50); // received before the 60 ms sleep, read after it
      // A repeat nobody can replay is decoded after all.
      accept = false;
      t.send(advert(7, 0), "127.0.0.1");
      await Bun.sleep(5);
      drain();
      expect(repeats).toHaveLength(3);
      expect(decoded).toHaveLength(4);
      expect(decoded[3]!.payload[2]).toBe(0);
    } finally {
      t.close();
    }
  });

  test("the priority-0 socket hears only adverts of priority 0", async () => {
    const t = new VrrpTransport({ family: "ipv4", ifname: "lo", ifindex: 1, src: "127.0.0.1", ah: false });
    try {
      const u = t.urgent!;
      expect(u).toBeDefined();
      for (let i = 0; i < 3; i++) t.send(advert(11, 150), "127.0.0.1");
      t.send(advert(11, 0), "127.0.0.1");
      await Bun.sleep(30);
      const seen: [number, number][] = [];
      for (let n = u.recvInPlace(); n >= 0; n = u.recvInPlace()) {
        const d = u.received, off = (d[0]! & 0x0f) * 4; // the IPv4 header, then VRRP
        seen.push([d[off + 1]!, d[off + 2]!]);
      }
      // Other test files send VRRP on loopback too: whatever came through has priority 0, and ours did.
      expect(seen.every(([, prio]) => prio === 0)).toBe(true);
      expect(seen.filter(([vrid]) => vrid === 11)).toEqual([[11, 0]]);
      expect(t.drain(() => {}, () => {})).toBeGreaterThanOrEqual(4); // the receive socket has all four
    } finally {
      t.close();
    }
  });

  test("VRIDs nobody wants are dropped unread; a full queue's drops are counted (SO_RXQ_OVFL); SO_RCVBUF is set", async () => {
    const t = new VrrpTransport({ family: "ipv4", ifname: "lo", ifindex: 1, src: "127.0.0.1", ah: false });
    try {
      const decoded: RxPacket[] = [];
      const drain = () => t.drain((p) => decoded.push(p), () => {}, undefined, (vrid) => vrid === 7);
      t.send(advert(9, 150), "127.0.0.1");
      t.send(advert(7, 150), "127.0.0.1");
      await Bun.sleep(30);
      expect(drain()).toBe(2);
      expect(decoded.map((p) => p.payload[1])).toEqual([7]);
      expect(t.rxDrops).toBe(0);
      const granted = t.setRxBuffer(4096);
      expect(granted).toBeGreaterThanOrEqual(4096); // the kernel doubles it (and has a floor)
      expect(t.rxBufferBytes()).toBe(granted);
      for (let i = 0; i < 500; i++) t.send(advert(9, 150), "127.0.0.1");
      await Bun.sleep(30);
      drain(); // what fitted; those were queued before the drops
      t.send(advert(7, 100), "127.0.0.1"); // queued after them: it carries the count
      await Bun.sleep(30);
      drain();
      expect(t.rxDrops).toBeGreaterThan(0);
      expect(decoded.at(-1)!.payload[2]).toBe(100);
    } finally {
      t.close();
    }
  });
});
