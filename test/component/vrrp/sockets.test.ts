/**
 * src/vrrp/sockets.ts: a failed open is returned as text (the instance goes FAULT with it); a
 * default-sized socket whose queue overflows gets twice the buffer up to AUTO_GROW_MAX times its first
 * size; one sized by vrrp_rx_bufs_policy / kernel_rx_buf_size keeps what was configured; a priority-0
 * socket's readiness reads the receive socket at once, and with one a socket no MASTER listens on is
 * polled once per advert interval.
 */
import { describe, expect, test } from "bun:test";
import { FakeScheduler } from "../../../src/core/scheduler.ts";
import { nullLogger } from "../../../src/core/log.ts";
import type { FdWatcher } from "../../../src/ffi/reactor.ts";
import { AUTO_GROW_MAX, BUSY_PERIOD_MS, CALM_PERIOD_MS, pollPeriod, VrrpSockets } from "../../../src/vrrp/sockets.ts";
import type { TransportOptions } from "../../../src/vrrp/transport.ts";

const O: TransportOptions = { family: "ipv4", ifname: "eth0", ifindex: 2, src: "192.0.2.1", ah: false };

function rig() {
  const watcher: FdWatcher = { add: () => {}, remove: () => {}, close: () => {} };
  const fake = { rx: { fd: 9 }, rxDrops: 0, buf: 212_992, forced: [] as number[], queued: 0 };
  const t = {
    rx: fake.rx,
    get rxDrops() {
      return fake.rxDrops;
    },
    send: () => {},
    drain: () => {
      const n = fake.queued;
      fake.queued = 0;
      return n;
    },
    close: () => {},
    setRxBuffer: (b: number) => (fake.buf = 2 * b),
    rxBufferBytes: () => fake.buf,
    forceRxBuffer: (b: number) => {
      fake.forced.push(b);
      return (fake.buf = 2 * b);
    },
  };
  const sinks = { packet: () => {}, error: () => {}, repeat: () => true, wants: () => true, instances: () => undefined };
  const s = new VrrpSockets(nullLogger, new FakeScheduler(), watcher, () => t, sinks);
  const overflow = (drops: number) => {
    fake.rxDrops += drops;
    fake.queued = 1;
    s.readNow("k");
  };
  return { s, fake, overflow };
}

describe("VrrpSockets", () => {
  test("an open that throws is returned as the reason", () => {
    const s = new VrrpSockets(nullLogger, new FakeScheduler(), { add: () => {}, remove: () => {}, close: () => {} }, () => {
      throw new Error("bind: EADDRNOTAVAIL");
    }, { packet: () => {}, error: () => {}, repeat: () => true, wants: () => true, instances: () => undefined });
    expect(s.ensure("k", O)).toBe("bind: EADDRNOTAVAIL");
    expect(s.get("k")).toBeUndefined();
  });

  test("a default-sized socket that overflows doubles its buffer, up to AUTO_GROW_MAX x", () => {
    const r = rig();
    expect(r.s.ensure("k", O)).toBeUndefined();
    r.overflow(0);
    expect(r.fake.forced).toEqual([]);
    for (let i = 0; i < 6; i++) r.overflow(10);
    expect(r.fake.buf).toBe(212_992 * AUTO_GROW_MAX);
    expect(r.fake.forced.length).toBe(Math.log2(AUTO_GROW_MAX));
    expect(r.s.views()[0]).toMatchObject({ drops: 60, rxBufferBytes: 212_992 * AUTO_GROW_MAX });
  });

  test("a socket sized by the configuration keeps its size when it overflows", () => {
    const r = rig();
    r.s.ensure("k", O);
    r.s.size("k", 65_536);
    expect(r.fake.buf).toBe(131_072);
    r.overflow(10);
    expect(r.fake.forced).toEqual([]);
    expect(r.fake.buf).toBe(131_072);
  });
});

describe("priority-0 socket and polling period", () => {
  const inst = (state: string, advertIntMs: number) => ({ state, cfg: { advertIntMs } });
  test("without a priority-0 socket, or with a MASTER on the socket: every BUSY_PERIOD_MS; else once per advert interval (two when asked), within bounds", () => {
    expect(pollPeriod(false, [[inst("BACKUP", 100)]])).toBe(BUSY_PERIOD_MS);
    expect(pollPeriod(true, undefined)).toBe(BUSY_PERIOD_MS);
    expect(pollPeriod(true, [undefined, [inst("BACKUP", 100)], [inst("FAULT", 1000)]])).toBe(100);
    expect(pollPeriod(true, [[inst("BACKUP", 1000)]])).toBe(CALM_PERIOD_MS);
    expect(pollPeriod(true, [[inst("BACKUP", 70)], [inst("BACKUP", 100)]])).toBe(70);
    expect(pollPeriod(true, [[inst("BACKUP", 20)]])).toBe(BUSY_PERIOD_MS);
    // Two intervals: a quiet socket (no kernel drop for QUIET_READS reads).
    expect(pollPeriod(true, [[inst("BACKUP", 100)]], 2)).toBe(200);
    expect(pollPeriod(true, [[inst("BACKUP", 1000)]], 2)).toBe(2 * CALM_PERIOD_MS);
    expect(pollPeriod(true, [[inst("BACKUP", 60)], [inst("BACKUP", 100)]], 2)).toBe(120);
    expect(pollPeriod(true, [[inst("BACKUP", 100)], [inst("MASTER", 100)]], 2)).toBe(BUSY_PERIOD_MS);
    expect(pollPeriod(false, [[inst("BACKUP", 100)]], 2)).toBe(BUSY_PERIOD_MS);
    expect(pollPeriod(true, [[inst("BACKUP", 100)], [inst("MASTER", 100)]])).toBe(BUSY_PERIOD_MS);
  });

  test("the priority-0 socket is watched as urgent; when it is readable the receive socket is read at once; dropped with the rest", () => {
    const watched = new Map<number, { f: () => void; urgent: boolean | undefined }>();
    const watcher: FdWatcher = { add: (fd, f, urgent) => void watched.set(fd, { f, urgent }), remove: (fd) => void watched.delete(fd), close: () => {} };
    let drains = 0, pri0 = 0;
    const t = {
      rx: { fd: 9 },
      urgent: { fd: 10, discardQueued: () => pri0 },
      send: () => {},
      drain: () => void drains++,
      close: () => {},
    };
    const s = new VrrpSockets(nullLogger, new FakeScheduler(), watcher, () => t, {
      packet: () => {},
      error: () => {},
      repeat: () => true,
      wants: () => true,
      instances: () => [[inst("BACKUP", 100)]],
    });
    expect(s.ensure("k", O)).toBeUndefined();
    expect(watched.get(10)?.urgent).toBe(true);
    watched.get(10)!.f(); // readable, but nothing was there (an earlier wake read it)
    expect(drains).toBe(0);
    pri0 = 1;
    watched.get(10)!.f();
    expect(drains).toBe(1);
    s.drop("k");
    expect(watched.size).toBe(0);
  });
});
