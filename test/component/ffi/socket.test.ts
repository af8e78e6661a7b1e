import { afterAll, describe, expect, test } from "bun:test";
import { Reactor } from "../../../src/ffi/reactor.ts";
import {
  cmsgPktInfo,
  cmsgTtl,
  IP_PKTINFO,
  IP_RECVTTL,
  ipMreqn,
  IPPROTO_IP,
  optionUnsupported,
  SO_TIMESTAMPNS,
  SOCK_DGRAM,
  Socket,
  SOL_SOCKET,
} from "../../../src/ffi/socket.ts";
import { sockaddrIn } from "../../../src/ffi/sockaddr.ts";
import { realtimeMs, SysError } from "../../../src/ffi/libc.ts";
import { NETLINK_ROUTE, NetlinkSocket } from "../../../src/ffi/netlink.ts";

const LO = Uint8Array.of(127, 0, 0, 1);
const reactor = new Reactor();
afterAll(() => reactor.close());

describe("Socket + Reactor", () => {
  test("recvmsg keeps source address, TTL and pktinfo; the reactor wakes the main thread", async () => {
    const rx = new Socket(2, SOCK_DGRAM, 0);
    rx.setInt(IPPROTO_IP, IP_RECVTTL, 1);
    rx.setInt(IPPROTO_IP, IP_PKTINFO, 1);
    rx.bind(sockaddrIn(LO, 0));
    const port = (rx.localAddress() as { port: number }).port;
    const tx = new Socket(2, SOCK_DGRAM, 0);
    tx.bind(sockaddrIn(LO, 0));
    const txPort = (tx.localAddress() as { port: number }).port;
    const got = new Promise<{ data: string; port: number; ttl?: number; dst?: string }>((resolve) => {
      reactor.add(rx.fd, () => {
        for (let d = rx.recv(); d; d = rx.recv()) {
          const info = cmsgPktInfo(d.cmsgs);
          resolve({
            data: new TextDecoder().decode(d.data),
            port: (d.from as { port: number }).port,
            ttl: cmsgTtl(d.cmsgs),
            dst: info ? Array.from(info.dst).join(".") : undefined,
          });
        }
      });
    });
    tx.sendTo(new TextEncoder().encode("hello"), sockaddrIn(LO, port));
    const r = await got;
    expect(r).toEqual({ data: "hello", port: txPort, ttl: 64, dst: "127.0.0.1" });
    reactor.remove(rx.fd);
    rx.close();
    tx.close();
  });
  test("a rate-limited reactor posts the first readiness at once and what follows within its window in one wake", async () => {
    const r = new Reactor(1_000_000); // a window far longer than this test needs between sends
    const open = () => {
      const s = new Socket(2, SOCK_DGRAM, 0);
      s.bind(sockaddrIn(LO, 0));
      return { s, port: (s.localAddress() as { port: number }).port };
    };
    const a = open(), b = open();
    const tx = new Socket(2, SOCK_DGRAM, 0);
    // Callbacks of one worker message run in one task: the microtask after them closes the batch.
    let batch = 0, closing = false;
    const seen: { what: string; batch: number }[] = [];
    const drain = (name: string, s: Socket) => () => {
      for (let d = s.recv(); d; d = s.recv()) seen.push({ what: `${name}:${new TextDecoder().decode(d.data)}`, batch });
      if (!closing) {
        closing = true;
        queueMicrotask(() => {
          batch++;
          closing = false;
        });
      }
    };
    r.add(a.s.fd, drain("a", a.s));
    r.add(b.s.fd, drain("b", b.s));
    await Bun.sleep(5);
    seen.length = 0;
    tx.sendTo(new TextEncoder().encode("1"), sockaddrIn(LO, a.port));
    for (let i = 0; i < 200 && !seen.length; i++) await Bun.sleep(5);
    expect(seen.map((x) => x.what)).toEqual(["a:1"]);
    tx.sendTo(new TextEncoder().encode("2"), sockaddrIn(LO, b.port));
    tx.sendTo(new TextEncoder().encode("3"), sockaddrIn(LO, a.port));
    for (let i = 0; i < 600 && seen.length < 3; i++) await Bun.sleep(5);
    expect(seen.map((x) => x.what).sort()).toEqual(["a:1", "a:3", "b:2"]);
    const later = seen.filter((x) => x.what !== "a:1");
    expect(later[0]!.batch).toBe(later[1]!.batch); // one message carrying both fds
    expect(later[0]!.batch).toBeGreaterThan(seen.find((x) => x.what === "a:1")!.batch);
    r.close();
    for (const s of [a.s, b.s, tx]) s.close();
  });
  test("an urgent fd is posted inside the window, ahead of a busy one's batch", async () => {
    const r = new Reactor(3_000_000); // a 3 s window: the urgent datagram must not wait for it
    const open = () => {
      const s = new Socket(2, SOCK_DGRAM, 0);
      s.bind(sockaddrIn(LO, 0));
      return { s, port: (s.localAddress() as { port: number }).port };
    };
    const a = open(), u = open();
    const tx = new Socket(2, SOCK_DGRAM, 0);
    const seen: string[] = [];
    const drain = (name: string, s: Socket) => () => {
      for (let d = s.recv(); d; d = s.recv()) seen.push(`${name}:${new TextDecoder().decode(d.data)}`);
    };
    r.add(a.s.fd, drain("a", a.s));
    r.add(u.s.fd, drain("u", u.s), true);
    await Bun.sleep(5);
    seen.length = 0;
    tx.sendTo(new TextEncoder().encode("1"), sockaddrIn(LO, a.port)); // opens the window
    for (let i = 0; i < 200 && !seen.length; i++) await Bun.sleep(5);
    tx.sendTo(new TextEncoder().encode("2"), sockaddrIn(LO, a.port)); // held until the window ends
    tx.sendTo(new TextEncoder().encode("3"), sockaddrIn(LO, u.port)); // urgent: posted at once
    for (let i = 0; i < 200 && !seen.includes("u:3"); i++) await Bun.sleep(5);
    expect(seen).toEqual(["a:1", "u:3"]); // a:2 still waits for the window
    for (let i = 0; i < 800 && !seen.includes("a:2"); i++) await Bun.sleep(5);
    expect(seen).toEqual(["a:1", "u:3", "a:2"]);
    r.close();
    for (const s of [a.s, u.s, tx]) s.close();
  });
  test("errors carry the errno name", () => {
    const s = new Socket(2, SOCK_DGRAM, 0);
    s.bind(sockaddrIn(LO, 0));
    const port = (s.localAddress() as { port: number }).port;
    const t = new Socket(2, SOCK_DGRAM, 0);
    let err: unknown;
    try {
      t.bind(sockaddrIn(LO, port));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SysError);
    expect((err as SysError).code).toBe("EADDRINUSE");
    s.close();
    t.close();
  });

  test("an option the kernel does not offer is reported, not thrown; a broken socket still throws", () => {
    const s = new Socket(2, SOCK_DGRAM, 0);
    expect(s.setIfOffered(SOL_SOCKET, SO_TIMESTAMPNS, 1)).toBeUndefined();
    // No such SOL_SOCKET option: the kernel answers ENOPROTOOPT, as qemu-user does for SO_TIMESTAMPNS.
    expect(s.setIfOffered(SOL_SOCKET, 9999, 1)).toMatch(/option 9999.*ENOPROTOOPT/);
    expect(s.setIfOffered(IPPROTO_IP, 9999, Uint8Array.of(1, 2, 3, 4))).toMatch(/ENOPROTOOPT/);
    s.close();
    expect(() => s.setIfOffered(SOL_SOCKET, SO_TIMESTAMPNS, 1)).toThrow(/EBADF/);
    expect(["ENOPROTOOPT", "EINVAL", "EOPNOTSUPP"].every(optionUnsupported)).toBe(true);
    expect(["EBADF", "ENOTSOCK", "ENOMEM", "EPERM"].some(optionUnsupported)).toBe(false);
  });

  test("ip_mreqn is 16 bytes: the 12 Linux reads, then zeros (qemu-user copies the index only then)", () => {
    const m = ipMreqn(Uint8Array.of(224, 0, 0, 18), 7);
    expect([...m]).toEqual([224, 0, 0, 18, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("in-place receive", () => {
  test("kernel receive timestamps; same origin ignores the timestamp but not the sender or the ancillary data", () => {
    const rx = new Socket(2, SOCK_DGRAM, 0);
    rx.setInt(SOL_SOCKET, SO_TIMESTAMPNS, 1);
    rx.setInt(IPPROTO_IP, IP_PKTINFO, 1);
    rx.setInt(IPPROTO_IP, IP_RECVTTL, 1);
    rx.bind(sockaddrIn(LO, 0));
    const to = sockaddrIn(LO, (rx.localAddress() as { port: number }).port);
    const open = () => {
      const t = new Socket(2, SOCK_DGRAM, 0);
      t.bind(sockaddrIn(LO, 0));
      return t;
    };
    const tx1 = open(), tx2 = open();
    const before = realtimeMs();
    tx1.sendTo(Uint8Array.of(1, 2, 3), to);
    expect(rx.recvInPlace()).toBe(3);
    expect([...rx.received.subarray(0, 3)]).toEqual([1, 2, 3]);
    const stamp = rx.receivedAtRealtimeMs();
    expect(stamp).toBeGreaterThanOrEqual(before - 1);
    expect(stamp).toBeLessThanOrEqual(realtimeMs() + 1);
    const o = rx.originBytes();
    expect(o.control.length).toBeGreaterThan(0); // pktinfo and TTL stay, the timestamp is left out
    expect(cmsgTtl(rx.cmsgs())).toBe(64);
    Bun.sleepSync(2);
    tx1.sendTo(Uint8Array.of(1, 2, 3), to);
    expect(rx.recvInPlace()).toBe(3);
    expect(rx.receivedAtRealtimeMs()).toBeGreaterThan(stamp);
    expect(rx.sameOrigin(o.from, o.control)).toBe(true);
    tx2.sendTo(Uint8Array.of(1, 2, 3), to);
    expect(rx.recvInPlace()).toBe(3);
    expect(rx.sameOrigin(o.from, o.control)).toBe(false); // another source port
    expect(rx.recvInPlace()).toBe(-1);
    for (const x of [rx, tx1, tx2]) x.close();
  });
});

describe("NetlinkSocket", () => {
  test("a link dump returns lo, and an error reply becomes a typed error", () => {
    const nl = new NetlinkSocket(NETLINK_ROUTE);
    const seq = nl.nextSeq();
    // RTM_GETLINK dump: nlmsghdr + ifinfomsg (16 bytes)
    const m = new Uint8Array(32);
    const dv = new DataView(m.buffer);
    dv.setUint32(0, 32, true);
    dv.setUint16(4, 18, true);
    dv.setUint16(6, 1 | 0x300, true);
    dv.setUint32(8, seq, true);
    const replies = nl.request(m, seq, "RTM_GETLINK");
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((r) => r.header.type === 16)).toBe(true); // RTM_NEWLINK
    // RTM_DELLINK of ifindex 999999: ENODEV
    const seq2 = nl.nextSeq();
    const d = new Uint8Array(32);
    const dv2 = new DataView(d.buffer);
    dv2.setUint32(0, 32, true);
    dv2.setUint16(4, 17, true);
    dv2.setUint16(6, 1 | 4, true);
    dv2.setUint32(8, seq2, true);
    dv2.setInt32(20, 999999, true);
    expect(() => nl.request(d, seq2, "RTM_DELLINK")).toThrow(/RTM_DELLINK.*ENODEV/);
    nl.close();
  });
});

describe("recvmsg metadata per datagram", () => {
  test("each datagram reports its own source and TTL (no stale copy of the first one)", async () => {
    const rx = new Socket(2, SOCK_DGRAM, 0);
    rx.setInt(IPPROTO_IP, IP_RECVTTL, 1);
    rx.bind(sockaddrIn(LO, 0));
    const port = (rx.localAddress() as { port: number }).port;
    const seen: string[] = [];
    for (const ttl of [200, 254, 255, 100]) {
      const tx = new Socket(2, SOCK_DGRAM, 0);
      tx.setInt(IPPROTO_IP, 2, /* IP_TTL */ ttl);
      tx.bind(sockaddrIn(LO, 0));
      const txPort = (tx.localAddress() as { port: number }).port;
      tx.sendTo(Uint8Array.of(1), sockaddrIn(LO, port));
      tx.close();
      let d;
      for (let i = 0; i < 100 && !(d = rx.recv()); i++) await Bun.sleep(5);
      seen.push(`${(d!.from as { port: number }).port === txPort}:${cmsgTtl(d!.cmsgs)}`);
    }
    expect(seen).toEqual(["true:200", "true:254", "true:255", "true:100"]);
    rx.close();
  });
});
